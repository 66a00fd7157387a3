"""Other twitch shapes (for generalisation checks): the right size, and seen by the detector."""

import numpy as np
import pytest

from twitchwatch.detect import DetectorParams, detect
from twitchwatch.model.other_shapes import RENDER
from twitchwatch.model.simulate import SimConfig, simulate


@pytest.mark.parametrize("model", sorted(RENDER))
@pytest.mark.parametrize("fs_hz", [104.0, 416.0])
def test_shape_peak_and_length(model, fs_hz):
    rng = np.random.default_rng(3)
    for _ in range(20):
        skin = RENDER[model](rng, 0.05, fs_hz)
        assert skin.shape[1] == 3 and np.isfinite(skin).all()
        assert abs(np.linalg.norm(skin, axis=1).max() - 0.05) < 1e-9
        assert 0.03 <= skin.shape[0] / fs_hz <= 1.0


@pytest.mark.parametrize("model", sorted(RENDER))
def test_simulated_day_with_another_shape_is_counted(model):
    rec, truth = simulate(SimConfig(duration_s=300.0, fs_hz=208.0, seed=5, movement_fraction=0.0,
                                    episodes_per_hour=30, isolated_per_hour=120, peak_g_range=(0.04, 0.2),
                                    twitch_model=model))
    out = detect(rec.accel_g, rec.gyro_dps, rec.fs_hz, DetectorParams())
    got = np.array([t.onset / rec.fs_hz for t in out.twitches])
    true = [t.onset_s for t in truth.twitches]
    assert len(true) >= 10
    hits = sum(bool(got.size) and np.abs(got - t).min() <= 0.1 for t in true)
    assert hits >= 0.85 * len(true), f"{hits}/{len(true)} {model} twitches found"
    assert len(got) - hits <= 0.1 * len(got)
