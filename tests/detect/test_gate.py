"""The motion gate marks voluntary movement unmonitored, yet never vetoes a twitch for its own tilt."""

import numpy as np
import pytest
from scipy import signal

from twitchwatch.detect import DetectorParams, detect
from twitchwatch.model.motion import movement_segment, rotate

from detect_helpers import FS, IN_PLANE, NORMAL, add_twitch, still_background


def onsets_s(out):
    return np.array([t.onset / FS for t in out.twitches])


def monitored_at(out, t_s):
    i = int(t_s * FS)
    return any(s.start <= i < s.end for s in out.monitored)


@pytest.mark.parametrize("tilt_deg", [0.5, 1.0, 2.0, 5.0])
def test_large_twitches_with_their_own_tilt_are_counted(tilt_deg):
    accel, gyro = still_background(40.0)
    times = [8.0, 8.5, 9.1, 9.5, 10.2, 20.0, 30.0]          # an episode and two isolated twitches
    for t in times:
        add_twitch(accel, gyro, t, peak_g=0.15, tilt_deg=tilt_deg)
    out = detect(accel, gyro, FS, DetectorParams())
    got = onsets_s(out)
    hits = sum(np.abs(got - t).min() <= 0.1 for t in times)
    assert hits == len(times), f"{hits}/{len(times)} twitches counted with a {tilt_deg} deg tilt each"
    assert len(got) == len(times)
    assert len(out.episodes) == 1 and out.episodes[0].twitch_count == 5
    assert all(monitored_at(out, t) for t in times)


def test_an_unmasked_gate_would_have_vetoed_them():
    """Guard against a vacuous test: a twitch's own rotation and tilt exceed the gate's limits
    over its block, so only a gate that hides the twitch from itself lets it through."""
    p = DetectorParams()
    accel, gyro = still_background(20.0)
    add_twitch(accel, gyro, 8.2, peak_g=0.15, tilt_deg=2.0)
    block = slice(int(8.0 * FS), int(9.0 * FS))
    assert np.linalg.norm(gyro[block].std(axis=0)) > 1.5 * p.gate_gyro_sd_dps
    low = signal.sosfilt(signal.butter(2, list(p.gate_low_band_hz), btype="bandpass", fs=FS, output="sos"),
                         accel - accel[0], axis=0)
    assert np.linalg.norm(low[block].std(axis=0)) > 1.5 * p.gate_accel_sd_g


def test_hand_use_is_unmonitored_and_yields_no_twitches():
    rng = np.random.default_rng(7)
    accel, gyro = still_background(60.0)
    a, b = int(20 * FS), int(40 * FS)
    lin, rot_dps = movement_segment(rng, b - a, FS, "hand_use")
    rotvec = np.cumsum(np.deg2rad(rot_dps) / FS, axis=0)
    accel[a:b] = rotate(accel[a:b], -rotvec) + lin
    accel[b:] = rotate(accel[b:], -np.tile(rotvec[-1], (len(accel) - b, 1)))
    gyro[a:b] += rot_dps
    out = detect(accel, gyro, FS, DetectorParams())
    assert not any(20.0 <= t <= 40.0 for t in onsets_s(out)), "a twitch was counted during hand use"
    assert not monitored_at(out, 30.0)
    assert monitored_at(out, 10.0) and monitored_at(out, 55.0), "still time on both sides must be monitored"
    assert len(out.twitches) == 0


def test_slow_turn_of_the_hand_is_movement_even_without_gyro():
    accel, _ = still_background(40.0)
    n0, n1 = int(15 * FS), int(17 * FS)
    angle = np.zeros(len(accel))
    angle[n0:n1] = np.linspace(0, np.deg2rad(25), n1 - n0)
    angle[n1:] = np.deg2rad(25)
    rotvec = np.zeros((len(accel), 3))
    rotvec[:, 1] = angle
    accel = rotate(accel, -rotvec)
    out = detect(accel, None, FS, DetectorParams())
    assert not monitored_at(out, 16.0)
    assert monitored_at(out, 10.0) and monitored_at(out, 30.0)


@pytest.mark.parametrize("direction, edges, counted", [(NORMAL, True, True), (IN_PLANE, True, False),
                                                      (NORMAL, False, False)])
def test_twitch_just_before_movement_counts_only_if_twitch_shaped(direction, edges, counted):
    """The decision waits for the blocks after a twitch: 0.5 s before a sustained movement
    starts, only a burst with a twitch's shape counts (an edge, since 2.4), and nothing at all
    without edges. The same in-plane twitch in the middle of still time counts."""
    accel, gyro = still_background(40.0)
    add_twitch(accel, gyro, 10.0, peak_g=0.1, tilt_deg=0.3, direction=direction)
    add_twitch(accel, gyro, 19.5, peak_g=0.1, tilt_deg=0.3, direction=direction)
    a, b = int(20 * FS), int(26 * FS)                      # the hand starts turning at 20 s
    gyro[a:b, 2] += 30.0
    angle = np.clip(np.arange(len(accel)) - a, 0, b - a) / FS * np.deg2rad(30.0)
    rotvec = np.zeros((len(accel), 3))
    rotvec[:, 2] = angle
    accel = rotate(accel, -rotvec)
    out = detect(accel, gyro, FS, DetectorParams(gate_edges=edges))
    got = onsets_s(out)
    assert np.abs(got - 10.0).min() <= 0.1
    assert (np.abs(got - 19.5) <= 0.2).any() == counted
    assert monitored_at(out, 19.5) == edges


def test_lost_samples_are_unmonitored_and_never_counted():
    accel, gyro = still_background(30.0)
    accel[int(10 * FS):int(12 * FS)] = np.nan
    out = detect(accel, gyro, FS, DetectorParams())
    assert not monitored_at(out, 11.0)
    assert not monitored_at(out, 12.5), "filters need a warm-up after a gap"
    assert monitored_at(out, 20.0)
    assert len(out.twitches) == 0, "the step at the end of the gap must not look like a twitch"
