"""From the live session's ring buffers to what the plot draws (no Qt).

:class:`twitchwatch.session.View` keeps the last minute of the band-passed signal, threshold,
stillness and raw samples; ``View.snapshot()`` hands out copies. :func:`window_from_snapshot`
cuts the newest ``window_s`` seconds from such a snapshot and turns it into plot-ready arrays
with times relative to the newest sample, so the plot's x axis never has to move.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ViewWindow:
    """What the plot draws, with times in seconds relative to the newest sample (≤ 0)."""

    t_s: np.ndarray                      # (n,) seconds, ascending, last value 0
    band_g: np.ndarray                   # band-passed magnitude; NaN where nothing arrived yet
    raw_g: np.ndarray                    # raw magnitude minus its window median (gravity removed)
    threshold_g: np.ndarray              # the detector's live threshold
    twitch_t_s: np.ndarray               # onset of each twitch in the window
    twitch_peak_g: np.ndarray            # its peak (marker height)
    episode_spans_s: list[tuple[float, float]]
    unmonitored_spans_s: list[tuple[float, float]]
    felt_t_s: np.ndarray = field(default_factory=lambda: np.zeros(0))   # "I felt a twitch" taps
    first_index: int = 0                 # sample index of the first row (for stable decimation)


def window_from_snapshot(snap: dict[str, Any], fs_hz: float, window_s: float, with_raw: bool = True) -> ViewWindow:
    """The newest ``window_s`` seconds of a ``View.snapshot()``. ``with_raw=False`` skips
    the raw trace (an empty array) when it is not shown.

    Samples before the session's first sample (the ring not yet full) are dropped rather
    than drawn as "not monitored".
    """
    t_abs = snap["t_s"]
    n_window = int(round(window_s * fs_hz))
    keep = slice(max(0, len(t_abs) - n_window), len(t_abs))
    t_abs = t_abs[keep]
    valid = t_abs >= 0.0
    t_abs = t_abs[valid]
    band = snap["band_g"][keep][valid]
    thr = snap["threshold_g"][keep][valid]
    quiet = snap["quiet"][keep][valid]
    if not len(t_abs):
        empty = np.zeros(0)
        return ViewWindow(empty, empty, empty, empty, empty, empty, [], [])
    first_index = int(round(float(t_abs[0]) * fs_hz))
    t_end = float(t_abs[-1])
    t_s = t_abs - t_end
    raw = np.zeros(0)
    if with_raw:
        raw = np.linalg.norm(snap["raw_g"][keep][valid], axis=1)
        finite = np.isfinite(raw)
        if finite.any():
            raw = raw - np.median(raw[finite])
    t_first = float(t_abs[0])
    twitches = [tw for tw in snap["twitches"] if t_first <= tw.onset / fs_hz <= t_end]
    twitch_t = np.array([tw.peak / fs_hz - t_end for tw in twitches], dtype=float)
    twitch_peak = np.array([tw.peak_g for tw in twitches], dtype=float)
    episodes = []
    for ep in snap["episodes"]:
        a, b = ep.start / fs_hz, ep.end / fs_hz
        if b >= t_first and a <= t_end:
            episodes.append((max(a, t_first) - t_end, min(b, t_end) - t_end))
    return ViewWindow(
        t_s=t_s,
        band_g=band,
        raw_g=raw,
        threshold_g=thr,
        twitch_t_s=twitch_t,
        twitch_peak_g=twitch_peak,
        episode_spans_s=episodes,
        unmonitored_spans_s=false_runs(quiet, t_s),
        first_index=first_index,
    )


def false_runs(flag: np.ndarray, t_s: np.ndarray) -> list[tuple[float, float]]:
    """Spans of ``t_s`` where ``flag`` is False (not monitoring: moving, lost or warming up)."""
    if not len(flag):
        return []
    off = ~np.asarray(flag, dtype=bool)
    edges = np.diff(np.concatenate(([0], off.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    dt = float(t_s[1] - t_s[0]) if len(t_s) > 1 else 0.0
    return [(float(t_s[a]), float(t_s[b - 1] + dt)) for a, b in zip(starts, ends)]


def peak_decimate(t_s: np.ndarray, y: np.ndarray, buckets: int,
                  first_index: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Min/max ("peak") decimation to about ``2 * buckets`` points, keeping every spike.

    Buckets sit on a fixed grid of absolute sample indices (``first_index`` is the index of
    ``y[0]``), so as the window scrolls each bucket keeps its min/max and simply moves left:
    the envelope does not shimmer. The partial buckets at both ends are kept, so the newest
    samples show at once. A NaN (lost samples) makes its bucket NaN, so the gap still shows.

    Done here rather than by pyqtgraph's auto-downsampling because it is measurably cheaper
    per frame (a reshape, no clip-to-view pass): 1.7 ms against 4.2 ms for a 60 s window at
    208 Hz on a 900 px plot.
    """
    n = len(y)
    k = max(1, n // max(1, buckets))
    if k == 1:
        return t_s, y
    skip = (-first_index) % k
    m = ((n - skip) // k) * k
    pieces = []
    if skip:
        pieces.append((slice(0, skip), 1))
    if m:
        pieces.append((slice(skip, skip + m), m // k))
    if skip + m < n:
        pieces.append((slice(skip + m, n), 1))
    t_out, y_out = [], []
    with np.errstate(invalid="ignore"):
        for sl, rows in pieces:
            yy = y[sl].reshape(rows, -1)
            tt = t_s[sl].reshape(rows, -1)
            pair_y = np.empty(2 * rows)
            pair_t = np.empty(2 * rows)
            pair_y[0::2] = yy.min(axis=1)
            pair_y[1::2] = yy.max(axis=1)
            pair_t[0::2] = tt[:, 0]
            pair_t[1::2] = tt[:, -1]
            t_out.append(pair_t)
            y_out.append(pair_y)
    return np.concatenate(t_out), np.concatenate(y_out)
