"""The streaming detector must give exactly the batch reference's result at any chunk size."""

import numpy as np
import pytest

from twitchwatch.detect import Calibration, DetectorParams, TwitchDetector, detect
from twitchwatch.model.simulate import SimConfig, simulate
from twitchwatch.recording import Recording

from detect_helpers import FS, dense_train


def run_streaming(rec, params, chunk, calibration=None):
    det = TwitchDetector(rec.fs_hz, params, calibration=calibration)
    n = rec.n_samples
    step = n if chunk is None else chunk
    twitches, episodes, spans = [], [], []
    for start in range(0, n, step):
        gyro = None if rec.gyro_dps is None else rec.gyro_dps[start:start + step]
        out = det.process(rec.accel_g[start:start + step], gyro)
        twitches += out.twitches
        episodes += out.episodes
        spans += out.monitored
    out = det.finish()
    return twitches + out.twitches, episodes + out.episodes, spans + out.monitored


@pytest.fixture(scope="module")
def busy_recording():
    cfg = SimConfig(duration_s=60.0, fs_hz=208.0, seed=3, episodes_per_hour=300, isolated_per_hour=400,
                    movement_fraction=0.3)
    rec, truth = simulate(cfg)
    assert len(truth.twitches) >= 8 and truth.moving, "fixture must exercise twitches and movement"
    # Knock out a stretch of samples to exercise loss handling.
    rec.accel_g[3000:3100] = np.nan
    return rec


@pytest.mark.parametrize("chunk", [1, 7, 64, None])
def test_streaming_equals_batch(busy_recording, chunk):
    rec = busy_recording
    params = DetectorParams()
    ref = detect(rec.accel_g, rec.gyro_dps, rec.fs_hz, params)
    tw, ep, spans = run_streaming(rec, params, chunk)
    assert ref.twitches, "reference found no twitches: the test would prove nothing"
    assert ref.episodes
    assert tw == ref.twitches
    assert ep == ref.episodes
    assert spans == ref.monitored


@pytest.mark.parametrize("fs_hz", [52.0, 104.0, 416.0, 1000.0])
@pytest.mark.parametrize("chunk", [13, None])
def test_streaming_equals_batch_other_rates_no_gyro_calibrated(fs_hz, chunk):
    cfg = SimConfig(duration_s=20.0, fs_hz=fs_hz, seed=7, episodes_per_hour=500, isolated_per_hour=500,
                    movement_fraction=0.25, with_gyro=False)
    rec, _ = simulate(cfg)
    cal = Calibration(noise_g=0.0015, still_blocks=30)
    params = DetectorParams()
    ref = detect(rec.accel_g, None, fs_hz, params, calibration=cal)
    tw, ep, spans = run_streaming(rec, params, chunk, calibration=cal)
    assert ref.twitches
    assert (tw, ep, spans) == (ref.twitches, ref.episodes, ref.monitored)


@pytest.mark.parametrize("params", [DetectorParams(), DetectorParams(gate_gyro_min_seen=0.5, mask_chain_s=0.5)])
@pytest.mark.parametrize("chunk", [1, 5, 64, None])
def test_streaming_equals_batch_in_dense_trains(params, chunk):
    """Chained transients (a run of them can straddle any chunk boundary) and the train rule."""
    accel, gyro, _ = dense_train(0)
    accel[7000:7040] = np.nan
    rec = Recording(accel_g=accel, gyro_dps=gyro, fs_hz=FS)
    ref = detect(rec.accel_g, rec.gyro_dps, rec.fs_hz, params)
    unchained = detect(rec.accel_g, rec.gyro_dps, rec.fs_hz, DetectorParams(mask_chain_s=0.0))
    assert len(ref.twitches) >= 10 and ref.episodes
    assert (ref.twitches, ref.monitored) != (unchained.twitches, unchained.monitored), "no chain was exercised"
    assert run_streaming(rec, params, chunk) == (ref.twitches, ref.episodes, ref.monitored)
