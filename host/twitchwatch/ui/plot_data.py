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
    t_end_s: float = 0.0                 # the newest sample's time since the session start


class EventArrays:
    """The snapshot's twitch and episode lists as arrays of sample indices, rebuilt only when
    the lists change (a few times a second at most), so a frame never loops over events in
    Python: the view keeps up to 2000 twitches, most of them long out of the window."""

    def __init__(self) -> None:
        self._tw_key: tuple | None = None
        self._ep_key: tuple | None = None
        self.twitch_onset = self.twitch_peak = np.zeros(0, dtype=np.int64)
        self.twitch_peak_g = np.zeros(0)
        self.episode_start = self.episode_end = np.zeros(0, dtype=np.int64)

    @staticmethod
    def _key(items: list) -> tuple:
        # Length plus the identity of both ends: the deques only append (and drop the oldest).
        return (len(items), id(items[0]), id(items[-1])) if items else (0,)

    def update(self, twitches: list, episodes: list) -> "EventArrays":
        key = self._key(twitches)
        if key != self._tw_key:
            self._tw_key = key
            n = len(twitches)
            self.twitch_onset = np.fromiter((tw.onset for tw in twitches), np.int64, n)
            self.twitch_peak = np.fromiter((tw.peak for tw in twitches), np.int64, n)
            self.twitch_peak_g = np.fromiter((tw.peak_g for tw in twitches), float, n)
        key = self._key(episodes)
        if key != self._ep_key:
            self._ep_key = key
            n = len(episodes)
            self.episode_start = np.fromiter((ep.start for ep in episodes), np.int64, n)
            self.episode_end = np.fromiter((ep.end for ep in episodes), np.int64, n)
        return self


def window_from_snapshot(snap: dict[str, Any], fs_hz: float, window_s: float, with_raw: bool = True,
                         events: EventArrays | None = None) -> ViewWindow:
    """The newest ``window_s`` seconds of a ``View.snapshot()``. ``with_raw=False`` skips
    the raw trace (an empty array) when it is not shown. ``events`` (kept by the caller from
    frame to frame) saves re-reading the event lists when they did not change.

    Samples before the session's first sample (the ring not yet full) are dropped rather
    than drawn as "not monitored".
    """
    t_all = snap["t_s"]
    n_window = int(round(window_s * fs_hz))
    # Times ascend, so "not before the session start" is a slice too: views, no copies.
    start = max(len(t_all) - n_window, int(np.searchsorted(t_all, 0.0)))
    keep = slice(start, len(t_all))
    t_abs = t_all[keep]
    if not len(t_abs):
        empty = np.zeros(0)
        return ViewWindow(empty, empty, empty, empty, empty, empty, [], [])
    band = snap["band_g"][keep]
    thr = snap["threshold_g"][keep]
    quiet = snap["quiet"][keep]
    first_index = int(round(float(t_abs[0]) * fs_hz))
    t_end = float(t_abs[-1])
    t_s = t_abs - t_end
    raw = np.zeros(0)
    if with_raw:
        raw = np.linalg.norm(snap["raw_g"][keep], axis=1)
        finite = np.isfinite(raw)
        if finite.any():
            raw = raw - np.median(raw[finite])
    ev = (events or EventArrays()).update(snap["twitches"], snap["episodes"])
    t_first = float(t_abs[0])
    onset_s = ev.twitch_onset / fs_hz
    sel = (onset_s >= t_first) & (onset_s <= t_end)
    twitch_t = ev.twitch_peak[sel] / fs_hz - t_end
    twitch_peak = ev.twitch_peak_g[sel]
    a_s, b_s = ev.episode_start / fs_hz, ev.episode_end / fs_hz
    sel = (b_s >= t_first) & (a_s <= t_end)
    episodes = [(float(a) - t_end, float(b) - t_end)
                for a, b in zip(np.maximum(a_s[sel], t_first), np.minimum(b_s[sel], t_end))]
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
        t_end_s=t_end,
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

    Each bucket gives two points, at its first and last sample time. Their order alternates
    with the bucket's absolute number (min then max, then max then min), so the line runs
    up one column and down the next instead of up *and* down every column: the same
    envelope with about half the pixels to stroke, the largest part of a frame's paint.

    Done here rather than by pyqtgraph's auto-downsampling because it is measurably cheaper
    per frame (a reshape, no clip-to-view pass).
    """
    n = len(y)
    k = max(1, n // max(1, buckets))
    if k == 1:
        return t_s, y
    skip = (-first_index) % k
    m = ((n - skip) // k) * k
    b0 = (first_index + skip) // k          # absolute number of the first whole bucket
    pieces = []                              # (samples, rows, absolute number of first row)
    if skip:
        pieces.append((slice(0, skip), 1, b0 - 1))
    if m:
        pieces.append((slice(skip, skip + m), m // k, b0))
    if skip + m < n:
        pieces.append((slice(skip + m, n), 1, b0 + m // k))
    t_out, y_out = [], []
    with np.errstate(invalid="ignore"):
        for sl, rows, first_bucket in pieces:
            yy = y[sl].reshape(rows, -1)
            tt = t_s[sl].reshape(rows, -1)
            lo, hi = yy.min(axis=1), yy.max(axis=1)
            odd = ((first_bucket + np.arange(rows)) & 1).astype(bool)
            pair_y = np.empty(2 * rows)
            pair_t = np.empty(2 * rows)
            pair_y[0::2] = np.where(odd, hi, lo)
            pair_y[1::2] = np.where(odd, lo, hi)
            pair_t[0::2] = tt[:, 0]
            pair_t[1::2] = tt[:, -1]
            t_out.append(pair_t)
            y_out.append(pair_y)
    return np.concatenate(t_out), np.concatenate(y_out)


def step_points(t_s: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points of a piecewise-constant series where it changes (each change as the sample
    before and the sample after, plus both ends): the same polyline as all samples, drawn
    with a handful of points. NaN runs collapse too, and still break the line."""
    n = len(y)
    if n < 3:
        return t_s, y
    a, b = y[:-1], y[1:]
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    change = np.flatnonzero(~same)                 # y[i] != y[i + 1]
    idx = np.empty(2 * len(change) + 2, dtype=np.int64)
    idx[0], idx[-1] = 0, n - 1
    idx[1:-1:2] = change
    idx[2:-1:2] = change + 1
    return t_s[idx], y[idx]
