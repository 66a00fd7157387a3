"""Firmware tests: helpers live in fw_common.py."""

import pytest


@pytest.fixture(autouse=True)
def _offscreen(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
