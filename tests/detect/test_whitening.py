"""Whitening: the envelope weighs the axes by the wearer's own still-time background."""

import numpy as np
import pytest

from twitchwatch.detect import DetectorParams, calibrate, detect
from twitchwatch.detect import whitening
from twitchwatch.model.motion import band_noise

from detect_helpers import FS, add_twitch, still_background


def test_weights_invert_the_background_and_keep_its_power():
    rng = np.random.default_rng(1)
    scale = np.array([1.0, 4.0, 1.5]) * 1e-3            # a background 4x stronger along y
    x = rng.normal(size=(200_000, 3)) * scale
    cov = np.mean(whitening.products(x), axis=0)
    w = whitening.weights(np.tile(cov, (10, 1)), DetectorParams())
    white = whitening.envelope(whitening.products(x), w)
    plain = whitening.envelope(whitening.products(x), whitening.IDENTITY)
    assert np.mean(white ** 2) == pytest.approx(np.mean(plain ** 2), rel=0.01)   # total power kept
    # Each axis now carries the same share of it.
    for axis in range(3):
        unit = np.zeros((1, 3))
        unit[0, axis] = scale[axis]
        assert whitening.envelope(whitening.products(unit), w)[0] ** 2 == pytest.approx(np.mean(plain ** 2) / 3, rel=0.02)


def test_weights_stay_plain_until_enough_blocks_and_limit_a_dead_axis():
    p = DetectorParams()
    cov = np.array([1e-6, 1e-6, 1e-6, 0, 0, 0])
    assert np.array_equal(whitening.weights(np.tile(cov, (p.baseline_min_blocks - 1, 1)), p), whitening.IDENTITY)
    dead = np.array([1e-6, 1e-6, 0.0, 0, 0, 0])          # z reads nothing at all
    w = whitening.weights(np.tile(dead, (10, 1)), p)
    assert np.all(np.isfinite(w)) and w[2] <= (1 / p.whiten_floor) * 1.001


def anisotropic_background(seconds: float, seed: int = 0):
    """A still sensor whose twitch-band background is 6 mg RMS along y and 1 mg along x and z,
    like a wrist at rest (HA24 idle clips are 2-6x stronger along one axis)."""
    rng = np.random.default_rng(seed)
    accel, gyro = still_background(seconds, seed=seed)
    n = accel.shape[0]
    accel += band_noise(rng, n, FS, 3.0, 25.0, 1.0) * np.array([1e-3, 6e-3, 1e-3])
    return accel, gyro


def counted(out, times):
    got = np.array([t.onset / FS for t in out.twitches])
    return sum(bool(got.size) and np.abs(got - t).min() <= 0.1 for t in times)


def test_a_small_twitch_across_a_strong_background_axis_is_found():
    accel, gyro = anisotropic_background(180.0)
    times = np.arange(60.0, 175.0, 5.0)                   # after a minute of learning the wearer
    for t in times:
        add_twitch(accel, gyro, t, peak_g=0.018, tilt_deg=0.0)   # along z (skin normal), 18 mg
    white = counted(detect(accel, gyro, FS, DetectorParams()), times)
    plain = counted(detect(accel, gyro, FS, DetectorParams(whiten_strength=0.0)), times)
    assert white >= 0.9 * len(times), f"whitened: {white}/{len(times)}"
    assert plain <= 0.5 * len(times), f"without whitening {plain}/{len(times)}: the test would prove nothing"


def test_repeated_twitches_in_one_direction_do_not_teach_it_to_ignore_them():
    """Ten minutes of a twitch every 3 s, all along the same direction: the covariance leaves
    out the samples near transients and takes a median over blocks, so the last minutes are
    counted as fully as the first."""
    accel, gyro = anisotropic_background(600.0, seed=3)
    times = np.arange(30.0, 595.0, 3.0)
    for t in times:
        add_twitch(accel, gyro, t, peak_g=0.03, tilt_deg=0.2)
    out = detect(accel, gyro, FS, DetectorParams())
    early, late = times[times < 200], times[times > 400]
    assert counted(out, late) >= counted(out, early) - 2
    assert counted(out, late) >= 0.9 * len(late)


def test_a_calibration_carries_the_background_shape():
    accel, gyro = anisotropic_background(40.0, seed=5)
    cal = calibrate(accel, gyro, FS)
    assert cal.cov6 is not None
    assert cal.cov6[1] > 10 * cal.cov6[0]                 # y's variance well above x's
    # A detector started from it is whitened from its first block on: an 18 mg twitch along z
    # two seconds in is found, as it is not without the calibration's covariance.
    accel2, gyro2 = anisotropic_background(20.0, seed=6)
    add_twitch(accel2, gyro2, 3.0, peak_g=0.018, tilt_deg=0.0)
    p = DetectorParams(gate_settle_blocks=0, gate_guard_blocks=0, warmup_s=0.5)
    with_cov = counted(detect(accel2, gyro2, FS, p, calibration=cal), [3.0])
    without = counted(detect(accel2, gyro2, FS, p, calibration=type(cal)(cal.noise_g, cal.still_blocks)), [3.0])
    assert (with_cov, without) == (1, 0)


def test_a_coarse_channel_does_not_turn_its_steps_into_twitches():
    """An axis whose background is below its resolution (8 mg steps) looks silent; whitening
    must not blow its quantisation steps up into twitches (the eigenvalue floor)."""
    accel, gyro = anisotropic_background(300.0, seed=2)
    accel[:, 2] = np.round(accel[:, 2] / 0.008) * 0.008
    assert detect(accel, gyro, FS, DetectorParams()).twitches == []
    few = detect(accel, gyro, FS, DetectorParams(whiten_floor=0.02)).twitches
    assert len(few) >= 3, "with a low floor the steps would count: the test would prove nothing"


@pytest.mark.parametrize("size", [7, 8, 240, 241])
def test_the_memorys_median_is_numpys_to_the_bit(size):
    """The streaming memory takes the median of its windows by partitioning them in place; the
    batch reference uses np.median. Odd and even windows, with ties."""
    rng = np.random.default_rng(size)
    x = np.round(rng.lognormal(size=(50, 6, size)), 2)
    want = np.median(x, axis=-1)
    assert np.array_equal(whitening._median_last_axis(x.copy()), want)
    memory = whitening.Memory(DetectorParams(baseline_blocks=size, baseline_min_blocks=1, whiten_every_blocks=1))
    history = x[0].T                                                        # (size, 6) covariances
    after = memory.learn(np.concatenate((history, history[::-1])))
    assert np.array_equal(after[-1], whitening.weights(history[::-1], memory.params))
