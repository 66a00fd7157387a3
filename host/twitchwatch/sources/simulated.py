"""The simulated sensor: the default source, so everything runs without hardware.

It streams an endless simulated wear (twitches, episodes, hand use, walking, sensor noise) in
segments, keeping orientation and gyro bias continuous across segment boundaries, paced in real
time or faster. Its ground truth grows as it goes, so tests can check what the app counted.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import AsyncIterator

from ..model.simulate import SimConfig, simulate_stream
from ..model.truth import GroundTruth
from .base import SampleChunk


class SimulatedSensor:
    """A :class:`~twitchwatch.sources.base.Source` of simulated samples.

    ``speed`` is how many times faster than real time to run (``None``: as fast as possible);
    ``duration_s`` ends the stream (``None``: endless, until :meth:`stop`). Its full scale is
    the sensor firmware's default, ±4 g and ±500 dps, which holds every simulated activity.
    """

    accel_range_g = 4
    gyro_range_dps = 500

    def __init__(self, config: SimConfig = SimConfig(), speed: float | None = 1.0,
                 duration_s: float | None = None, chunk_s: float = 0.05, segment_s: float = 300.0,
                 start_wall_s: float | None = None) -> None:
        self.config = config
        self.fs_hz = config.fs_hz
        self.name = "Simulated sensor"
        self.state = "simulated"
        self.speed = speed
        self.duration_s = duration_s
        self.chunk_n = max(1, int(round(chunk_s * config.fs_hz)))
        self.segment_s = segment_s
        self.start_wall_s = time.time() if start_wall_s is None else start_wall_s
        self.truth = GroundTruth()
        self.battery_pct = 100
        self._stopped = asyncio.Event()

    def _segments(self):
        """Yield consecutive simulated segments, continuous in orientation and gyro bias."""
        for rec, truth, offset_s in simulate_stream(self.config, self.segment_s, self.duration_s):
            self._extend_truth(truth, offset_s)
            yield rec

    def _extend_truth(self, truth: GroundTruth, offset_s: float) -> None:
        base = len(self.truth.episodes)
        self.truth.episodes += [replace(e, start_s=e.start_s + offset_s, end_s=e.end_s + offset_s)
                                for e in truth.episodes]
        self.truth.twitches += [replace(t, onset_s=t.onset_s + offset_s,
                                        episode=None if t.episode is None else t.episode + base)
                                for t in truth.twitches]
        self.truth.moving += [(a + offset_s, b + offset_s) for a, b in truth.moving]

    async def chunks(self) -> AsyncIterator[SampleChunk]:
        index = 0
        t0 = time.monotonic()
        for rec in self._segments():
            for start in range(0, rec.n_samples, self.chunk_n):
                if self._stopped.is_set():
                    return
                stop = min(start + self.chunk_n, rec.n_samples)
                chunk = SampleChunk(
                    first_index=index,
                    accel_g=rec.accel_g[start:stop],
                    gyro_dps=None if rec.gyro_dps is None else rec.gyro_dps[start:stop],
                    wall_s=self.start_wall_s + index / self.fs_hz,
                )
                index += stop - start
                if self.speed is None:
                    await asyncio.sleep(0)           # let the rest of the app run
                else:
                    due = t0 + index / self.fs_hz / self.speed
                    delay = due - time.monotonic()
                    if delay > 0:
                        try:
                            await asyncio.wait_for(self._stopped.wait(), delay)
                            return
                        except asyncio.TimeoutError:
                            pass
                yield chunk
        self.state = "stopped"

    async def stop(self) -> None:
        self._stopped.set()
        self.state = "stopped"


