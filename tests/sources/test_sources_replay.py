"""Replaying a recording: exactly the recording, in order, paced when asked, stoppable."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import numpy as np
import pytest

from twitchwatch.io import write_recording
from twitchwatch.model.simulate import SimConfig, simulate
from twitchwatch.sources.replay import ReplaySource


@pytest.fixture(scope="module")
def rec():
    r, _ = simulate(SimConfig(duration_s=20.0, seed=12))
    r.accel_g[1000:1050] = np.nan            # lost samples replay as NaN rows
    r.gyro_dps[1000:1050] = np.nan           # type: ignore[index]
    return r


async def _collect(src):
    return [c async for c in src.chunks()]


@pytest.mark.parametrize("chunk_s", [0.05, 0.013, 1.0])
def test_replay_yields_exactly_the_recording(rec, chunk_s):
    src = ReplaySource(rec, speed=None, chunk_s=chunk_s)
    chunks = asyncio.run(_collect(src))
    assert src.fs_hz == rec.fs_hz and src.name == "Replay"
    idx = 0
    for c in chunks:
        assert c.first_index == idx
        assert c.wall_s == pytest.approx(rec.start_wall_s + idx / rec.fs_hz)
        assert len(c) <= src.chunk_n
        idx += len(c)
    accel = np.concatenate([c.accel_g for c in chunks])
    gyro = np.concatenate([c.gyro_dps for c in chunks])
    np.testing.assert_array_equal(accel, rec.accel_g)       # NaN rows in the same places
    np.testing.assert_array_equal(gyro, rec.gyro_dps)
    assert src.state == "stopped"


def test_replay_from_file_without_gyro(rec, tmp_path):
    path = tmp_path / "r.csv.gz"
    write_recording(replace(rec, gyro_dps=None), path)
    src = ReplaySource(path, speed=None)
    chunks = asyncio.run(_collect(src))
    assert src.name == "Replay of r.csv.gz"
    assert all(c.gyro_dps is None for c in chunks)
    accel = np.concatenate([c.accel_g for c in chunks])
    assert accel.shape == rec.accel_g.shape
    np.testing.assert_allclose(accel, rec.accel_g, atol=1e-6)


def test_replay_pacing_lower_bound(rec):
    short = replace(rec, accel_g=rec.accel_g[:416], gyro_dps=rec.gyro_dps[:416])   # 2 s
    src = ReplaySource(short, speed=40.0)
    t0 = time.monotonic()
    arrivals = []

    async def run():
        async for c in src.chunks():
            arrivals.append((c.first_index + len(c), time.monotonic() - t0))

    asyncio.run(run())
    for end, t in arrivals:
        assert t >= end / short.fs_hz / 40.0 - 1e-3
    assert arrivals[-1][0] == 416


def test_replay_stop(rec):
    async def scenario():
        src = ReplaySource(rec, speed=1.0)          # 20 s in real time, unless stopped
        got = []

        async def consume():
            async for c in src.chunks():
                got.append(c)

        task = asyncio.create_task(consume())
        while len(got) < 2:
            await asyncio.sleep(0.01)
        await src.stop()
        await asyncio.wait_for(task, timeout=5.0)
        return src, got

    src, got = asyncio.run(scenario())
    assert src.state == "stopped" and 2 <= len(got) < 20
