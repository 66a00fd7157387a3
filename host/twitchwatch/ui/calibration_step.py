"""The calibration step (no Qt): collect about 30 s of the running stream while the wearer
rests, then let the detector build the wearer's own baseline from it
(:func:`twitchwatch.detect.calibrate`)."""

from __future__ import annotations

import asyncio

import numpy as np

from ..detect import Calibration, DetectorParams, calibrate
from ..errors import ConfigError
from ..sources.base import SampleChunk, Source


class CalibrationStep:
    """One calibration at a time; ``add_chunk`` is the feed listener, ``run`` waits for it."""

    def __init__(self, duration_s: float = 30.0) -> None:
        self.duration_s = float(duration_s)
        self._accel: list[np.ndarray] = []
        self._gyro: list[np.ndarray] = []
        self._has_gyro = True
        self._n = 0
        self._need = 0
        self._done: asyncio.Event | None = None
        self._last_message = ""

    @property
    def running(self) -> bool:
        return self._done is not None

    def add_chunk(self, chunk: SampleChunk) -> None:
        if self._done is None or self._n >= self._need:
            return
        self._accel.append(np.array(chunk.accel_g, copy=True))
        if chunk.gyro_dps is None:
            self._has_gyro = False
        else:
            self._gyro.append(np.array(chunk.gyro_dps, copy=True))
        self._n += len(chunk)
        if self._n >= self._need:
            self._done.set()

    async def run(self, source: Source, params: DetectorParams, site: str, side: str) -> Calibration | None:
        """Collect, then calibrate. Returns None when cancelled; raises ConfigError (with what
        to do) when the wearer was not still enough."""
        if self._done is not None:
            raise ConfigError("a calibration is already running; wait for it to finish")
        self._accel, self._gyro, self._has_gyro, self._n = [], [], True, 0
        fs_hz = source.fs_hz or 208.0
        self._need = int(round(self.duration_s * fs_hz))
        self._done = done = asyncio.Event()
        self._last_message = "Calibrating: stay relaxed and still…"
        try:
            await done.wait()
        finally:
            self._done = None
        if self._n < self._need:
            self._last_message = "Calibration cancelled."
            return None
        accel = np.concatenate(self._accel)[: self._need]
        gyro = np.concatenate(self._gyro)[: self._need] if self._has_gyro and self._gyro else None
        self._accel, self._gyro = [], []
        try:
            cal = calibrate(accel, gyro, source.fs_hz, params, site=site, side=side,
                            min_still_s=min(10.0, self.duration_s / 3))
        except ConfigError as exc:
            self._last_message = f"Calibration not used: {exc}."
            raise
        self._last_message = ""
        return cal

    def cancel(self) -> None:
        if self._done is not None:
            self._done.set()

    def progress(self) -> float | None:
        """Fraction collected while running, else None."""
        if self._done is None or not self._need:
            return None
        return min(1.0, self._n / self._need)

    def message(self, current: Calibration | None) -> str:
        if self._done is not None:
            left_s = max(0.0, (self._need - self._n)) / max(self._need, 1) * self.duration_s
            return f"Calibrating: stay relaxed and still… about {left_s:.0f} s left."
        if self._last_message:
            return self._last_message
        if current is None:
            return "Not calibrated: using the default baseline."
        where = " ".join(p for p in (current.side, current.site) if p)
        return (f"Calibrated{(' on ' + where) if where else ''}: rest level "
                f"{1000 * current.noise_g:.1f} mg from {current.still_s:.0f} still seconds.")
