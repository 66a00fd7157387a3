"""Closing sessions that a crash (or a kill) left open, on the next start.

A session still in state ``recording`` whose lock nobody holds was interrupted. Recovery
reads the readable part of its ``.twr`` file, marks the session ended at its last readable
sample and, when this install runs the same detector version, re-runs the detector over
that part so counts include episodes that were still open at the crash.
"""

from __future__ import annotations

import os
from datetime import datetime

from ..errors import TwitchwatchError
from . import writes
from .db import Store
from .lock import SessionLock, lock_path
from .queries import SessionRow, session as load_session


def recover_interrupted(data_dir: str | os.PathLike[str] | None = None) -> str | None:
    """Recover every interrupted session; return one line for the user, or None if none."""
    store = Store.open(data_dir)
    try:
        ids = [int(r["id"]) for r in store.query("SELECT id FROM sessions WHERE status = 'recording'")]
        lines: list[str] = []
        for sid in ids:
            row = load_session(store, sid)
            if row is None:
                continue
            lock = SessionLock(lock_path(store.data_dir / (row.recording or f"sessions/s{sid}.twr")))
            try:
                held = not lock.try_acquire()
            except OSError:
                # No lock file can be made beside the recording (a `record --out` file whose
                # folder is gone or read-only): no live process can be writing there either.
                held = False
            if held:
                continue  # a live process is recording it
            try:
                lines.append(_recover_one(store, row))
            finally:
                lock.release()
    finally:
        store.close()
    if not lines:
        return None
    if len(lines) == 1:
        return lines[0]
    return f"Recovered {len(lines)} sessions that ended unexpectedly: " + "; ".join(
        line.split(": ", 1)[-1] for line in lines)


def _recover_one(store: Store, row: SessionRow) -> str:
    from ..io.native import read_native
    from .rerun import params_from_info, run_detector

    when = datetime.fromtimestamp(row.started_wall_s).strftime("%Y-%m-%d %H:%M")
    path = store.data_dir / row.recording if row.recording else None
    rec = None
    problem = ""
    if path is not None and path.exists():
        try:
            rec = read_native(path)
        except TwitchwatchError as exc:
            problem = f"the recording could not be read ({exc})"
    else:
        problem = "no recording file was found"
    n = rec.n_samples if rec is not None else 0
    counts_note = "counts as saved before the stop"
    if rec is not None and n:
        params, same = params_from_info(row.detector)
        if same:
            out, info = run_detector(rec, params)
            writes.replace_output(store, row.id, out, info)
            counts_note = "counts re-run over the recording"
        else:
            counts_note = "counts as saved before the stop (detector version changed since)"
    # Drop saved events past the last readable sample: there is no evidence behind them.
    with store.write() as conn:
        conn.execute("DELETE FROM twitches WHERE session_id = ? AND onset >= ?", (row.id, n))
        conn.execute('DELETE FROM episodes WHERE session_id = ? AND start >= ?', (row.id, n))
    kept = _hm(n / row.fs_hz)
    end = datetime.fromtimestamp(row.started_wall_s + n / row.fs_hz).strftime("%H:%M:%S")
    fresh = load_session(store, row.id)
    tw, ep = (fresh.n_twitches, fresh.n_episodes) if fresh else (0, 0)
    cut = f"; {rec.cut_note}" if rec is not None and rec.cut_note else ""
    msg = (f"Recovered the session of {when} that ended unexpectedly: kept {kept} up to {end}, "
           f"{tw} twitches and {ep} episodes ({counts_note}){cut}")
    if problem:
        msg = f"Recovered the session of {when} that ended unexpectedly: {problem}; kept {tw} twitches and {ep} episodes"
    writes.end_session(store, row.id, n_samples=n, status="recovered", status_note=msg)
    return msg


def _hm(seconds: float) -> str:
    seconds = max(0.0, seconds)
    h, rem = divmod(int(round(seconds)), 3600)
    m, s = divmod(rem, 60)
    if h:
        return f"{h} h {m:02d} min"
    if m:
        return f"{m} min {s:02d} s"
    return f"{s} s"

