"""Accuracy on the project's own simulated days: a regression floor, measured with the same
scoring as the benchmark (the full figures come from `twitchwatch bench accuracy`)."""

import pytest

from twitchwatch.bench.scoring import score
from twitchwatch.detect import DetectorParams
from twitchwatch.detect.summary import run_detector, summarise
from twitchwatch.model.simulate import SimConfig, simulate


@pytest.mark.parametrize("fs_hz", [104.0, 208.0, 416.0])
def test_simulated_day_accuracy(fs_hz):
    cfg = SimConfig(duration_s=3600.0, fs_hz=fs_hz, seed=77, movement_fraction=0.3,
                    episodes_per_hour=40, isolated_per_hour=60)
    rec, truth = simulate(cfg)
    params = DetectorParams()
    t = score(summarise(rec, run_detector(rec, params), params), truth)
    assert sum(t.tp) + sum(t.fn) >= 40
    assert t.sensitivity() >= 0.85
    assert t.precision() >= 0.95
    assert t.episode_f1() >= 0.85
    assert t.median_duration_error_s() <= 0.3
