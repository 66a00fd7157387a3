"""Fixtures for every test folder."""

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _private_config(tmp_path, monkeypatch):
    """Keep the remembered-sensor file out of the user's real config folder, and give every
    test a fresh set of Bumble virtual radios."""
    monkeypatch.setenv("TWITCHWATCH_CONFIG", str(tmp_path / "config"))
    monkeypatch.delenv("BLEAK_BUMBLE", raising=False)
    from twitchwatch.ble import bumble_backend

    bumble_backend.reset_centrals()
    yield
    bumble_backend.reset_centrals()
