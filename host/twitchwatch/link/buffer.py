"""The reorder buffer between the decoder and the detector.

Samples arrive out of order (backfill answers come after later live samples) and some twice.
The buffer holds a bounded window of sensor-clock indices starting at the emit cursor, places
each sample at its index, drops duplicates, and releases rows in index order as soon as
everything before them is either present or declared lost for good (a NaN row). When the
window would overflow, the oldest unresolved samples are declared lost so memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Released:
    first_index: int
    accel_g: np.ndarray     # (n, 3), NaN rows for lost samples
    gyro_dps: np.ndarray    # (n, 3)
    lost: np.ndarray        # (n,) bool


class SampleBuffer:
    """Bounded reorder window; indices are unwrapped (64-bit) sensor-clock indices."""

    def __init__(self, window_n: int) -> None:
        self.window_n = int(window_n)
        self._accel = np.full((self.window_n, 3), np.nan)
        self._gyro = np.full((self.window_n, 3), np.nan)
        self._have = np.zeros(self.window_n, bool)   # present or declared lost
        self._lost = np.zeros(self.window_n, bool)
        self.cursor: int | None = None                # next index to release
        self.highest = 0                              # one past the highest index received
        self._overflow_release: list[Released] = []

    def start(self, first_index: int) -> None:
        self.cursor = self.highest = int(first_index)

    def insert(self, first_index: int, accel_g: np.ndarray, gyro_dps: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """Place consecutive samples from ``first_index``.

        Returns ``(new, overflow_lost)``: a bool mask over the input rows that were new (not
        duplicates, not already released), and the ranges declared lost to make room.
        """
        n = len(accel_g)
        assert self.cursor is not None, "start() first"
        idx = np.arange(first_index, first_index + n, dtype=np.int64)
        overflow: list[tuple[int, int]] = []
        end = first_index + n
        if end - self.cursor > self.window_n:
            overflow = self._force(end - self.window_n)
        inside = idx >= self.cursor
        pos = idx % self.window_n
        new = inside.copy()
        new[inside] = ~self._have[pos[inside]]
        p = pos[new]
        self._accel[p] = accel_g[new]
        self._gyro[p] = gyro_dps[new]
        self._have[p] = True
        self._lost[p] = False
        if n and end > self.highest:
            self.highest = end
        return new, overflow

    def holes(self) -> list[tuple[int, int]]:
        """Missing ``[lo, hi)`` ranges between the cursor and the highest index received."""
        assert self.cursor is not None
        n = self.highest - self.cursor
        if n <= 0:
            return []
        pos = np.arange(self.cursor, self.highest, dtype=np.int64) % self.window_n
        missing = (~self._have[pos]).astype(np.int8)
        edges = np.diff(np.concatenate(([0], missing, [0])))
        starts = np.flatnonzero(edges == 1)
        ends = np.flatnonzero(edges == -1)
        return [(self.cursor + int(a), self.cursor + int(b)) for a, b in zip(starts, ends)]

    def declare_lost(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """Mark the still-missing samples in ``[lo, hi)`` as lost; returns the ranges marked."""
        assert self.cursor is not None
        lo = max(lo, self.cursor)
        if hi <= lo:
            return []
        if hi - self.cursor > self.window_n:
            raise ValueError("declare_lost beyond the window")
        pos = np.arange(lo, hi, dtype=np.int64) % self.window_n
        missing = ~self._have[pos]
        self._have[pos[missing]] = True
        self._lost[pos[missing]] = True
        self._accel[pos[missing]] = np.nan
        self._gyro[pos[missing]] = np.nan
        if hi > self.highest:
            self.highest = hi
        m = missing.astype(np.int8)
        edges = np.diff(np.concatenate(([0], m, [0])))
        return [(lo + int(a), lo + int(b)) for a, b in
                zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))]

    def _force(self, new_cursor: int) -> list[tuple[int, int]]:
        """Declare everything missing before ``new_cursor`` lost and set it aside for release."""
        assert self.cursor is not None
        lost: list[tuple[int, int]] = []
        while self.cursor < new_cursor:
            upto = min(new_cursor, self.cursor + self.window_n)
            lost += self.declare_lost(self.cursor, upto)
            self._overflow_release.append(self._take(upto))
        return lost

    def _take(self, upto: int) -> Released:
        assert self.cursor is not None
        lo = self.cursor
        pos = np.arange(lo, upto, dtype=np.int64) % self.window_n
        out = Released(lo, self._accel[pos].copy(), self._gyro[pos].copy(), self._lost[pos].copy())
        self._have[pos] = False
        self._lost[pos] = False
        self._accel[pos] = np.nan
        self._gyro[pos] = np.nan
        self.cursor = upto
        return out

    def release(self) -> list[Released]:
        """Rows from the cursor up to the first unresolved index, in order."""
        assert self.cursor is not None
        out, self._overflow_release = self._overflow_release, []
        n = self.highest - self.cursor
        if n > 0:
            pos = np.arange(self.cursor, self.highest, dtype=np.int64) % self.window_n
            have = self._have[pos]
            k = int(np.argmin(have)) if not have.all() else n
            if k > 0:
                out.append(self._take(self.cursor + k))
        return out

    @property
    def pending(self) -> int:
        """Samples held (received or resolved) but not yet released."""
        return 0 if self.cursor is None else self.highest - self.cursor
