"""The diary database: location, permissions, WAL, entries, validation, damaged files."""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest

from twitchwatch.errors import ConfigError, StoreError
from twitchwatch.store import Store, paths, queries, writes
from twitchwatch.store.schema import RED_FLAGS, SCHEMA_VERSION


def test_open_creates_private_folder_and_wal_diary(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        writes.add_note(store, text="first note")
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.schema_version == SCHEMA_VERSION
        db = data_dir / paths.DB_NAME
        for p in (db, Path(str(db) + "-wal")):
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    for d in (data_dir, data_dir / "sessions"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d


def test_existing_loose_folder_is_tightened(tmp_path: Path) -> None:
    d = tmp_path / "loose"
    d.mkdir(mode=0o755)
    os.chmod(d, 0o755)
    Store.open(d).close()
    assert stat.S_IMODE(d.stat().st_mode) == 0o700


def test_data_dir_resolution_flag_env_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWITCHWATCH_DATA", str(tmp_path / "env"))
    assert paths.resolve_data_dir(str(tmp_path / "flag")) == tmp_path / "flag"
    assert paths.resolve_data_dir(None) == tmp_path / "env"
    monkeypatch.delenv("TWITCHWATCH_DATA")
    import platformdirs

    monkeypatch.setattr(platformdirs, "user_data_dir", lambda *a, **k: str(tmp_path / "platform"))
    assert paths.resolve_data_dir(None) == tmp_path / "platform"


def test_entries_round_trip(data_dir: Path) -> None:
    now = time.time()
    with Store.open(data_dir) as store:
        sid = writes.new_session(store, started_wall_s=now - 600, fs_hz=208.0, has_gyro=True,
                                 site="thenar", side="left", detector_info={"version": "9", "params": {}})
        writes.add_note(store, wall_s=now - 60, text="espresso", caffeine_mg=80, stress_0_10=7, sleep_h=5.5,
                        exercise_min=30, alcohol_units=1, medication="magnesium")
        writes.add_felt(store, wall_s=now - 30, text="left thumb")
        writes.add_red_flags(store, {"weakness": False, "cramps": True}, wall_s=now - 10, text="calf cramp")
        notes = queries.notes(store, now - 3600, now + 1)
        felt = queries.felt(store, now - 3600, now + 1)
        flags = queries.red_flags(store, now - 3600, now + 1)
    assert [(n.text, n.caffeine_mg, n.stress_0_10, n.sleep_h, n.exercise_min, n.alcohol_units, n.medication)
            for n in notes] == [("espresso", 80, 7, 5.5, 30, 1, "magnesium")]
    assert felt[0].session_id == sid and felt[0].text == "left thumb"   # linked to the open session
    assert flags[0].answers == {k: (True if k == "cramps" else False if k == "weakness" else None) for k in RED_FLAGS}


@pytest.mark.parametrize("kwargs, word", [
    ({"stress_0_10": 11}, "stress"), ({"sleep_h": -1}, "sleep"), ({"caffeine_mg": float("nan")}, "caffeine"),
    ({}, "empty"), ({"text": "x", "wall_s": 100.0}, "out of range"),
])
def test_bad_note_values_are_one_line_errors(data_dir: Path, kwargs: dict, word: str) -> None:
    with Store.open(data_dir) as store:
        with pytest.raises(ConfigError, match=word) as info:
            writes.add_note(store, **kwargs)
        assert "\n" not in str(info.value)
        assert queries.notes(store, 0, 2e10) == []


def test_bad_site_and_flag_names(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        with pytest.raises(ConfigError, match="body site"):
            writes.add_felt(store, site="elbow")
        with pytest.raises(ConfigError, match="red-flag"):
            writes.add_red_flags(store, {"headache": True})


def test_diary_from_a_newer_version_is_refused(data_dir: Path) -> None:
    Store.open(data_dir).close()
    conn = sqlite3.connect(data_dir / paths.DB_NAME)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer twitchwatch"):
        Store.open(data_dir)


def test_damaged_diary_file_is_a_clear_error(data_dir: Path) -> None:
    data_dir.mkdir(mode=0o700)
    (data_dir / paths.DB_NAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="damaged") as info:
        Store.open(data_dir)
    assert "\n" not in str(info.value)


def test_readonly_open_of_missing_diary_says_what_to_do(data_dir: Path) -> None:
    with pytest.raises(StoreError, match="no diary"):
        Store.open(data_dir, readonly=True)
