"""Dense, partly fused trains of twitches (science.md: an episode looks like such a train lasting
seconds) are counted twitch by twitch and do not unmonitor themselves; a hand that turns while
twitch-like bursts go on stays unmonitored."""

import numpy as np
import pytest

from twitchwatch.detect import DetectorParams, detect
from twitchwatch.model.motion import rotate

from detect_helpers import FS, add_twitch, dense_train, still_background

# The rules before dense trains were handled: one rise ratio, a long refractory time, no chaining.
SPARSE_RULES = DetectorParams(train_rise_ratio=1.5, refractory_s=0.12, mask_chain_s=0.0)


def hits_and_monitored(out, times):
    got = np.array([t.onset / FS for t in out.twitches])
    hits = sum(bool(got.size) and np.abs(got - t).min() <= 0.1 for t in times)
    monitored = sum(any(s.start <= int(t * FS) < s.end for s in out.monitored) for t in times)
    return hits, len(got), monitored


@pytest.mark.parametrize("seed", range(6))
def test_a_partly_fused_train_is_counted_twitch_by_twitch(seed):
    accel, gyro, times = dense_train(seed)
    out = detect(accel, gyro, FS, DetectorParams())
    hits, found, monitored = hits_and_monitored(out, times)
    assert monitored == len(times), "the train unmonitored itself"
    assert hits >= 13, f"only {hits}/16 twitches of the train counted"
    assert found == hits, "a detection that is not one of the twitches"
    assert [e.twitch_count for e in out.episodes] == [hits]


@pytest.mark.parametrize("edges, at_least", [(False, 40), (True, 20)])
def test_without_chaining_the_train_would_unmonitor_itself(edges, at_least):
    """Guard against a vacuous test: the later twitches of a dense train rise too little above
    the train's own level to count as transients, and their tilts then look like movement. Of
    the 48 twitches of three trains, most lie in blocks next to such a block, and with edges
    (since 2.4) those are monitored; the ones in blocks that look moving still are not."""
    unmonitored = 0
    for seed in (0, 1, 2):
        accel, gyro, times = dense_train(seed)
        params = DetectorParams(mask_chain_s=0.0, gate_edges=edges)
        _, _, monitored = hits_and_monitored(detect(accel, gyro, FS, params), times)
        unmonitored += len(times) - monitored
    assert unmonitored >= at_least


def test_the_sparse_rules_would_merge_the_twitches_of_a_train():
    accel, gyro, times = dense_train(3)                # a train the gate leaves monitored either way
    new, _, _ = hits_and_monitored(detect(accel, gyro, FS, DetectorParams()), times)
    old, _, monitored = hits_and_monitored(detect(accel, gyro, FS, SPARSE_RULES), times)
    assert monitored == len(times)
    assert new >= old + 4, f"the train rule split {new} twitches, the sparse rules {old}"


def turning_hand_with_bursts(rate_hz: float):
    """A hand that turns slowly (+-20 deg/s at 0.4 Hz) for 20 s while twitch-like bursts come
    every 1/rate_hz s, from 20 to 40 s."""
    accel, gyro = still_background(60.0)
    a, b = int(20 * FS), int(40 * FS)
    rot_dps = np.zeros((b - a, 3))
    rot_dps[:, 1] = 20.0 * np.sin(2 * np.pi * 0.4 * np.arange(b - a) / FS)
    accel[a:b] = rotate(accel[a:b], -np.cumsum(np.deg2rad(rot_dps) / FS, axis=0))
    gyro[a:b] += rot_dps
    for t_s in np.arange(20.2, 39.8, 1.0 / rate_hz):
        add_twitch(accel, gyro, t_s, peak_g=0.1, tilt_deg=0.0)
    return accel, gyro


def counted_and_monitored_s(out, a_s=20.5, b_s=39.5):
    """Twitches counted and seconds monitored while the hand turns. The turn starts from rest and
    ends at rest (a sine of the rate), so its first and last half-second blocks may pass as still
    next to a movement (edges, which count twitch-shaped bursts): the interior is what is tested."""
    counted = sum(a_s <= t.onset / FS <= b_s for t in out.twitches)
    monitored = sum(max(min(s.end / FS, b_s) - max(s.start / FS, a_s), 0.0) for s in out.monitored)
    return counted, monitored


@pytest.mark.parametrize("rate_hz", [3.0, 5.0])
def test_a_turning_hand_is_movement_even_under_dense_bursts(rate_hz):
    accel, gyro = turning_hand_with_bursts(rate_hz)
    assert counted_and_monitored_s(detect(accel, gyro, FS, DetectorParams())) == (0, 0.0)


def test_a_gate_that_left_all_of_a_busy_block_out_would_be_blind():
    """Guard: with the gyro left out wherever a burst was (and the acceleration held), the
    turning hand would look still and every burst would count."""
    accel, gyro = turning_hand_with_bursts(5.0)
    counted, monitored = counted_and_monitored_s(detect(accel, gyro, FS, DetectorParams(gate_gyro_min_seen=0.0)))
    assert counted >= 50 and monitored >= 15.0
