"""A small diary shared by the export tests: 6 synthesised days plus two real recorded sessions."""

from __future__ import annotations

import os
from datetime import datetime, time as dtime, timedelta
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from export_days import FIRST_DAY, LAST_DAY  # noqa: F401  (the tests import them from there too)


@pytest.fixture(scope="session")
def diary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from twitchwatch.store.demo import record_simulated_session, synthesise_days

    folder = tmp_path_factory.mktemp("diary") / "data"
    synthesise_days(folder, days=6, hours_per_day=4.0, seed=3, last_day=LAST_DAY)
    for k, day in enumerate((LAST_DAY - timedelta(days=3), LAST_DAY - timedelta(days=1))):
        start = datetime.combine(day, dtime(20, 0)).astimezone().timestamp()
        record_simulated_session(folder, start, 120.0, seed=10 + k, episodes_per_hour=150.0)
    return folder


@pytest.fixture
def fresh_diary(diary: Path, tmp_path: Path) -> Path:
    """A private copy for tests that change or damage the diary."""
    import shutil

    dst = tmp_path / "data"
    shutil.copytree(diary, dst)
    return dst
