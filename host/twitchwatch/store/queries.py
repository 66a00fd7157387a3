"""Reading the diary back: typed rows for a time window, used by reports and exports."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .db import Store
from .schema import RED_FLAGS


@dataclass(frozen=True)
class SessionRow:
    id: int
    started_wall_s: float
    ended_wall_s: float | None
    fs_hz: float
    has_gyro: bool
    site: str
    side: str
    device: str
    recording: str | None          # the .twr: relative to the data folder, or absolute (record --out)
    n_samples: int
    monitored_s: float
    status: str                    # recording | ended | recovered
    status_note: str
    detector_version: str
    detector: dict[str, Any] = field(default_factory=dict)
    ledger: dict[str, Any] = field(default_factory=dict)
    n_twitches: int = 0
    n_episodes: int = 0

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs_hz


@dataclass(frozen=True)
class TwitchRow:
    session_id: int
    onset: int
    offset: int
    peak_g: float
    wall_s: float
    duration_s: float


@dataclass(frozen=True)
class EpisodeRow:
    id: int
    session_id: int
    start: int
    end: int
    onsets: tuple[int, ...]
    twitch_count: int
    peak_g: float
    wall_s: float
    duration_s: float


@dataclass(frozen=True)
class SpanRow:
    session_id: int
    wall_s: float
    duration_s: float


@dataclass(frozen=True)
class NoteRow:
    id: int
    wall_s: float
    text: str
    caffeine_mg: float | None
    stress_0_10: float | None
    sleep_h: float | None
    exercise_min: float | None
    alcohol_units: float | None
    medication: str


@dataclass(frozen=True)
class FeltRow:
    id: int
    wall_s: float
    session_id: int | None
    site: str
    side: str
    text: str


@dataclass(frozen=True)
class RedFlagRow:
    id: int
    wall_s: float
    answers: dict[str, bool | None]
    text: str


_SESSION_SQL = """
SELECT s.*,
  (SELECT count(*) FROM twitches t WHERE t.session_id = s.id) AS n_twitches,
  (SELECT count(*) FROM episodes e WHERE e.session_id = s.id) AS n_episodes
FROM sessions s
"""


def _session(r: Any) -> SessionRow:
    return SessionRow(
        id=r["id"], started_wall_s=r["started_wall_s"], ended_wall_s=r["ended_wall_s"],
        fs_hz=r["fs_hz"], has_gyro=bool(r["has_gyro"]), site=r["site"], side=r["side"],
        device=r["device"], recording=r["recording"], n_samples=r["n_samples"],
        monitored_s=r["monitored_s"], status=r["status"], status_note=r["status_note"],
        detector_version=r["detector_version"], detector=json.loads(r["detector_json"] or "{}"),
        ledger=json.loads(r["ledger_json"] or "{}"), n_twitches=r["n_twitches"],
        n_episodes=r["n_episodes"],
    )


def sessions(store: Store, from_wall_s: float = 0.0, to_wall_s: float = 1e12) -> list[SessionRow]:
    """Sessions that overlap ``[from_wall_s, to_wall_s)``, oldest first."""
    rows = store.query(
        _SESSION_SQL + " WHERE s.started_wall_s < ? AND coalesce(s.ended_wall_s,"
        " s.started_wall_s + s.n_samples / s.fs_hz) >= ? ORDER BY s.started_wall_s",
        (to_wall_s, from_wall_s))
    return [_session(r) for r in rows]


def session(store: Store, session_id: int) -> SessionRow | None:
    rows = store.query(_SESSION_SQL + " WHERE s.id = ?", (session_id,))
    return _session(rows[0]) if rows else None


def twitches(store: Store, from_wall_s: float, to_wall_s: float, session_id: int | None = None) -> list[TwitchRow]:
    rows = store.query(
        "SELECT t.session_id, t.onset, t.offset, t.peak_g, t.wall_s, s.fs_hz FROM twitches t"
        " JOIN sessions s ON s.id = t.session_id WHERE t.wall_s >= ? AND t.wall_s < ?"
        + (" AND t.session_id = ?" if session_id is not None else "") + " ORDER BY t.wall_s",
        (from_wall_s, to_wall_s) + ((session_id,) if session_id is not None else ()))
    return [TwitchRow(r["session_id"], r["onset"], r["offset"], r["peak_g"], r["wall_s"],
                      (r["offset"] - r["onset"]) / r["fs_hz"]) for r in rows]


def episodes(store: Store, from_wall_s: float, to_wall_s: float, session_id: int | None = None) -> list[EpisodeRow]:
    rows = store.query(
        'SELECT id, session_id, start, "end", onsets_json, twitch_count, peak_g, wall_s, duration_s'
        " FROM episodes WHERE wall_s >= ? AND wall_s < ?"
        + (" AND session_id = ?" if session_id is not None else "") + " ORDER BY wall_s",
        (from_wall_s, to_wall_s) + ((session_id,) if session_id is not None else ()))
    return [EpisodeRow(r["id"], r["session_id"], r["start"], r["end"], tuple(json.loads(r["onsets_json"])),
                       r["twitch_count"], r["peak_g"], r["wall_s"], r["duration_s"]) for r in rows]


def monitored(store: Store, from_wall_s: float, to_wall_s: float) -> list[SpanRow]:
    """Monitored (still) spans overlapping the window (callers clip them)."""
    rows = store.query(
        "SELECT session_id, wall_s, duration_s FROM monitored WHERE wall_s < ? AND wall_s + duration_s > ?"
        " ORDER BY wall_s", (to_wall_s, from_wall_s))
    return [SpanRow(r["session_id"], r["wall_s"], r["duration_s"]) for r in rows]


def notes(store: Store, from_wall_s: float, to_wall_s: float) -> list[NoteRow]:
    rows = store.query("SELECT * FROM notes WHERE wall_s >= ? AND wall_s < ? ORDER BY wall_s",
                       (from_wall_s, to_wall_s))
    return [NoteRow(r["id"], r["wall_s"], r["text"], r["caffeine_mg"], r["stress_0_10"], r["sleep_h"],
                    r["exercise_min"], r["alcohol_units"], r["medication"]) for r in rows]


def felt(store: Store, from_wall_s: float, to_wall_s: float) -> list[FeltRow]:
    rows = store.query("SELECT * FROM felt_events WHERE wall_s >= ? AND wall_s < ? ORDER BY wall_s",
                       (from_wall_s, to_wall_s))
    return [FeltRow(r["id"], r["wall_s"], r["session_id"], r["site"], r["side"], r["text"]) for r in rows]


def red_flags(store: Store, from_wall_s: float, to_wall_s: float) -> list[RedFlagRow]:
    rows = store.query("SELECT * FROM red_flags WHERE wall_s >= ? AND wall_s < ? ORDER BY wall_s",
                       (from_wall_s, to_wall_s))
    return [RedFlagRow(r["id"], r["wall_s"],
                       {k: (None if r[k] is None else bool(r[k])) for k in RED_FLAGS}, r["text"])
            for r in rows]
