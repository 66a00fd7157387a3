"""The simulated sensor: contiguous, continuous across its segments, paced, stoppable."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from twitchwatch.model.simulate import SimConfig
from twitchwatch.sources.simulated import SimulatedSensor

CFG = SimConfig(seed=2, movement_fraction=0.3, episodes_per_hour=200.0, isolated_per_hour=200.0)


async def _collect(src, limit: int | None = None):
    chunks, arrivals = [], []
    async for chunk in src.chunks():
        chunks.append(chunk)
        arrivals.append(time.monotonic())
        if limit is not None and len(chunks) >= limit:
            break
    return chunks, arrivals


@pytest.fixture(scope="module")
def fast_run():
    src = SimulatedSensor(CFG, speed=None, duration_s=80.0, segment_s=20.0, start_wall_s=1_700_000_000.0)
    chunks, _ = asyncio.run(_collect(src))
    accel = np.concatenate([c.accel_g for c in chunks])
    gyro = np.concatenate([c.gyro_dps for c in chunks])
    return src, chunks, accel, gyro


def test_indices_contiguous_across_segments(fast_run):
    src, chunks, accel, _ = fast_run
    fs = src.fs_hz
    assert accel.shape == (int(80 * fs), 3)
    expected = 0
    for c in chunks:
        assert c.first_index == expected
        assert c.wall_s == pytest.approx(1_700_000_000.0 + expected / fs)
        assert c.gyro_dps is not None and c.gyro_dps.shape == c.accel_g.shape
        expected += len(c)
    assert {len(c) for c in chunks[:-1]} <= {src.chunk_n, int(20 * fs) % src.chunk_n}
    assert src.state == "stopped"


def test_orientation_and_gyro_bias_continuous_at_segment_boundaries(fast_run):
    src, _, accel, gyro = fast_run
    fs = src.fs_hz
    w = int(0.25 * fs)

    def jump_mg(i: int) -> float:
        return 1000 * float(np.linalg.norm(accel[i:i + w].mean(axis=0) - accel[i - w:i].mean(axis=0)))

    boundaries = [int(k * 20 * fs) for k in (1, 2, 3)]
    for b in boundaries:
        assert jump_mg(b) < 3.0, f"low-passed accel jumps {jump_mg(b):.1f} mg at the segment boundary {b / fs} s"
        bias_jump = np.linalg.norm(gyro[b:b + w].mean(axis=0) - gyro[b - w:b].mean(axis=0))
        assert bias_jump < 0.5
    # The check has teeth: the orientation did change during the run (movement bouts), so a
    # restart at the configured initial gravity would have jumped.
    start = accel[:w].mean(axis=0)
    assert max(np.linalg.norm(accel[b - w:b].mean(axis=0) - start) for b in boundaries) > 0.02


def test_truth_grows_with_the_stream(fast_run):
    src, _, _, _ = fast_run
    truth = src.truth
    assert truth.twitches and truth.episodes and truth.moving
    assert max(t.onset_s for t in truth.twitches) > 40.0          # later segments are offset
    assert all(0 <= t.onset_s < 80.0 for t in truth.twitches)
    for i, ep in enumerate(truth.episodes):
        members = [t for t in truth.twitches if t.episode == i]
        assert len(members) == ep.twitch_count and members[0].onset_s == ep.start_s


def test_real_time_pacing_is_honoured():
    """At speed=20 a chunk never arrives before its due time (a lower bound: cannot flake)."""
    src = SimulatedSensor(CFG, speed=20.0, duration_s=3.0, segment_s=2.0)
    t_start = time.monotonic()
    chunks, arrivals = asyncio.run(_collect(src))
    fs = src.fs_hz
    end = 0
    for c, t in zip(chunks, arrivals):
        end = c.first_index + len(c)
        assert t - t_start >= end / fs / 20.0 - 1e-3
    assert end == int(3.0 * fs)
    assert arrivals == sorted(arrivals)


def test_stop_ends_iteration_promptly():
    async def scenario():
        src = SimulatedSensor(CFG, speed=1.0, duration_s=None)       # endless, real time
        got = []

        async def consume():
            async for chunk in src.chunks():
                got.append(chunk)

        task = asyncio.create_task(consume())
        while len(got) < 3:
            await asyncio.sleep(0.01)
        await src.stop()
        await asyncio.wait_for(task, timeout=5.0)    # would hang if stop were ignored
        return src, got

    src, got = asyncio.run(scenario())
    assert src.state == "stopped"
    assert 3 <= len(got) <= 10


def test_stop_as_fast_as_possible_endless():
    async def scenario():
        src = SimulatedSensor(CFG, speed=None, duration_s=None, segment_s=10.0)
        n = 0
        async for chunk in src.chunks():
            n += len(chunk)
            if n >= 15 * src.fs_hz:      # into the second segment
                await src.stop()
        return n

    n = asyncio.run(asyncio.wait_for(scenario(), timeout=30.0))
    assert 15 * 208 <= n <= 15 * 208 + 11
