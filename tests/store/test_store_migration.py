"""Schema migrations: a diary written by v1 opens under v2 with its data intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from twitchwatch.store import Store, paths, queries, writes
from twitchwatch.store.schema import SCHEMA_V1, SCHEMA_VERSION


def _make_v1(folder: Path) -> Path:
    folder.mkdir(mode=0o700, parents=True)
    db = folder / paths.DB_NAME
    conn = sqlite3.connect(db)
    conn.executescript(SCHEMA_V1)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO sessions (started_wall_s, fs_hz, has_gyro, site, side, status, n_samples)"
                 " VALUES (1700000000, 208, 1, 'thenar', 'left', 'ended', 2080)")
    conn.execute("INSERT INTO twitches (session_id, onset, offset, peak, peak_g, wall_s) VALUES (1, 10, 20, 15, 0.02, 1700000000.05)")
    conn.execute("INSERT INTO notes (wall_s, text, caffeine_mg) VALUES (1700000100, 'old note', 160)")
    conn.commit()
    conn.close()
    return db


def test_v1_diary_is_upgraded_with_data_kept(tmp_path: Path) -> None:
    db = _make_v1(tmp_path / "d")
    with Store.open(tmp_path / "d") as store:
        assert store.schema_version == SCHEMA_VERSION == 2
        s = queries.sessions(store)
        assert len(s) == 1 and s[0].n_twitches == 1 and s[0].status_note == ""   # v2 column, default
        assert [n.text for n in queries.notes(store, 0, 2e9)] == ["old note"]
        writes.add_red_flags(store, {"weakness": False}, wall_s=1_700_000_200)   # v2 table works
        assert len(queries.red_flags(store, 0, 2e9)) == 1
    backup = db.with_name(db.name + ".v1.bak")
    old = sqlite3.connect(backup)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    assert old.execute("SELECT text FROM notes").fetchall() == [("old note",)]
    assert old.execute("SELECT name FROM sqlite_master WHERE name = 'red_flags'").fetchall() == []
    old.close()


def test_fresh_diary_equals_migrated_schema(tmp_path: Path) -> None:
    _make_v1(tmp_path / "old")
    Store.open(tmp_path / "old").close()
    Store.open(tmp_path / "new").close()

    def schema(folder: Path) -> dict:
        conn = sqlite3.connect(folder / paths.DB_NAME)
        out = {}
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            out[table] = [(r[1], r[2], r[3], r[4]) for r in conn.execute(f"PRAGMA table_info({table})")]
        conn.close()
        return out

    assert schema(tmp_path / "old") == schema(tmp_path / "new")


def test_upgrade_is_idempotent(tmp_path: Path) -> None:
    _make_v1(tmp_path / "d")
    Store.open(tmp_path / "d").close()
    with Store.open(tmp_path / "d") as store:
        assert store.schema_version == SCHEMA_VERSION
        assert len(queries.notes(store, 0, 2e9)) == 1
