"""CSV export of the diary for a period: one file per kind of row, columns in ``docs/export.md``.

Times are given twice: ``*_local`` as ISO 8601 with the UTC offset (what a person reads) and
``*_unix_s`` (what software joins on). Files are UTF-8, comma-separated, with a header row.
"""

from __future__ import annotations

import csv
import os
from datetime import datetime
from pathlib import Path

import numpy as np

from ..errors import ConfigError, StoreError
from ..store import queries
from ..store.db import Store
from ..store.paths import ensure_private_dir, open_private
from ..store.schema import RED_FLAGS
from .period import Period

FILES = ("sessions.csv", "episodes.csv", "twitches.csv", "felt.csv", "notes.csv", "red_flags.csv")


def _local(wall_s: float | None) -> str:
    if wall_s is None:
        return ""
    return datetime.fromtimestamp(wall_s).astimezone().isoformat(timespec="milliseconds")


def _num(v: float | None, fmt: str = "{:.3f}") -> str:
    return "" if v is None else fmt.format(v)


def _yn(v: bool | None) -> str:
    return "" if v is None else ("yes" if v else "no")


def export_csv(data_dir: str | os.PathLike[str] | None, period: Period, out_dir: str | os.PathLike[str],
               *, overwrite: bool = False) -> list[Path]:
    """Write the six CSV files for ``period`` into ``out_dir`` (created 0700); returns their paths."""
    out = Path(out_dir).expanduser()
    targets = [out / name for name in FILES]
    if not overwrite and any(t.exists() for t in targets):
        raise ConfigError(f"{out} already holds an export; choose an empty folder or pass --force")
    with Store.open(data_dir, readonly=True) as store:
        t0, t1 = period.start_s, period.end_s
        sessions = queries.sessions(store, t0, t1)
        eps = queries.episodes(store, t0, t1)
        tws = queries.twitches(store, t0, t1)
        felt = queries.felt(store, t0, t1)
        notes = queries.notes(store, t0, t1)
        flags = queries.red_flags(store, t0, t1)
    by_id = {s.id: s for s in sessions}
    ep_of = {(e.session_id, o): e.id for e in eps for o in e.onsets}
    tw_onset = {(t.session_id, t.onset): t for t in tws}
    tw_walls = np.sort(np.array([t.wall_s for t in tws], dtype=float))

    def site(sid: int | None) -> tuple[str, str]:
        s = by_id.get(sid) if sid is not None else None
        return (s.site, s.side) if s else ("", "")

    tables: dict[str, tuple[list[str], list[list[str]]]] = {
        "sessions.csv": (
            ["session_id", "start_local", "start_unix_s", "end_local", "duration_s", "site", "side", "device",
             "status", "monitored_s", "twitches", "episodes", "samples_expected", "samples_lost",
             "detector_version", "recording_file", "status_note"],
            [[str(s.id), _local(s.started_wall_s), f"{s.started_wall_s:.3f}", _local(s.ended_wall_s),
              f"{s.duration_s:.3f}", s.site, s.side, s.device, s.status, f"{s.monitored_s:.1f}",
              str(s.n_twitches), str(s.n_episodes), str(s.ledger.get("samples_expected", s.n_samples)),
              str(s.ledger.get("lost", 0)), s.detector_version, s.recording or "", s.status_note]
             for s in sessions]),
        "episodes.csv": (
            ["episode_id", "session_id", "start_local", "start_unix_s", "duration_s", "twitch_count",
             "peak_mg", "intervals_s", "site", "side", "detector_version"],
            [[str(e.id), str(e.session_id), _local(e.wall_s), f"{e.wall_s:.3f}", f"{e.duration_s:.3f}",
              str(e.twitch_count), f"{e.peak_g * 1000:.2f}",
              " ".join(f"{(b - a) / by_id[e.session_id].fs_hz:.3f}" for a, b in zip(e.onsets, e.onsets[1:]))
              if e.session_id in by_id else "", *site(e.session_id),
              by_id[e.session_id].detector_version if e.session_id in by_id else ""] for e in eps]),
        "twitches.csv": (
            ["session_id", "onset_local", "onset_unix_s", "duration_s", "peak_mg", "episode_id", "site", "side"],
            [[str(t.session_id), _local(t.wall_s), f"{t.wall_s:.3f}", f"{t.duration_s:.3f}",
              f"{t.peak_g * 1000:.2f}", str(ep_of.get((t.session_id, t.onset), "")), *site(t.session_id)]
             for t in tw_onset.values()]),
        "felt.csv": (
            ["felt_id", "time_local", "unix_s", "session_id", "site", "side", "nearest_twitch_s", "text"],
            [[str(f.id), _local(f.wall_s), f"{f.wall_s:.3f}", "" if f.session_id is None else str(f.session_id),
              f.site, f.side, _nearest(tw_walls, f.wall_s), f.text] for f in felt]),
        "notes.csv": (
            ["note_id", "time_local", "unix_s", "caffeine_mg", "stress_0_10", "sleep_h", "exercise_min",
             "alcohol_units", "medication", "text"],
            [[str(n.id), _local(n.wall_s), f"{n.wall_s:.3f}", _num(n.caffeine_mg, "{:g}"),
              _num(n.stress_0_10, "{:g}"), _num(n.sleep_h, "{:g}"), _num(n.exercise_min, "{:g}"),
              _num(n.alcohol_units, "{:g}"), n.medication, n.text] for n in notes]),
        "red_flags.csv": (
            ["checkin_id", "time_local", "unix_s", *RED_FLAGS, "text"],
            [[str(r.id), _local(r.wall_s), f"{r.wall_s:.3f}", *[_yn(r.answers[k]) for k in RED_FLAGS], r.text]
             for r in flags]),
    }
    ensure_private_dir(out)
    try:
        for target in targets:
            header, rows = tables[target.name]
            fd = open_private(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            with open(fd, "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(header)
                w.writerows(rows)
    except OSError as exc:
        raise StoreError(f"cannot write the CSV export to {out} ({exc.strerror}); "
                         "choose another folder or free some space") from None
    return targets


def _nearest(sorted_walls: np.ndarray, wall_s: float) -> str:
    """Signed seconds from ``wall_s`` to the nearest detected twitch (negative: twitch before)."""
    if not len(sorted_walls):
        return ""
    k = int(np.searchsorted(sorted_walls, wall_s))
    best = min((sorted_walls[j] - wall_s for j in (k - 1, k) if 0 <= j < len(sorted_walls)), key=abs)
    return f"{best:.3f}"
