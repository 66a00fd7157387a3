"""Runs a BleSensorSource against the Bumble simulated sensor for a span of sensor time."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np

from twitchwatch.ble import protocol as P
from twitchwatch.ble.sim_peripheral import Faults, PeripheralConfig, make_link_pair
from twitchwatch.ble.source import BleSensorSource, LinkParams


MAX_STEP_S = 0.02      # wall seconds the simulated sensor may advance per wake-up (4 ticks)


@dataclass
class Run:
    source: BleSensorSource
    sensor: object
    first_index: int
    accel_g: np.ndarray
    gyro_dps: np.ndarray
    walls: list
    states: set


def run_link(sensor_s: float, speed: float, faults: Faults = Faults(), inject=None,
             start_index: int = 0, wall_limit_s: float = 60.0) -> Run:
    async def main() -> Run:
        # The sensor clock runs sped up but pauses while the event loop is starved of CPU (it
        # shares the loop with the host), so a loaded CI machine cannot push it past the host.
        cfg = PeripheralConfig(speed=speed, record=True, faults=faults, start_index=start_index,
                               max_step_s=MAX_STEP_S)
        sensor, host = make_link_pair(cfg)
        await sensor.start()
        params = LinkParams(time_scale=speed, backoff_min_s=0.05, backfill_timeout_s=0.2,
                            scan_timeout_s=0.3, connect_timeout_s=2.0)
        src = BleSensorSource("TWW-SIM", bumble=host, params=params)
        chunks, states = [], set()
        want = int(sensor_s * cfg.fs_hz)
        injector = asyncio.create_task(inject(sensor)) if inject else None

        async def stop_after_injections():
            # Stop injecting first and let packets already on the air arrive, so every packet
            # the sensor injected was sent while the host was still listening.
            if injector:
                injector.cancel()
                await asyncio.sleep(0.2)
            await src.stop()

        async def consume():
            n, stopper = 0, None
            async for ch in src.chunks():     # runs until stop() has flushed everything
                states.add(src.state)
                chunks.append(ch)
                n += len(ch)
                if n >= want and stopper is None:
                    stopper = asyncio.create_task(stop_after_injections())
            if stopper is not None:
                await stopper

        try:
            await asyncio.wait_for(consume(), wall_limit_s)
        finally:
            if injector:
                injector.cancel()
            await src.stop()
            await sensor.stop()
        accel = np.concatenate([c.accel_g for c in chunks])
        gyro = np.concatenate([c.gyro_dps for c in chunks])
        return Run(src, sensor, chunks[0].first_index, accel, gyro, [c.wall_s for c in chunks], states)

    return asyncio.run(main())


def expected(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """What the sensor produced for the rows the source emitted (raw LSB), and lost mask truth."""
    start = run.sensor.cfg.start_index
    lo = run.first_index - start
    prod = run.sensor.produced()[lo: lo + len(run.accel_g)]
    delivered = run.sensor.delivered_mask(lo + len(run.accel_g))[lo:]
    return prod, ~delivered


def to_raw(run: Run) -> np.ndarray:
    """Emitted samples back to raw LSB (exact: the scale factors are the protocol's)."""
    a = run.accel_g / P.ACCEL_G_PER_LSB[2]
    g = run.gyro_dps / P.GYRO_DPS_PER_LSB[2]
    return np.round(np.hstack([a, g]))


def lost_ranges_truth(lost: np.ndarray, first_index: int) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate(([0], lost.astype(np.int8), [0])))
    return [(first_index + int(a), first_index + int(b))
            for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))]
