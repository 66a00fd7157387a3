"""Replay a recording file (or a Recording) as a source, in real time or as fast as possible."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import AsyncIterator

from ..recording import Recording
from .base import SampleChunk


class ReplaySource:
    """A :class:`~twitchwatch.sources.base.Source` that plays back a recording.

    ``speed`` is how many times faster than real time (``None``: as fast as possible).
    """

    def __init__(self, recording: Recording | str | Path, speed: float | None = 1.0, chunk_s: float = 0.05) -> None:
        if not isinstance(recording, Recording):
            from ..io import read_recording    # the file formats live in io/
            path = Path(recording)
            recording = read_recording(path)
            self.name = f"Replay of {path.name}"
        else:
            self.name = "Replay"
        self.recording = recording
        self.fs_hz = recording.fs_hz
        self.state = "replay"
        self.speed = speed
        self.chunk_n = max(1, int(round(chunk_s * recording.fs_hz)))
        self._stopped = asyncio.Event()
        self._full_scale: tuple[int, int] | None = None

    @property
    def accel_range_g(self) -> int:
        """The smallest sensor full scale (±g) that holds the recording's peaks."""
        return self._scale()[0]

    @property
    def gyro_range_dps(self) -> int:
        """The smallest sensor full scale (±dps) that holds the recording's peaks."""
        return self._scale()[1]

    def _scale(self) -> tuple[int, int]:
        if self._full_scale is None:
            from ..io import smallest_full_scale

            self._full_scale = smallest_full_scale(self.recording.accel_g, self.recording.gyro_dps)
        return self._full_scale

    async def chunks(self) -> AsyncIterator[SampleChunk]:
        rec = self.recording
        wall0 = rec.start_wall_s if rec.start_wall_s is not None else time.time()
        t0 = time.monotonic()
        for start in range(0, rec.n_samples, self.chunk_n):
            if self._stopped.is_set():
                return
            stop = min(start + self.chunk_n, rec.n_samples)
            if self.speed is None:
                await asyncio.sleep(0)
            else:
                delay = t0 + stop / rec.fs_hz / self.speed - time.monotonic()
                if delay > 0:
                    try:
                        await asyncio.wait_for(self._stopped.wait(), delay)
                        return
                    except asyncio.TimeoutError:
                        pass
            yield SampleChunk(start, rec.accel_g[start:stop],
                              None if rec.gyro_dps is None else rec.gyro_dps[start:stop],
                              wall0 + start / rec.fs_hz)
        self.state = "stopped"

    async def stop(self) -> None:
        self._stopped.set()
        self.state = "stopped"
