"""A recording whose start was lost (a CSV whose t_s begins after 0, a .twr whose first block
starts late) must be analysed as if it began at its first good sample: no 1 g step from the
filters' zero start, so monitoring begins as soon after the data as it would without the loss."""

import dataclasses

import numpy as np
import pytest

from twitchwatch.detect import DetectorParams, TwitchDetector, detect
from twitchwatch.detect.params import design
from twitchwatch.model.simulate import SimConfig, simulate

PARAMS = DetectorParams()


@pytest.fixture(scope="module")
def recording():
    rec, truth = simulate(SimConfig(duration_s=40.0, fs_hz=104.0, seed=21, episodes_per_hour=400,
                                    isolated_per_hour=500, movement_fraction=0.2))
    assert len(truth.twitches) >= 6, "fixture must hold twitches"
    return rec


def with_lost_start(rec, lost_n):
    pad = np.full((lost_n, 3), np.nan)
    gyro = None if rec.gyro_dps is None else np.concatenate((pad, rec.gyro_dps))
    return dataclasses.replace(rec, accel_g=np.concatenate((pad, rec.accel_g)), gyro_dps=gyro)


def shifted(out, n):
    """Sample indices of a detector output, moved n samples later."""
    return ([(t.onset + n, t.offset + n, t.peak + n, t.peak_g) for t in out.twitches],
            [(e.start + n, e.end + n, tuple(o + n for o in e.onsets)) for e in out.episodes],
            [(s.start + n, s.end + n) for s in out.monitored])


@pytest.mark.parametrize("blocks", [1, 7])
def test_lost_start_shifts_the_result_and_nothing_else(recording, blocks):
    # Lost whole blocks keep the block grid aligned with the data, so the result must be the
    # loss-free one moved later by exactly the lost samples.
    lost_n = blocks * design(PARAMS, recording.fs_hz).block_n
    ref = detect(recording.accel_g, recording.gyro_dps, recording.fs_hz, PARAMS)
    late = with_lost_start(recording, lost_n)
    got = detect(late.accel_g, late.gyro_dps, late.fs_hz, PARAMS)
    assert ref.twitches and ref.monitored
    assert shifted(got, 0) == shifted(ref, lost_n)


def test_lost_start_does_not_delay_monitoring(recording):
    # Before the fix the zero-filled start made a 1 g step that rang in the 0.2-3 Hz gate band
    # for seconds after the data began.
    block_n = design(PARAMS, recording.fs_hz).block_n
    ref = detect(recording.accel_g, recording.gyro_dps, recording.fs_hz, PARAMS)
    late = with_lost_start(recording, 3 * block_n)
    got = detect(late.accel_g, late.gyro_dps, late.fs_hz, PARAMS)
    assert got.monitored[0].start - 3 * block_n == ref.monitored[0].start


@pytest.mark.parametrize("chunk", [1, 13, 52, 200, None])
@pytest.mark.parametrize("with_gyro", [True, False])
def test_lost_start_streaming_equals_batch(recording, chunk, with_gyro):
    # 130 lost samples: with these chunk sizes the first good sample falls inside a chunk, at a
    # chunk's start, and after chunks that hold nothing but lost samples.
    rec = with_lost_start(recording, 130)
    gyro = rec.gyro_dps if with_gyro else None
    ref = detect(rec.accel_g, gyro, rec.fs_hz, PARAMS)
    det = TwitchDetector(rec.fs_hz, PARAMS, keep_trace=True)
    step = rec.n_samples if chunk is None else chunk
    tw, ep, mon, traced = [], [], [], 0
    for a in range(0, rec.n_samples, step):
        out = det.process(rec.accel_g[a:a + step], None if gyro is None else gyro[a:a + step])
        tw, ep, mon = tw + out.twitches, ep + out.episodes, mon + out.monitored
        assert out.trace.first_index == a and out.trace.band_g.size == min(step, rec.n_samples - a)
        traced += out.trace.band_g.size
    out = det.finish()
    assert (tw + out.twitches, ep + out.episodes, mon + out.monitored) == (ref.twitches, ref.episodes, ref.monitored)
    assert traced == rec.n_samples
