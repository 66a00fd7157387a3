"""Everything that adds to the diary: sessions and their detector results, notes with
covariates, "I felt a twitch" taps and red-flag check-ins.

Arguments are validated before anything is written; a bad value raises a one-line
:class:`ConfigError` naming the value and its allowed range.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from typing import Any, Iterable

from ..detect.events import DetectorOutput, Episode, Span, Twitch
from ..errors import ConfigError
from ..recording import SIDES, SITES
from .db import Store
from .schema import RED_FLAGS

_EARLIEST_WALL_S = 946_684_800.0  # 2000-01-01: anything earlier is a clock or typing error


def check_wall_s(wall_s: float, what: str = "time") -> float:
    wall_s = float(wall_s)
    if not math.isfinite(wall_s) or wall_s < _EARLIEST_WALL_S or wall_s > time.time() + 86_400:
        raise ConfigError(f"{what} {wall_s!r} is out of range (2000-01-01 to tomorrow); check the date")
    return wall_s


def check_site_side(site: str, side: str) -> tuple[str, str]:
    site, side = (site or "").strip().lower(), (side or "").strip().lower()
    if site and site not in SITES:
        raise ConfigError(f"unknown body site {site!r}; use one of {', '.join(SITES)}")
    if side and side not in SIDES:
        raise ConfigError(f"unknown side {side!r}; use left or right")
    return site, side


def _check_range(name: str, value: float | None, lo: float, hi: float) -> float | None:
    if value is None:
        return None
    v = float(value)
    if not math.isfinite(v) or not lo <= v <= hi:
        raise ConfigError(f"{name} {value!r} is out of range ({lo:g} to {hi:g})")
    return v


# -- sessions ---------------------------------------------------------------------------


def new_session(
    store: Store,
    *,
    started_wall_s: float,
    fs_hz: float,
    has_gyro: bool,
    site: str = "",
    side: str = "",
    device: str = "",
    detector_info: dict[str, Any] | None = None,
) -> int:
    """Insert a session in state ``recording``; returns its id."""
    site, side = check_site_side(site, side)
    if not (math.isfinite(fs_hz) and 1.0 <= fs_hz <= 10_000.0):
        raise ConfigError(f"sample rate {fs_hz!r} Hz is out of range (1 to 10000 Hz)")
    info = detector_info or {}
    with store.write() as conn:
        cur = conn.execute(
            "INSERT INTO sessions (started_wall_s, fs_hz, has_gyro, site, side, device, status,"
            " detector_version, detector_json) VALUES (?, ?, ?, ?, ?, ?, 'recording', ?, ?)",
            (float(started_wall_s), float(fs_hz), int(bool(has_gyro)), site, side, device,
             str(info.get("version", "")), json.dumps(info, sort_keys=True, default=str)),
        )
        return int(cur.lastrowid or 0)


def insert_output(
    conn: sqlite3.Connection,
    session_id: int,
    fs_hz: float,
    start_wall_s: float,
    twitches: Iterable[Twitch] = (),
    episodes: Iterable[Episode] = (),
    monitored: Iterable[Span] = (),
) -> float:
    """Insert detector results (inside an open write transaction). Returns monitored seconds added."""
    conn.executemany(
        "INSERT INTO twitches (session_id, onset, offset, peak, peak_g, wall_s) VALUES (?,?,?,?,?,?)",
        [(session_id, t.onset, t.offset, t.peak, float(t.peak_g), start_wall_s + t.onset / fs_hz)
         for t in twitches],
    )
    conn.executemany(
        'INSERT INTO episodes (session_id, start, "end", onsets_json, twitch_count, peak_g, wall_s,'
        " duration_s) VALUES (?,?,?,?,?,?,?,?)",
        [(session_id, e.start, e.end, json.dumps(list(e.onsets)), e.twitch_count, float(e.peak_g),
          start_wall_s + e.start / fs_hz, (e.end - e.start) / fs_hz) for e in episodes],
    )
    spans = [(session_id, s.start, s.end, start_wall_s + s.start / fs_hz, (s.end - s.start) / fs_hz)
             for s in monitored]
    conn.executemany(
        'INSERT INTO monitored (session_id, start, "end", wall_s, duration_s) VALUES (?,?,?,?,?)', spans
    )
    added_s = float(sum(s[4] for s in spans))
    if added_s:
        conn.execute("UPDATE sessions SET monitored_s = monitored_s + ? WHERE id = ?", (added_s, session_id))
    return added_s


def replace_output(store: Store, session_id: int, out: DetectorOutput, detector_info: dict[str, Any]) -> None:
    """Swap a session's detector results for ``out`` (recovery, re-analysis), atomically."""
    row = store.query("SELECT fs_hz, started_wall_s FROM sessions WHERE id = ?", (session_id,))
    if not row:
        raise ConfigError(f"there is no session {session_id}; list sessions with `twitchwatch diary sessions`")
    fs_hz, start = float(row[0]["fs_hz"]), float(row[0]["started_wall_s"])
    with store.write() as conn:
        for table in ("twitches", "episodes", "monitored"):
            conn.execute(f"DELETE FROM {table} WHERE session_id = ?", (session_id,))
        conn.execute("UPDATE sessions SET monitored_s = 0, detector_version = ?, detector_json = ?"
                     " WHERE id = ?", (str(detector_info.get("version", "")),
                                       json.dumps(detector_info, sort_keys=True, default=str), session_id))
        insert_output(conn, session_id, fs_hz, start, out.twitches, out.episodes, out.monitored)


