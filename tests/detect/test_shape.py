"""Shape (detector 2.3, shape.py). The second chance: a burst the main test did not take at all
counts if, found again at the lower tier, it moved the skin along one line close to the skin
normal (the sensor's z axis). The veto: a burst the main test took does not count if it moved
the skin neither along one line nor along z."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twitchwatch.detect import DetectorParams, TwitchDetector, detect
from twitchwatch.detect.shape import shape_shares, twitch_shaped
from twitchwatch.errors import ConfigError
from twitchwatch.model.twitch import TwitchShape, render

from detect_helpers import FS, still_background, streamed

OFF = DetectorParams(shape_tier_share=0.0)
NO_VETO = DetectorParams(shape_veto_line_share=0.0)
NORMAL = (0.1, 0.1, 1.0)        # close to the skin normal (sensor z)
IN_PLANE = (1.0, 0.2, 0.1)      # along the skin


def add_small_twitch(accel, t_s, peak_g, direction):
    """A model twitch without tilt. On the still background the threshold is its 5 mg floor:
    a 6 mg twitch's envelope stays under it but over the second chance's tier."""
    shape = TwitchShape(contraction_s=0.05, half_relax_s=0.07, peak_g=peak_g, tilt_deg=0.0, direction=direction)
    skin, _, _ = render(shape, FS)
    i = int(t_s * FS)
    accel[i:i + len(skin)] += skin[:len(accel) - i]
    return i


def add_tremor(accel, t_s, amp_g, freq_hz, seconds, direction):
    t = np.arange(int(seconds * FS)) / FS
    burst = amp_g * np.sin(2 * np.pi * freq_hz * t) * np.hanning(t.size)
    d = np.asarray(direction) / np.linalg.norm(direction)
    i = int(t_s * FS)
    accel[i:i + t.size] += burst[:, None] * d[None, :]


def onsets_s(out):
    return [tw.onset / FS for tw in out.twitches]


@pytest.mark.parametrize("peak_g", [0.005, 0.006])
def test_small_twitches_along_the_skin_normal_are_counted_by_the_second_chance(peak_g):
    accel, gyro = still_background(40.0)
    times = [15.0, 20.0, 25.0]
    for t in times:
        add_small_twitch(accel, t, peak_g, NORMAL)
    assert detect(accel, gyro, FS, OFF).twitches == [], "the main test alone must miss them (else this tests nothing)"
    out = detect(accel, gyro, FS, DetectorParams())
    got = onsets_s(out)
    assert len(got) == 3
    assert all(abs(g - t) <= 0.1 for g, t in zip(got, times))
    assert [tw.rule for tw in out.twitches] == ["second"] * 3


def test_the_same_twitches_along_the_skin_are_left_to_the_main_test():
    accel, gyro = still_background(40.0)
    for t in (15.0, 20.0, 25.0):
        add_small_twitch(accel, t, 0.006, IN_PLANE)
    assert detect(accel, gyro, FS, DetectorParams()).twitches == []


def test_a_burst_that_swings_between_directions_is_not_twitch_shaped():
    """Two small twitches 40 ms apart, one along z and one along x: not along one line."""
    accel, gyro = still_background(40.0)
    add_small_twitch(accel, 20.0, 0.006, (0.0, 0.0, 1.0))
    add_small_twitch(accel, 20.04, 0.006, (1.0, 0.0, 0.0))
    assert detect(accel, gyro, FS, DetectorParams()).twitches == []
    # ... while the z one alone would have counted.
    single, gyro1 = still_background(40.0)
    add_small_twitch(single, 20.0, 0.006, (0.0, 0.0, 1.0))
    assert len(detect(single, gyro1, FS, DetectorParams()).twitches) == 1


def test_a_burst_the_main_test_rejected_is_not_rescued():
    """A tremor-like burst along z over the threshold: the main test takes it as a candidate and
    rejects it (rhythm); the second chance sees the same burst and must leave it alone."""
    accel, gyro = still_background(40.0)
    add_tremor(accel, 20.0, 0.02, 12.0, 0.6, NORMAL)
    assert detect(accel, gyro, FS, OFF).twitches == []
    assert detect(accel, gyro, FS, OFF.__class__(rhythm_max_crossings=99, shape_tier_share=0.0)).twitches, \
        "the main test must see the burst (else this tests nothing)"
    assert detect(accel, gyro, FS, DetectorParams()).twitches == []


def test_a_small_tremor_burst_fails_the_second_chances_rhythm_test():
    accel, gyro = still_background(40.0)
    add_tremor(accel, 20.0, 0.006, 12.0, 0.6, NORMAL)
    assert detect(accel, gyro, FS, DetectorParams(rhythm_max_crossings=99)).twitches, \
        "without the rhythm test the second chance would count it (else this tests nothing)"
    assert detect(accel, gyro, FS, DetectorParams()).twitches == []


def _two_way_burst(peak_a, dir_a, peak_b, dir_b, lag_s=0.04):
    accel, gyro = still_background(40.0)
    add_small_twitch(accel, 20.0, peak_a, dir_a)
    add_small_twitch(accel, 20.0 + lag_s, peak_b, dir_b)
    return accel, gyro


def test_a_burst_neither_along_one_line_nor_along_z_is_vetoed():
    accel, gyro = _two_way_burst(0.02, (1.0, 0.0, 0.1), 0.02, (0.0, 1.0, 0.1))
    assert len(detect(accel, gyro, FS, NO_VETO).twitches) == 1, "the main test must take it (else this tests nothing)"
    assert detect(accel, gyro, FS, DetectorParams()).twitches == []


@pytest.mark.parametrize("burst", [
    ((0.02, (1.0, 0.2, 0.1)), None),                            # in the skin's plane, along one line
    ((0.02, (0.1, 0.1, 1.0)), (0.012, (1.0, 0.0, 0.0))),        # two ways, but mostly along z
], ids=["in-plane line", "mostly z"])
def test_twitch_like_bursts_are_not_vetoed(burst):
    (pa, da), second = burst
    if second is None:
        accel, gyro = still_background(40.0)
        add_small_twitch(accel, 20.0, pa, da)
    else:
        accel, gyro = _two_way_burst(pa, da, *second)
    assert len(detect(accel, gyro, FS, DetectorParams()).twitches) == 1


def test_shape_shares():
    t = np.linspace(0, 1, 50)
    line = np.outer(np.sin(7 * t), [0.0, 0.6, 0.8])
    normal, share = shape_shares(line, line[10])
    assert normal == pytest.approx(0.8)
    assert share == pytest.approx(1.0)
    circle = np.column_stack((np.cos(2 * np.pi * t[:-1]), np.sin(2 * np.pi * t[:-1]), np.zeros(49)))
    assert shape_shares(circle, circle[0])[1] == pytest.approx(0.5, abs=0.01)
    assert shape_shares(np.zeros((5, 3)), np.zeros(3)) == (0.0, 0.0)
    assert twitch_shaped(line, line[10], 0.8 - 1e-9, 0.95)
    assert not twitch_shaped(line, line[10], 0.81, 0.95)


@pytest.mark.parametrize("bad", [{"shape_tier_share": 1.5}, {"shape_tier_share": -0.1},
                                 {"shape_tier_rise_ratio": 0.5}, {"shape_min_line_share": 2.0},
                                 {"shape_veto_line_share": -1.0}, {"shape_veto_normal_share": 1.1}])
def test_bad_second_chance_settings_are_refused(bad):
    with pytest.raises(ConfigError):
        DetectorParams(**bad).validate(FS)


# ---- streaming equals batch, with second chances and vetoes near every boundary -------------

def _busy_second_chance_recording():
    accel, gyro = still_background(36.0, seed=5)
    rng = np.random.default_rng(7)
    t = 8.0
    while t < 35.0:
        kind = rng.integers(5)
        if kind == 0:
            add_small_twitch(accel, t, rng.uniform(0.005, 0.007), NORMAL)
        elif kind == 1:
            add_small_twitch(accel, t, rng.uniform(0.005, 0.007), IN_PLANE)
        elif kind == 2:
            add_small_twitch(accel, t, rng.uniform(0.012, 0.03), NORMAL)        # the main test's
        elif kind == 3:
            add_tremor(accel, t, rng.uniform(0.006, 0.02), 12.0, 0.5, NORMAL)
        else:                                                                   # for the veto
            add_small_twitch(accel, t, rng.uniform(0.015, 0.03), (1.0, 0.0, 0.1))
            add_small_twitch(accel, t + 0.04, rng.uniform(0.015, 0.03), (0.0, 1.0, 0.1))
        t += rng.uniform(0.35, 1.2)
    add_small_twitch(accel, 35.85, 0.006, NORMAL)         # still relaxing when the stream ends
    return accel, gyro


ACCEL, GYRO = _busy_second_chance_recording()
PARAMS = DetectorParams(baseline_min_blocks=2)


def _streamed(accel, gyro, bounds):
    return streamed(TwitchDetector(FS, PARAMS), accel, gyro, bounds)


def test_the_busy_recording_exercises_the_second_chance_and_the_veto():
    with_it = set(detect(ACCEL, GYRO, FS, PARAMS).twitches)
    no_second = set(detect(ACCEL, GYRO, FS, DetectorParams(baseline_min_blocks=2, shape_tier_share=0.0)).twitches)
    no_veto = set(detect(ACCEL, GYRO, FS, DetectorParams(baseline_min_blocks=2, shape_veto_line_share=0.0)).twitches)
    assert len(with_it - no_second) >= 5
    assert no_second <= with_it, "the second chance must only add"
    assert len(no_veto - with_it) >= 3
    assert with_it <= no_veto, "the veto must only remove"
    assert detect(ACCEL, GYRO, FS, PARAMS).episodes


@pytest.mark.parametrize("chunk", [1, 6, 50, 417, None])
def test_streaming_equals_batch_with_shape_decisions(chunk):
    n = ACCEL.shape[0]
    step = n if chunk is None else chunk
    ref = detect(ACCEL, GYRO, FS, PARAMS)
    assert _streamed(ACCEL, GYRO, list(range(0, n, step)) + [n]) == (ref.twitches, ref.episodes, ref.monitored)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(1, ACCEL.shape[0] - 1), max_size=30, unique=True),
       with_gyro=st.booleans(), end_s=st.floats(20.0, 36.0))
def test_any_chunking_equals_batch_with_shape_decisions(cuts, with_gyro, end_s):
    n = int(end_s * FS)
    accel, gyro = ACCEL[:n], (GYRO[:n] if with_gyro else None)
    ref = detect(accel, gyro, FS, PARAMS)
    bounds = [0] + sorted(c for c in cuts if c < n) + [n]
    assert _streamed(accel, gyro, bounds) == (ref.twitches, ref.episodes, ref.monitored)
