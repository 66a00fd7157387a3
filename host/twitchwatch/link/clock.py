"""Sensor clock to wall clock: a least-squares line fitted over the whole session.

The sensor stamps samples with its own index; the host only sees when packets arrive. Each
live packet gives one point (index of its last sample, arrival wall time). A straight line
``wall = a + b * index`` fitted over *all* points absorbs the crystal's rate error (tens to
hundreds of ppm), so the error does not grow with session length; the running sums keep
memory O(1). Arrival jitter only delays packets, so the offset carries the mean latency
(a few ms on a 7.5-15 ms connection interval).

Timestamps handed out never go backwards, even when a refit moves the line.
"""

from __future__ import annotations

import numpy as np


class ClockFit:
    """Running least-squares fit of arrival wall time against sensor sample index."""

    def __init__(self, fs_hz: float) -> None:
        self.nominal_s_per_sample = 1.0 / fs_hz
        self.n = 0
        self._x0 = 0.0            # first index seen: keeps the sums well conditioned
        self._mx = 0.0            # running means and co-moments (Welford, batch-merged)
        self._my = 0.0
        self._sxx = 0.0
        self._sxy = 0.0
        self._last_index: float | None = None
        self._last_wall = -np.inf

    def set_rate(self, fs_hz: float) -> None:
        self.nominal_s_per_sample = 1.0 / fs_hz

    def add(self, index: np.ndarray | int, wall_s: np.ndarray | float) -> None:
        """Add points (sample index, wall arrival time in Unix seconds)."""
        x = np.atleast_1d(np.asarray(index, dtype=np.float64))
        y = np.atleast_1d(np.asarray(wall_s, dtype=np.float64))
        if x.size == 0:
            return
        if self.n == 0:
            self._x0 = float(x[0])
            self._y0 = float(y[0])
        x = x - self._x0
        y = y - self._y0
        m = x.size
        mx, my = float(x.mean()), float(y.mean())
        sxx = float(((x - mx) ** 2).sum())
        sxy = float(((x - mx) * (y - my)).sum())
        n = self.n
        tot = n + m
        dx, dy = mx - self._mx, my - self._my
        self._sxx += sxx + dx * dx * n * m / tot
        self._sxy += sxy + dx * dy * n * m / tot
        self._mx += dx * m / tot
        self._my += dy * m / tot
        self.n = tot

    @property
    def s_per_sample(self) -> float:
        """Fitted seconds per sample; the nominal value until the fit spans enough samples."""
        if self.n < 2 or self._sxx <= 0:
            return self.nominal_s_per_sample
        b = self._sxy / self._sxx
        # Until the points span a few seconds the slope is mostly jitter: trust the nominal.
        span = np.sqrt(self._sxx / self.n) * 2
        if span * self.nominal_s_per_sample < 5.0 or not (0.5 < b / self.nominal_s_per_sample < 2.0):
            return self.nominal_s_per_sample
        return b

    @property
    def ready(self) -> bool:
        return self.n > 0

    def wall_at(self, index: float) -> float:
        """The fitted wall time of a sample index (not forced monotonic)."""
        if self.n == 0:
            raise ValueError("no clock points yet")
        b = self.s_per_sample
        return self._y0 + self._my + b * (float(index) - self._x0 - self._mx)

    def index_at(self, wall_s: float) -> float:
        """The (fractional) sample index the sensor had at this wall time."""
        b = self.s_per_sample
        return self._x0 + self._mx + (wall_s - self._y0 - self._my) / b

    def stamp(self, index: int) -> float:
        """Wall time for a sample index, never earlier than a previous stamp of a later index."""
        t = self.wall_at(index)
        if self._last_index is not None and index >= self._last_index and t < self._last_wall:
            t = self._last_wall + (index - self._last_index) * 1e-9
        if self._last_index is None or index >= self._last_index:
            self._last_index, self._last_wall = index, t
        return t