def discard_session(store: Store, session_id: int) -> None:
    """Remove a session that never recorded a sample (its start failed half-way)."""
    with store.write() as conn:
        conn.execute("DELETE FROM sessions WHERE id = ? AND n_samples = 0 AND status = 'recording'",
                     (session_id,))


def end_session(
    store: Store, session_id: int, *, n_samples: int, status: str = "ended",
    ledger: dict[str, Any] | None = None, status_note: str = "", recording: str | None = None,
) -> None:
    """Mark a session ended at its last sample."""
    with store.write() as conn:
        row = conn.execute("SELECT fs_hz, started_wall_s FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise ConfigError(f"there is no session {session_id}")
        ended = float(row[1]) + n_samples / float(row[0])
        conn.execute(
            "UPDATE sessions SET ended_wall_s = ?, n_samples = ?, status = ?, status_note = ?"
            + (", ledger_json = ?" if ledger is not None else "")
            + (", recording = ?" if recording is not None else "")
            + " WHERE id = ?",
            (ended, int(n_samples), status, status_note)
            + ((json.dumps(ledger, sort_keys=True, default=str),) if ledger is not None else ())
            + ((recording,) if recording is not None else ())
            + (session_id,),
        )


# -- diary entries ----------------------------------------------------------------------


def add_note(
    store: Store, *, wall_s: float | None = None, text: str = "", caffeine_mg: float | None = None,
    stress_0_10: float | None = None, sleep_h: float | None = None, exercise_min: float | None = None,
    alcohol_units: float | None = None, medication: str = "",
) -> int:
    """A diary note with optional covariates (each None when not given)."""
    wall = check_wall_s(time.time() if wall_s is None else wall_s, "note time")
    values = (
        wall, text.strip(),
        _check_range("caffeine_mg", caffeine_mg, 0, 3000),
        _check_range("stress_0_10", stress_0_10, 0, 10),
        _check_range("sleep_h", sleep_h, 0, 24),
        _check_range("exercise_min", exercise_min, 0, 1440),
        _check_range("alcohol_units", alcohol_units, 0, 100),
        medication.strip(),
    )
    if not any(v not in (None, "") for v in values[1:]):
        raise ConfigError("the note is empty; give some text or at least one covariate")
    with store.write() as conn:
        cur = conn.execute(
            "INSERT INTO notes (wall_s, text, caffeine_mg, stress_0_10, sleep_h, exercise_min,"
            " alcohol_units, medication) VALUES (?,?,?,?,?,?,?,?)", values)
        return int(cur.lastrowid or 0)


def add_felt(store: Store, *, wall_s: float | None = None, site: str = "", side: str = "",
             text: str = "", session_id: int | None = None) -> int:
    """An "I felt a twitch" tap. Linked to the session recording at that moment, if any."""
    wall = check_wall_s(time.time() if wall_s is None else wall_s, "felt-event time")
    site, side = check_site_side(site, side)
    with store.write() as conn:
        if session_id is None:
            row = conn.execute(
                "SELECT id FROM sessions WHERE started_wall_s <= ? AND"
                " (ended_wall_s IS NULL OR ended_wall_s >= ?) ORDER BY started_wall_s DESC LIMIT 1",
                (wall, wall)).fetchone()
            session_id = int(row[0]) if row else None
        cur = conn.execute(
            "INSERT INTO felt_events (wall_s, session_id, site, side, text) VALUES (?,?,?,?,?)",
            (wall, session_id, site, side, text.strip()))
        return int(cur.lastrowid or 0)


def add_red_flags(store: Store, answers: dict[str, bool | None], *, wall_s: float | None = None,
                  text: str = "") -> int:
    """A red-flag check-in: each question answered True/False or left None."""
    unknown = set(answers) - set(RED_FLAGS)
    if unknown:
        raise ConfigError(f"unknown red-flag question(s) {sorted(unknown)}; use {', '.join(RED_FLAGS)}")
    if all(answers.get(k) is None for k in RED_FLAGS) and not text.strip():
        raise ConfigError("no red-flag answers given; answer at least one question")
    wall = check_wall_s(time.time() if wall_s is None else wall_s, "check-in time")
    vals = [None if answers.get(k) is None else int(bool(answers[k])) for k in RED_FLAGS]
    with store.write() as conn:
        cur = conn.execute(
            f"INSERT INTO red_flags (wall_s, {', '.join(RED_FLAGS)}, text) VALUES"
            f" (?, {', '.join('?' * len(RED_FLAGS))}, ?)", (wall, *vals, text.strip()))
        return int(cur.lastrowid or 0)
