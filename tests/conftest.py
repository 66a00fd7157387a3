"""Fixtures for every test folder."""

import os
from pathlib import Path

import platformdirs
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The platform folders twitchwatch asks platformdirs for (the diary, the remembered sensor), and
# the cache and state ones for good measure.
_PLATFORM_DIRS = ("user_data_dir", "user_config_dir", "user_cache_dir", "user_state_dir")


def _isolate(mp: pytest.MonkeyPatch, root: Path) -> None:
    """Point every folder twitchwatch could write to at ``root`` (nothing is created here).

    ``TWITCHWATCH_DATA`` / ``TWITCHWATCH_CONFIG`` cover this process and child processes; the
    platformdirs functions (this process) and ``XDG_DATA_HOME`` / ``XDG_CONFIG_HOME`` (child
    processes on Linux) cover a test that unsets the variables. ``XDG_CACHE_HOME`` is left
    alone: twitchwatch keeps nothing there, and tools such as matplotlib keep their caches there.
    """
    mp.setenv("TWITCHWATCH_DATA", str(root / "data"))
    mp.setenv("TWITCHWATCH_CONFIG", str(root / "config"))
    mp.setenv("XDG_DATA_HOME", str(root / "xdg-data"))
    mp.setenv("XDG_CONFIG_HOME", str(root / "xdg-config"))
    for name in _PLATFORM_DIRS:
        def folder(appname=None, *_args, _kind=name, **_kw) -> str:
            return str(root / "platform" / _kind / (appname or ""))

        mp.setattr(platformdirs, name, folder)


@pytest.fixture(scope="session", autouse=True)
def _private_folders_for_the_session(tmp_path_factory):
    """Session- and module-scoped fixtures (set up before any per-test fixture) never see
    the user's real folders either."""
    with pytest.MonkeyPatch.context() as mp:
        _isolate(mp, tmp_path_factory.mktemp("private-folders"))
        yield


@pytest.fixture(autouse=True)
def _private_config(tmp_path, monkeypatch):
    """Give every test its own diary, config and platform folders (never the user's real
    diary or remembered sensor), and a fresh set of Bumble virtual radios."""
    _isolate(monkeypatch, tmp_path / ".private")
    monkeypatch.delenv("BLEAK_BUMBLE", raising=False)
    from twitchwatch.ble import bumble_backend

    bumble_backend.reset_centrals()
    yield
    bumble_backend.reset_centrals()
