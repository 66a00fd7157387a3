"""Calibration to the wearer's rest, and the adaptive threshold that follows still time."""

import numpy as np
import pytest

from twitchwatch.detect import Calibration, DetectorParams, TwitchDetector, calibrate, detect
from twitchwatch.errors import ConfigError
from twitchwatch.model.motion import band_noise, movement_segment

from detect_helpers import FS, add_twitch, still_background


def test_calibration_measures_the_rest_noise_and_sets_the_threshold():
    quiet_a, quiet_g = still_background(30.0, seed=1, noise_ug=70.0)
    noisy_a, noisy_g = still_background(30.0, seed=1, noise_ug=700.0)
    cal_quiet = calibrate(quiet_a, quiet_g, FS, site="thenar", side="right")
    cal_noisy = calibrate(noisy_a, noisy_g, FS)
    assert 5.0 < cal_noisy.noise_g / cal_quiet.noise_g < 20.0      # 10x the noise density
    assert cal_quiet.site == "thenar" and cal_quiet.still_s >= 25
    params = DetectorParams()
    det = TwitchDetector(FS, params, calibration=cal_noisy)
    assert det.threshold_g == pytest.approx(max(params.threshold_floor_g, params.threshold_factor * cal_noisy.noise_g))
    assert Calibration.from_dict(cal_noisy.as_dict()) == cal_noisy


def test_calibration_refuses_a_moving_hand_with_a_hint():
    rng = np.random.default_rng(2)
    accel, gyro = still_background(30.0)
    lin, rot = movement_segment(rng, len(accel), FS, "hand_use")
    with pytest.raises(ConfigError, match="rest the thenar"):
        calibrate(accel + lin, gyro + rot, FS, site="thenar")


def test_threshold_follows_the_background_level():
    accel, gyro = still_background(300.0, seed=4)
    n = len(accel)
    accel[n // 2:] += band_noise(np.random.default_rng(5), n - n // 2, FS, 5.0, 40.0, 0.004)
    det = TwitchDetector(FS, DetectorParams())
    det.process(accel[: n // 2], gyro[: n // 2])
    quiet_thr = det.threshold_g
    det.process(accel[n // 2:], gyro[n // 2:])
    assert det.threshold_g > 3 * quiet_thr


def test_background_noise_bursts_are_not_counted_after_adapting():
    """A noisy wearer: bursts at the background's own level must not count, while twitches
    clearly above it still do."""
    rng = np.random.default_rng(11)
    accel, gyro = still_background(240.0, seed=6)
    accel += band_noise(rng, len(accel), FS, 5.0, 30.0, 0.003)
    times = [150.0, 170.0, 190.0, 210.0]
    for t in times:
        add_twitch(accel, gyro, t, peak_g=0.08, tilt_deg=0.3)
    out = detect(accel, gyro, FS, DetectorParams())
    got = np.array([t.onset / FS for t in out.twitches])
    late = got[got > 120.0]
    assert all(np.abs(late - t).min() <= 0.1 for t in times)
    assert len(late) <= len(times) + 2, f"{len(late) - len(times)} false twitches in 2 min of adapted still time"


def test_invalid_parameters_give_one_line_errors():
    with pytest.raises(ConfigError, match="release_ratio"):
        DetectorParams(release_ratio=1.5).validate(208.0)
    with pytest.raises(ConfigError, match="sample rate"):
        TwitchDetector(20.0)
    for bad, name in [(dict(train_rise_ratio=0.7), "train_rise_ratio"), (dict(train_slow_ratio=0.0), "train_slow_ratio"),
                      (dict(mask_chain_s=-0.1), "mask_chain_s"), (dict(gate_gyro_min_seen=1.5), "gate_gyro_min_seen"),
                      (dict(mask_gyro_slow_hz=60.0), "mask_gyro_slow_hz")]:
        with pytest.raises(ConfigError, match=name) as err:
            DetectorParams(**bad).validate(104.0)
        assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="unknown detector parameters"):
        DetectorParams.from_dict({"nope": 1})
    assert DetectorParams.from_dict(DetectorParams().as_dict()) == DetectorParams()
