"""Streaming candidate finder: hysteresis on the envelope, then refractory merging.

One finder per tier: the main test, and the lower second-chance tier (``second=True``, see
shape.py). It keeps the state a candidate needs across chunk boundaries and hands out each
candidate once it is complete (the envelope fell back and stayed off for the refractory time).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from .matched import Filter
from .params import Design, DetectorParams, on_off


@dataclass
class Candidate:
    onset: int
    offset: int | None          # None while the envelope is still above the release level
    peak: int
    peak_g: float
    threshold_g: float          # the tier's threshold in force at the crossing
    weights: np.ndarray         # whitening in force at the crossing (whitening.metric makes it 3x3)
    matched: Filter | None = None   # the matched filter in force at the crossing (None: undecided)
    next_onset: int | None = None   # onset of the candidate after this one, once it has begun
    in_train: bool = False      # crossed inside a dense train (slow envelope over train_slow_ratio x threshold)


class CandidateFinder:
    """Finds the candidates of one tier, chunk by chunk (the batch reference: batch._candidates)."""

    def __init__(self, d: Design, params: DetectorParams, second: bool = False) -> None:
        self._d = d
        self._params = params
        self._second = second
        self._last_on = -1                       # index of the latest sample in the 'on' zone
        self._last_off = -1                      # ... and in the 'off' zone
        self.open: Candidate | None = None       # the candidate under way (or waiting out the refractory time)
        self._previous: Candidate | None = None  # the latest candidate begun (for next_onset)

    def feed(self, i0: int, band_g: np.ndarray, env: np.ndarray, slow: np.ndarray, thr: np.ndarray,
             segments: list[tuple[int, np.ndarray, Filter | None]]) -> list[Candidate]:
        """Take the next samples (from index ``i0``); return the candidates completed by them.
        ``segments``: (chunk-relative start, whitening weights, matched filter) in force from there."""
        done: list[Candidate] = []
        n = env.size
        starts = [start for start, _, _ in segments]    # where each whitening in force begins
        on_mask, off_mask = on_off(env, slow, thr, self._params, second=self._second)   # never both
        # Hysteresis: on where the latest sample in the 'on' zone is later than the latest in the
        # 'off' zone. The twitch began where the envelope last left the 'off' zone (at most
        # backtrack_n before it crossed the threshold): the crossing itself lags the start.
        idx = np.arange(i0, i0 + n)
        last_on = np.maximum.accumulate(np.where(on_mask, idx, self._last_on))
        last_off = np.maximum.accumulate(np.where(off_mask, idx, self._last_off))
        on = last_on > last_off
        carried = self._last_on > self._last_off
        self._last_on, self._last_off = int(last_on[-1]), int(last_off[-1])
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
                    _, w, filt = segments[bisect_right(starts, a) - 1]
                    in_train = bool(slow[a] >= self._params.train_slow_ratio * thr[a])
                    level = self._params.shape_tier_share * float(thr[a]) if self._second else float(thr[a])
                    cand = self.open = self._previous = Candidate(onset, None, crossing, -1.0, level, w,
                                                                  filt, in_train=in_train)
            assert cand is not None
            lo, stop = max(a, 0), (n if b is None else b)
            if stop > lo:
                k = lo + int(band_g[lo:stop].argmax())
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
