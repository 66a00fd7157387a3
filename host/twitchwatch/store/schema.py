"""The diary's SQLite schema and its migrations.

The schema version is SQLite's ``PRAGMA user_version``. ``SCHEMA_V1`` is kept verbatim as
the first release shipped it, so tests can build a v1 diary and prove the upgrade path;
``MIGRATIONS[n]`` turns version ``n - 1`` into version ``n`` inside one transaction, after
a backup copy of the file (``diary.sqlite3.v<n-1>.bak``) has been written.

Times: ``wall_s`` columns are Unix seconds (UTC); sample-index columns (``onset``, ``start``,
...) are relative to the session's first sample, exactly as the detector reported them.
"""

from __future__ import annotations

import sqlite3
from typing import Callable

SCHEMA_VERSION = 2

SCHEMA_V1 = """
CREATE TABLE sessions (
    id               INTEGER PRIMARY KEY,
    started_wall_s   REAL    NOT NULL,
    ended_wall_s     REAL,
    fs_hz            REAL    NOT NULL,
    has_gyro         INTEGER NOT NULL,
    site             TEXT    NOT NULL DEFAULT '',
    side             TEXT    NOT NULL DEFAULT '',
    device           TEXT    NOT NULL DEFAULT '',
    recording        TEXT,
    n_samples        INTEGER NOT NULL DEFAULT 0,
    monitored_s      REAL    NOT NULL DEFAULT 0,
    status           TEXT    NOT NULL DEFAULT 'recording',
    detector_version TEXT    NOT NULL DEFAULT '',
    detector_json    TEXT    NOT NULL DEFAULT '{}',
    ledger_json      TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX sessions_started ON sessions(started_wall_s);

CREATE TABLE twitches (
    id         INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    onset      INTEGER NOT NULL,
    offset     INTEGER NOT NULL,
    peak       INTEGER NOT NULL,
    peak_g     REAL    NOT NULL,
    wall_s     REAL    NOT NULL
);
CREATE INDEX twitches_wall ON twitches(wall_s);
CREATE INDEX twitches_session ON twitches(session_id);

CREATE TABLE episodes (
    id           INTEGER PRIMARY KEY,
    session_id   INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    start        INTEGER NOT NULL,
    "end"        INTEGER NOT NULL,
    onsets_json  TEXT    NOT NULL,
    twitch_count INTEGER NOT NULL,
    peak_g       REAL    NOT NULL,
    wall_s       REAL    NOT NULL,
    duration_s   REAL    NOT NULL
);
CREATE INDEX episodes_wall ON episodes(wall_s);
CREATE INDEX episodes_session ON episodes(session_id);

CREATE TABLE monitored (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    start      INTEGER NOT NULL,
    "end"      INTEGER NOT NULL,
    wall_s     REAL    NOT NULL,
    duration_s REAL    NOT NULL
);
CREATE INDEX monitored_wall ON monitored(wall_s);
CREATE INDEX monitored_session ON monitored(session_id);

CREATE TABLE felt_events (
    id         INTEGER PRIMARY KEY,
    wall_s     REAL    NOT NULL,
    session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
    site       TEXT    NOT NULL DEFAULT '',
    side       TEXT    NOT NULL DEFAULT '',
    text       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX felt_wall ON felt_events(wall_s);

CREATE TABLE notes (
    id            INTEGER PRIMARY KEY,
    wall_s        REAL    NOT NULL,
    text          TEXT    NOT NULL DEFAULT '',
    caffeine_mg   REAL,
    stress_0_10   INTEGER,
    sleep_h       REAL,
    exercise_min  REAL,
    alcohol_units REAL,
    medication    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX notes_wall ON notes(wall_s);
"""


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """v2: red-flag check-ins get their own table; sessions keep a note of what happened to
    them (e.g. the recovery message after a crash)."""
    conn.execute(
        """
        CREATE TABLE red_flags (
            id                INTEGER PRIMARY KEY,
            wall_s            REAL    NOT NULL,
            weakness          INTEGER,
            wasting           INTEGER,
            cramps            INTEGER,
            numbness_tingling INTEGER,
            speech_swallowing INTEGER,
            spread_new_sites  INTEGER,
            text              TEXT    NOT NULL DEFAULT ''
        )
        """
    )
    conn.execute("CREATE INDEX red_flags_wall ON red_flags(wall_s)")
    conn.execute("ALTER TABLE sessions ADD COLUMN status_note TEXT NOT NULL DEFAULT ''")


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {2: _v1_to_v2}

RED_FLAGS = (
    "weakness",
    "wasting",
    "cramps",
    "numbness_tingling",
    "speech_swallowing",
    "spread_new_sites",
)
"""Red-flag questions, in report order. Answers are 1 (yes), 0 (no) or NULL (not answered)."""

RED_FLAG_LABELS = {
    "weakness": "Weakness (e.g. pinch, buttons)",
    "wasting": "Muscle wasting (e.g. thumb base)",
    "cramps": "Cramps or stiffness",
    "numbness_tingling": "Numbness or tingling",
    "speech_swallowing": "Change in speech or swallowing",
    "spread_new_sites": "Twitching spread to new places",
}

COVARIATES = ("caffeine_mg", "stress_0_10", "sleep_h", "exercise_min", "alcohol_units", "medication")
