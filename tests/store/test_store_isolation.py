"""The suite never touches the user's real diary or config: tests/conftest.py points every
folder twitchwatch would use (the diary, the remembered sensor, the platform folders behind
them) at a per-test temporary folder, also for a child process and with the variables unset."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from twitchwatch.ble.discovery import config_dir
from twitchwatch.store.paths import default_data_dir, resolve_data_dir


def _inside(path: Path, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder.resolve())


def test_every_folder_twitchwatch_uses_is_this_tests_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    assert _inside(resolve_data_dir(), tmp_path) and _inside(config_dir(), tmp_path)
    # Even a test that unsets the variables lands in a temporary folder, not the user's own.
    monkeypatch.delenv("TWITCHWATCH_DATA")
    monkeypatch.delenv("TWITCHWATCH_CONFIG")
    for folder in (resolve_data_dir(), default_data_dir(), config_dir(),
                   platformdirs.user_cache_dir("twitchwatch", appauthor=False)):
        assert _inside(Path(folder), tmp_path), folder
    # ... and so does a child process (a CLI run), on the platform's folders.
    code = ("from twitchwatch.store.paths import resolve_data_dir; from twitchwatch.ble.discovery import "
            "config_dir; print(resolve_data_dir()); print(config_dir())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ),
                         check=True, timeout=60).stdout.split("\n")
    if sys.platform.startswith("linux"):          # elsewhere the platform folders ignore XDG_*
        assert _inside(Path(out[0]), tmp_path) and _inside(Path(out[1]), tmp_path), out
