"""The CSV time column to sample indices (``io._csv_time.time_to_index``), worked piece by piece
to bound memory: bit for bit the whole-array result, the same error for a bad column, and a peak
of about one array of 8 bytes per row beside ``t_s``."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twitchwatch.errors import RecordingError
from twitchwatch.io import _csv_time
from twitchwatch.io._common import check_fs
from twitchwatch.io._csv_time import FS_AGREEMENT, GRID_TOLERANCE, MAX_GAP_S, time_to_index

P = Path("t.csv")


def _whole_array_reference(t_s: np.ndarray, fs_declared: float | None, first_line: int, p: Path):
    """The whole-array version this replaced (twitchwatch 0f071cc, csv_v1._time_to_index), kept
    verbatim as the definition of the result."""
    if len(t_s) == 1:
        if fs_declared is None:
            raise RecordingError(f"{p}: a single sample cannot give the sample rate; add a line '# fs_hz=...'")
        dt = 1.0 / fs_declared
        rel = np.zeros(1)
    else:
        step = np.diff(t_s)
        bad = np.flatnonzero(step <= 0)
        if bad.size:
            i = int(bad[0]) + 1
            what = "repeats" if step[i - 1] == 0 else "goes backwards"
            raise RecordingError(
                f"{p}: line {first_line + i}: t_s {what} ({float(t_s[i])!r} after {float(t_s[i - 1])!r}); t_s must increase by one sample period per row"
            )
        med = 1.0 / fs_declared if fs_declared is not None else float(np.median(step))
        ordinary = step[np.abs(step - med) < 0.5 * med]
        dt = float(ordinary.mean()) if ordinary.size else med
        rel = t_s - t_s[0]
        span = float(np.rint(rel[-1] / dt))
        if span >= 1:
            dt = float(rel[-1]) / span
        fs_from_t = 1.0 / dt
        if fs_declared is not None and abs(fs_from_t / fs_declared - 1.0) > FS_AGREEMENT:
            raise RecordingError(
                f"{p}: header fs_hz={fs_declared:g} but t_s advances at {fs_from_t:.4g} Hz; fix the header or the time column"
            )
    idx_f = np.rint(rel / dt)
    off = np.abs(rel - idx_f * dt)
    if (off > GRID_TOLERANCE * dt).any():
        i = int(np.argmax(off > GRID_TOLERANCE * dt))
        raise RecordingError(
            f"{p}: line {first_line + i}: t_s={float(t_s[i])!r} is off the uniform grid of {dt:.6g} s steps; "
            f"samples must be uniformly spaced (gaps must skip whole sample periods)"
        )
    idx = idx_f.astype(np.int64)
    if len(idx) > 1:
        jumps = np.diff(idx)
        if (jumps < 1).any():
            i = int(np.argmax(jumps < 1)) + 1
            raise RecordingError(f"{p}: line {first_line + i}: two samples less than one period apart; t_s must be uniform")
        max_jump = int(jumps.max())
        if (max_jump - 1) * dt > MAX_GAP_S:
            i = int(np.argmax(jumps)) + 1
            raise RecordingError(
                f"{p}: line {first_line + i}: t_s jumps by {(max_jump - 1) * dt / 3600:.1f} h; split the file at the jump"
            )
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


def _outcome(fn, t_s: np.ndarray, fs_declared: float | None):
    before = t_s.copy()
    try:
        idx, fs_hz = fn(t_s, fs_declared, 7, P)
    except RecordingError as err:
        out = ("error", str(err))
    else:
        assert idx.dtype == np.int64
        out = ("ok", idx.tolist(), np.float64(fs_hz).tobytes())
    assert np.array_equal(t_s, before)                  # the caller's column is left alone
    return out


def _assert_same(t_s: np.ndarray, fs_declared: float | None, chunk_rows: int) -> tuple:
    expected = _outcome(_whole_array_reference, t_s, fs_declared)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_csv_time, "_CHUNK_ROWS", chunk_rows)
        assert _outcome(time_to_index, t_s, fs_declared) == expected
    return expected


FAULTS = ["none", "repeat", "backwards", "off_grid", "double", "huge_jump", "late_start", "unix_time"]


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 400), fs=st.sampled_from([12.5, 52.0, 100.0, 104.167, 204.8, 208.0, 1666.0]),
       decimals=st.sampled_from([3, 4, 6, None]), jitter=st.sampled_from([0.0, 0.1, 0.3]),
       lost=st.lists(st.tuples(st.integers(0, 399), st.integers(1, 60)), max_size=4),
       declared=st.sampled_from(["yes", "no", "wrong"]), fault=st.sampled_from(FAULTS + ["none"] * 4),
       fault_at=st.integers(0, 399), chunk_rows=st.sampled_from([1, 2, 3, 7, 64, 1 << 16]),
       seed=st.integers(0, 2**16))
def test_pieces_equal_the_whole_array(n, fs, decimals, jitter, lost, declared, fault, fault_at,
                                      chunk_rows, seed) -> None:
    rng = np.random.default_rng(seed)
    keep = np.ones(n + 100, bool)
    for a, m in lost:
        keep[a:a + m] = False
    sample = np.flatnonzero(keep)[:n]
    t_s = (sample + rng.uniform(-jitter, jitter, len(sample))) / fs
    k = min(fault_at, len(t_s) - 1)
    if fault == "repeat" and k:
        t_s[k] = t_s[k - 1]
    elif fault == "backwards" and k:
        t_s[k] = t_s[k - 1] - 0.5 / fs
    elif fault == "off_grid" and k:
        t_s[k] = t_s[k - 1] + 0.5 / fs
    elif fault == "double" and k:
        t_s[k] = t_s[k - 1] + 0.2 / fs
    elif fault == "huge_jump":
        t_s[k:] += 30 * 3600.0
    elif fault == "late_start":
        t_s += 17.0 / fs
    elif fault == "unix_time":
        t_s += 1.7e9
    if decimals is not None:
        t_s = np.round(t_s, decimals)
    fs_declared = {"yes": fs, "no": None, "wrong": fs * 1.05}[declared]
    _assert_same(t_s, fs_declared, chunk_rows)


@pytest.mark.parametrize("declared", [True, False])
def test_long_jittered_column_mean_step_is_bit_identical(declared: bool) -> None:
    """Many pieces (and a mean step that is a pairwise sum over ~200k steps) on a realistic column."""
    rng = np.random.default_rng(5)
    sample = np.flatnonzero(rng.random(220_000) > 0.002)       # scattered lost samples
    t_s = np.round((sample + rng.uniform(-0.05, 0.05, len(sample))) / 204.8, 4)
    out = _assert_same(t_s, 204.8 if declared else None, 4099)
    assert out[0] == "ok"


def test_each_error_is_the_first_problem_in_file_order() -> None:
    t_s = np.arange(1000) / 100.0
    t_s[700] = t_s[699]                                        # a repeat late...
    t_s[300] = t_s[299] - 0.001                                # ...after a step back early
    assert "line 307: t_s goes backwards" in _assert_same(t_s, 100.0, 64)[1]
    t_s = np.arange(1000) / 100.0
    t_s[900:] += 1e5                                           # a 28 h jump late...
    t_s[601] = t_s[600] + 0.002                                # ...and, earlier, two rows on one grid point
    msg = _assert_same(t_s, None, 64)[1]
    assert "line 608: two samples less than one period apart" in msg
    t_s = np.arange(1000) / 100.0
    t_s[200:] += 30 * 3600.0                                   # two equal 30 h jumps in different pieces:
    t_s[800:] += 30 * 3600.0                                   # the message names the first
    assert "line 207: t_s jumps by 30.0 h" in _assert_same(t_s, 100.0, 64)[1]


@pytest.mark.parametrize("declared", [100.0, None])
def test_peak_memory_is_about_one_array_per_row(declared: float | None) -> None:
    """The whole-array version peaked at ~56 bytes per row beside t_s; now the index (8) and
    pieces. Numpy reports its buffers to tracemalloc."""
    n = 2_000_000
    sample = np.arange(n + 10)
    sample = np.delete(sample, [5, 6, 7, 1_000_000])           # lost samples: not one contiguous run
    t_s = np.round(sample[:n] / 100.0, 4)
    tracemalloc.start()
    try:
        idx, fs_hz = time_to_index(t_s, declared, 2, P)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert fs_hz == pytest.approx(100.0) and idx[-1] == sample[n - 1]
    assert peak_bytes < 12 * n, f"{peak_bytes / n:.1f} bytes per row"
