"""The rhythm test (tremor-like bursts are not twitches), the onset estimate, and the settle
time after a movement."""

import numpy as np
import pytest

from twitchwatch.detect import DetectorParams, detect

from detect_helpers import FS, IN_PLANE, NORMAL, add_random_twitch, add_twitch, still_background


def onsets_s(out):
    return np.array([t.onset / FS for t in out.twitches])


def add_tremor_burst(accel, t_s, peak_g, freq_hz=10.0, length_s=0.5, fs=FS):
    """A short run of oscillation (physiological-tremor-like) along one direction."""
    n = int(length_s * fs)
    i = int(t_s * fs)
    t = np.arange(n) / fs
    wave = peak_g * np.hanning(n) * np.sin(2 * np.pi * freq_hz * t)
    direction = np.array([0.3, 0.2, 1.0]) / np.linalg.norm([0.3, 0.2, 1.0])
    accel[i:i + n] += wave[:, None] * direction[None, :]


def test_tremor_like_bursts_are_not_counted_but_twitches_are():
    accel, gyro = still_background(60.0)
    bursts = [20.0, 30.0, 40.0]
    twitches = [25.0, 35.0, 45.0]
    for t in bursts:
        add_tremor_burst(accel, t, peak_g=0.06)
    for t in twitches:
        add_twitch(accel, gyro, t, peak_g=0.06, tilt_deg=0.3)
    got = onsets_s(detect(accel, gyro, FS, DetectorParams()))
    assert all(np.abs(got - t).min() <= 0.1 for t in twitches), "a twitch was taken for tremor"
    assert not any(((got > t - 0.1) & (got < t + 0.6)).any() for t in bursts), "a tremor burst was counted"


def test_without_the_rhythm_test_the_bursts_would_count():
    """Guard against a vacuous test: the bursts above do cross the threshold."""
    accel, gyro = still_background(60.0)
    for t in (20.0, 30.0, 40.0):
        add_tremor_burst(accel, t, peak_g=0.06)
    got = onsets_s(detect(accel, gyro, FS, DetectorParams(rhythm_max_crossings=1000)))
    assert sum(np.abs(got - t).min() <= 0.6 for t in (20.0, 30.0, 40.0)) == 3


def test_small_twitch_onset_is_not_late():
    """The reported onset is where the envelope left the quiet zone, not the later threshold
    crossing, so even a small twitch is placed within a few tens of ms."""
    accel, gyro = still_background(60.0)
    times = [20.0, 30.0, 40.0, 50.0]
    for t in times:
        add_twitch(accel, gyro, t, peak_g=0.02, tilt_deg=0.1, contraction_s=0.07, half_relax_s=0.09)
    got = onsets_s(detect(accel, gyro, FS, DetectorParams()))
    late = onsets_s(detect(accel, gyro, FS, DetectorParams(onset_backtrack_s=0.0)))
    err = [np.abs(got - t).min() for t in times]
    err_crossing = [np.abs(late - t).min() for t in times]
    assert max(err) <= 0.04, f"onset errors {err}"
    assert np.mean(err) < np.mean(err_crossing), "backtracking should bring the onset earlier"


@pytest.mark.parametrize("gap_s, direction, edges, counted", [
    (1.2, NORMAL, True, True), (1.2, IN_PLANE, True, False), (1.2, NORMAL, False, False),
    (3.6, IN_PLANE, True, True), (3.6, NORMAL, False, True)])
def test_hand_settles_before_monitoring_resumes_fully(gap_s, direction, edges, counted):
    """After a movement the next 2 s are an edge (hands settle slowly): only a burst with a
    twitch's shape counts there, and nothing without edges; later any twitch counts."""
    accel, gyro = still_background(40.0)
    a, b = int(10 * FS), int(15 * FS)
    gyro[a:b, 2] += 20.0 * np.sin(2 * np.pi * 1.0 * np.arange(b - a) / FS)   # wrist turning to and fro
    add_twitch(accel, gyro, 15.0 + gap_s, peak_g=0.1, tilt_deg=0.3, direction=direction)
    out = detect(accel, gyro, FS, DetectorParams(gate_edges=edges))
    got = onsets_s(out)
    hit = bool(got.size) and np.abs(got - (15.0 + gap_s)).min() <= 0.1
    assert hit == counted


LOW_FS = 52.0


def large_random_twitches_at(fs_hz, seed):
    """A twitch (random shape, direction and tilt, 60-150 mg) every 5 s on a still sensor."""
    rng = np.random.default_rng(seed)
    accel, gyro = still_background(200.0, fs=fs_hz, seed=seed)
    times = np.arange(20.0, 190.0, 5.0)
    for t_s in times:
        add_random_twitch(accel, gyro, rng, t_s, rng.uniform(0.06, 0.15), fs_hz)
    return accel, gyro, times


def hit_count(out, times, fs_hz):
    got = np.array([t.onset / fs_hz for t in out.twitches])
    return sum(bool(got.size) and np.abs(got - t).min() <= 0.1 for t in times)


def test_large_twitches_pass_the_rhythm_test_at_a_low_sample_rate():
    """At 52 Hz part of a large twitch folds back into the band as fast ringing; measured against
    the twitch's own peak it does not make the twitch look like tremor."""
    found = missed_without = total = 0
    for seed in range(3):
        accel, gyro, times = large_random_twitches_at(LOW_FS, seed)
        found += hit_count(detect(accel, gyro, LOW_FS, DetectorParams()), times, LOW_FS)
        missed_without += len(times) - hit_count(
            detect(accel, gyro, LOW_FS, DetectorParams(rhythm_peak_share=0.0)), times, LOW_FS)
        total += len(times)
    assert found >= 0.93 * total, f"{found} of {total} large twitches counted at 52 Hz"
    assert missed_without >= 0.15 * total, "guard: the threshold-relative level alone should miss these"


def test_tremor_like_bursts_are_still_rejected_at_a_low_sample_rate():
    accel, gyro = still_background(60.0, fs=LOW_FS)
    bursts = [20.0, 30.0, 40.0]
    for t in bursts:
        add_tremor_burst(accel, t, peak_g=0.06, fs=LOW_FS)
    got = np.array([t.onset / LOW_FS for t in detect(accel, gyro, LOW_FS, DetectorParams()).twitches])
    counted_without = detect(accel, gyro, LOW_FS, DetectorParams(rhythm_max_crossings=1000)).twitches
    assert not any(((got > t - 0.1) & (got < t + 0.6)).any() for t in bursts), "a tremor burst was counted"
    assert len(counted_without) >= 3, "guard: the bursts cross the threshold"
