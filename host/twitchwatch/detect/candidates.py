"""Streaming candidate finder: hysteresis on the envelope, then refractory merging.

One finder per tier: the main test, and the lower second-chance tier (``second=True``, see
shape.py). It keeps the state a candidate needs across chunk boundaries and hands out each
candidate once it is complete (the envelope fell back and stayed off for the refractory time).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from . import whitening
from .params import Design, DetectorParams, on_off


@dataclass
class Candidate:
    onset: int
    offset: int | None          # None while the envelope is still above the release level
    peak: int
    peak_g: float
    threshold_g: float          # the tier's threshold in force at the crossing
    metric: np.ndarray          # whitening in force at onset (3x3)
    next_onset: int | None = None   # onset of the candidate after this one, once it has begun
    in_train: bool = False      # crossed inside a dense train (slow envelope over train_slow_ratio x threshold)


class CandidateFinder:
    def __init__(self, d: Design, params: DetectorParams, second: bool = False) -> None:
        self._d = d
        self._params = params
        self._second = second
        self._on = False
        self._last_off = -1                      # index of the latest sample in the 'off' zone
        self.open: Candidate | None = None       # the candidate under way (or waiting out the refractory time)
        self._previous: Candidate | None = None  # the latest candidate begun (for next_onset)

    def feed(self, i0: int, band_g: np.ndarray, env: np.ndarray, slow: np.ndarray, thr: np.ndarray,
             segments: list[tuple[int, np.ndarray]]) -> list[Candidate]:
        """Take the next samples (from index ``i0``); return the candidates completed by them."""
        done: list[Candidate] = []
        n = env.size
        starts = [start for start, _ in segments]       # where each whitening in force begins
        on_mask, off_mask = on_off(env, slow, thr, self._params, second=self._second)
        code = np.where(on_mask, 1, np.where(off_mask, 0, -1))
        last = np.maximum.accumulate(np.where(code >= 0, np.arange(n), -1))
        on = np.where(last >= 0, code[np.maximum(last, 0)] == 1, self._on)
        # The twitch began where the envelope last left the 'off' zone (at most backtrack_n
        # before it crossed the threshold): the crossing itself lags the start.
        last_off = np.maximum.accumulate(np.where(code == 0, np.arange(i0, i0 + n), self._last_off))
        self._last_off = int(last_off[-1])
        carried = self._on
        self._on = bool(on[-1])
        for a, b in _runs(on, carried):
            cand = self.open
            if a >= 0:                                   # an on-run starts in this chunk
                crossing = i0 + a
                if cand is not None and cand.offset is not None and crossing - cand.offset < self._d.refractory_n:
                    cand.offset = None                   # a re-crossing: same twitch
                else:
                    if cand is not None and cand.offset is not None:
                        done.append(cand)
                    onset = max(int(last_off[a]) + 1, crossing - self._d.backtrack_n)
                    if self._previous is not None:
                        self._previous.next_onset = onset
                    w = segments[bisect_right(starts, a) - 1][1]
                    in_train = bool(slow[a] >= self._params.train_slow_ratio * thr[a])
                    level = self._params.shape_tier_share * float(thr[a]) if self._second else float(thr[a])
                    cand = self.open = self._previous = Candidate(onset, None, crossing, -1.0, level,
                                                                  whitening.metric(w), in_train=in_train)
            assert cand is not None
            lo, stop = max(a, 0), (n if b is None else b)
            if stop > lo:
                k = lo + int(np.argmax(band_g[lo:stop]))
                if band_g[k] > cand.peak_g:
                    cand.peak, cand.peak_g = i0 + k, float(band_g[k])
            if b is not None:
                cand.offset = i0 + b
        cand = self.open
        if cand is not None and cand.offset is not None and i0 + n >= cand.offset + self._d.refractory_n:
            done.append(cand)
            self.open = None
        return done

    def close(self) -> tuple[list[Candidate], Candidate | None]:
        """End of the stream: the last complete candidate (if any), and the one still rising."""
        cand, self.open = self.open, None
        if cand is None:
            return [], None
        return ([cand], None) if cand.offset is not None else ([], cand)


def _runs(flags: np.ndarray, carried: bool) -> list[tuple[int, int | None]]:
    """Runs of True in ``flags`` as chunk-relative ``(start, end)`` pairs. ``start`` is -1 for
    a run carried in from the previous chunk, ``end`` is None for a run still open at the end."""
    edges = np.flatnonzero(np.diff(np.concatenate(([carried], flags, [False])).astype(np.int8)))
    if carried:
        edges = np.concatenate(([-1], edges))
    n = flags.size
    return [(int(a), None if b == n else int(b)) for a, b in zip(edges[::2], edges[1::2])]
