"""The CSV time column (``t_s``) mapped to sample indices on a uniform grid, shared by ``read_csv``
and ``scan_csv``.

The work is done on pieces of ``_CHUNK_ROWS`` rows: a week at 100 Hz has 60 M rows, and a few
full-length float64 temporaries (steps, offsets from t_s[0], rounded indices, ...) would cost
about 60 bytes per row. Beside the caller's ``t_s`` this holds one full-length array at a time
(the steps kept for the mean, then the index), 8 bytes per row. Every value is computed by the
same numpy operations on the same numbers as a whole-array version would, so the results (and
the mean step, whose pairwise summation depends on the array it runs over) are bit for bit the
same, and so is the error for a bad file (the first bad row of the first kind of problem).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import RecordingError
from ._common import check_fs

#: A step in t_s is a gap when it is a whole number of sample periods within this fraction.
GRID_TOLERANCE = 0.25
#: Refuse to invent more than this much missing time in one jump (a unit or clock mistake).
MAX_GAP_S = 24 * 3600.0
#: Header fs_hz and the rate t_s implies must agree within this fraction.
FS_AGREEMENT = 0.01

#: Rows per piece: big enough that numpy's per-call cost vanishes, small enough (0.5 MB per
#: float64 temporary) to be noise beside the full-length arrays.
_CHUNK_ROWS = 1 << 16


def time_to_index(t_s: np.ndarray, fs_declared: float | None, first_line: int, p: Path) -> tuple[np.ndarray, float]:
    """Map each row's t_s to an integer sample index on a uniform grid; return (index, fs_hz).

    ``first_line`` is the file line of row 0, for messages. ``t_s`` is not modified.
    """
    if len(t_s) == 1:
        if fs_declared is None:
            raise RecordingError(f"{p}: a single sample cannot give the sample rate; add a line '# fs_hz=...'")
        dt = 1.0 / fs_declared
    else:
        dt = _fit_period(t_s, fs_declared, first_line, p)
    idx = _grid_index(t_s, dt, first_line, p)
    _check_jumps(idx, dt, first_line, p)
    # t_s counts from the start of the recording: a first row after 0 means the start was lost.
    lead = float(np.rint(t_s[0] / dt))
    if abs(t_s[0] - lead * dt) <= GRID_TOLERANCE * dt and 0 <= lead * dt <= MAX_GAP_S:
        idx += int(lead)
    else:
        raise RecordingError(
            f"{p}: line {first_line}: t_s starts at {float(t_s[0])!r}; t_s must count seconds from the start of the "
            f"recording (put the wall-clock start in a '# start_wall_s=' line)"
        )
    fs_hz = fs_declared if fs_declared is not None else check_fs(1.0 / dt, f"{p}: sample rate from t_s")
    return idx, fs_hz


def _steps(t_s: np.ndarray, start: int) -> np.ndarray:
    """``np.diff(t_s)[start:start + _CHUNK_ROWS]``."""
    stop = min(start + _CHUNK_ROWS, len(t_s) - 1)
    return t_s[start + 1:stop + 1] - t_s[start:stop]


def _fit_period(t_s: np.ndarray, fs_declared: float | None, first_line: int, p: Path) -> float:
    """The sample period t_s implies (at least two rows); refuses time that does not increase."""
    n_steps = len(t_s) - 1
    kept = np.empty(n_steps)                   # the steps, then the ordinary ones, front-packed
    for start in range(0, n_steps, _CHUNK_ROWS):
        step = _steps(t_s, start)
        bad = np.flatnonzero(step <= 0)
        if bad.size:
            i = start + int(bad[0]) + 1
            what = "repeats" if step[i - 1 - start] == 0 else "goes backwards"
            raise RecordingError(
                f"{p}: line {first_line + i}: t_s {what} ({float(t_s[i])!r} after {float(t_s[i - 1])!r}); t_s must increase by one sample period per row"
            )
        kept[start:start + len(step)] = step
    # Timestamps are printed with few decimals, so one step (0.0049 s for 204.8 Hz) is too
    # coarse: average the ordinary steps (their sum telescopes to the span of each run), then
    # refine over the whole span.
    # A declared rate is the better first guess: with many gaps the median step may span
    # several periods. The median may reorder `kept`: the steps are taken again below.
    med = 1.0 / fs_declared if fs_declared is not None else float(np.median(kept, overwrite_input=True))
    n_ordinary = 0
    for start in range(0, n_steps, _CHUNK_ROWS):
        step = _steps(t_s, start)
        ordinary = step[np.abs(step - med) < 0.5 * med]
        kept[n_ordinary:n_ordinary + len(ordinary)] = ordinary
        n_ordinary += len(ordinary)
    # One contiguous array of the ordinary steps, in file order: the same pairwise sum as ever.
    dt = float(kept[:n_ordinary].mean()) if n_ordinary else med
    del kept
    rel_last = t_s[-1] - t_s[0]
    span = float(np.rint(rel_last / dt))
    if span >= 1:
        dt = float(rel_last) / span
    fs_from_t = 1.0 / dt
    if fs_declared is not None and abs(fs_from_t / fs_declared - 1.0) > FS_AGREEMENT:
        raise RecordingError(
            f"{p}: header fs_hz={fs_declared:g} but t_s advances at {fs_from_t:.4g} Hz; fix the header or the time column"
        )
    return dt


def _grid_index(t_s: np.ndarray, dt: float, first_line: int, p: Path) -> np.ndarray:
    """Each row's index on the grid of period ``dt`` from t_s[0]; refuses a row off the grid."""
    idx = np.empty(len(t_s), np.int64)
    for start in range(0, len(t_s), _CHUNK_ROWS):
        rel = t_s[start:start + _CHUNK_ROWS] - t_s[0]
        idx_f = np.rint(rel / dt)
        off = np.abs(rel - idx_f * dt)
        if (off > GRID_TOLERANCE * dt).any():
            i = start + int(np.argmax(off > GRID_TOLERANCE * dt))
            raise RecordingError(
                f"{p}: line {first_line + i}: t_s={float(t_s[i])!r} is off the uniform grid of {dt:.6g} s steps; "
                f"samples must be uniformly spaced (gaps must skip whole sample periods)"
            )
        idx[start:start + len(idx_f)] = idx_f
    return idx


def _check_jumps(idx: np.ndarray, dt: float, first_line: int, p: Path) -> None:
    """Refuse two rows on one grid point, then (only if there is none) a jump of more than MAX_GAP_S."""
    first_short = None                         # row after the first jump of less than one period
    max_jump, max_at = 1, 0                    # the largest jump and the row after its first occurrence
    first_chunk = True
    for start in range(0, len(idx) - 1, _CHUNK_ROWS):
        jumps = _steps(idx, start)
        if first_short is None and (jumps < 1).any():
            first_short = start + int(np.argmax(jumps < 1)) + 1
        top = int(jumps.max())
        if first_chunk or top > max_jump:     # strictly greater: argmax names the first largest jump
            max_jump, max_at = top, start + int(np.argmax(jumps)) + 1
        first_chunk = False
    if first_short is not None:
        raise RecordingError(f"{p}: line {first_line + first_short}: two samples less than one period apart; t_s must be uniform")
    if (max_jump - 1) * dt > MAX_GAP_S:
        raise RecordingError(
            f"{p}: line {first_line + max_at}: t_s jumps by {(max_jump - 1) * dt / 3600:.1f} h; split the file at the jump"
        )
