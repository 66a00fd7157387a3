"""Edges of a movement (since 2.4): still blocks with a movement on one side only are monitored,
but there only bursts with a twitch's shape count; a short pause between two movements stays
unmonitored. The streaming detector decides edges as the batch reference does."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twitchwatch.detect import DetectorParams, TwitchDetector, detect
from twitchwatch.model.motion import rotate

from detect_helpers import FS, IN_PLANE, NORMAL, add_twitch, still_background, streamed

# Wrist turns to and fro (s): two lone ones, then two with a 1.5 s pause between them.
MOVEMENTS_S = ((10.0, 13.0), (26.0, 28.0), (40.0, 42.0), (43.5, 46.0))
# The gate's 0.2-3 Hz band rings for about a second after a turn, so the first movement's blocks
# end at 14 s and the second's at 29 s; the edges are 2 s after and 1.5 s before them.
EDGE_NORMAL_S = (14.4, 15.3, 25.3)      # after the first movement, before the second
EDGE_IN_PLANE_S = (29.6,)               # after the second movement
CORE_S = {5.0: NORMAL, 20.0: IN_PLANE, 34.0: NORMAL, 52.0: IN_PLANE}
PAUSE_S = 42.7                          # between the last two movements
# 6 mg twitches along z: only the second chance finds them (test_shape.py), and it does not
# look next to a movement.
SMALL_EDGE_S, SMALL_CORE_S = 24.6, 36.0


def _turn(accel, gyro, a_s, b_s):
    """Turn the wrist to and fro about x (+-20 deg/s at 1 Hz): the gyro and gravity both show it."""
    a, b = int(a_s * FS), int(b_s * FS)
    rate_dps = 20.0 * np.sin(2 * np.pi * 1.0 * np.arange(b - a) / FS)
    rotvec = np.zeros((b - a, 3))
    rotvec[:, 0] = np.cumsum(np.deg2rad(rate_dps)) / FS
    accel[a:b] = rotate(accel[a:b], -rotvec)
    gyro[a:b, 0] += rate_dps


def _recording():
    accel, gyro = still_background(60.0)
    for a_s, b_s in MOVEMENTS_S:
        _turn(accel, gyro, a_s, b_s)
    for t_s in EDGE_NORMAL_S + (PAUSE_S,):
        add_twitch(accel, gyro, t_s, peak_g=0.08, tilt_deg=0.3, direction=NORMAL)
    for t_s in EDGE_IN_PLANE_S:
        add_twitch(accel, gyro, t_s, peak_g=0.08, tilt_deg=0.3, direction=IN_PLANE)
    for t_s, direction in CORE_S.items():
        add_twitch(accel, gyro, t_s, peak_g=0.08, tilt_deg=0.3, direction=direction)
    for t_s in (SMALL_EDGE_S, SMALL_CORE_S):
        add_twitch(accel, gyro, t_s, peak_g=0.006, tilt_deg=0.0, direction=NORMAL)
    return accel, gyro


ACCEL, GYRO = _recording()


def _counted(out, t_s):
    got = np.array([t.onset / FS for t in out.twitches])
    return bool(got.size) and bool(np.abs(got - t_s).min() <= 0.1)


def _monitored(out, t_s):
    i = int(t_s * FS)
    return any(s.start <= i < s.end for s in out.monitored)


@pytest.mark.parametrize("with_gyro", [True, False])
def test_edges_count_twitch_shaped_bursts_only(with_gyro):
    gyro = GYRO if with_gyro else None
    out = detect(ACCEL, gyro, FS, DetectorParams())
    off = detect(ACCEL, gyro, FS, DetectorParams(gate_edges=False))
    for t_s in EDGE_NORMAL_S:
        assert _monitored(out, t_s) and _counted(out, t_s), f"the twitch at {t_s} s next to a movement"
        assert not _monitored(off, t_s) and not _counted(off, t_s)
    for t_s in EDGE_IN_PLANE_S:
        assert _monitored(out, t_s) and not _counted(out, t_s), "an in-plane burst next to a movement counted"
    for t_s in CORE_S:
        assert _counted(out, t_s) and _counted(off, t_s), f"the twitch at {t_s} s in still time"
    assert _counted(out, SMALL_CORE_S) and not _counted(out, SMALL_EDGE_S), "the second chance next to a movement"
    assert len(out.twitches) == len(EDGE_NORMAL_S) + len(CORE_S) + 1, "a burst of the movements themselves counted"
    # The JSON says which test counted each (docs/analyze-json.md); the streaming-equals-batch
    # tests below compare the rule too.
    def rule_at(t_s):
        return min(out.twitches, key=lambda t: abs(t.onset / FS - t_s)).rule
    assert [rule_at(t_s) for t_s in EDGE_NORMAL_S] == ["edge"] * len(EDGE_NORMAL_S)
    assert [rule_at(t_s) for t_s in CORE_S] == ["main"] * len(CORE_S)
    assert rule_at(SMALL_CORE_S) == "second"
    assert "edge" not in {t.rule for t in off.twitches}, "no edges when edges are off"


def test_a_short_pause_between_movements_stays_unmonitored():
    out = detect(ACCEL, GYRO, FS, DetectorParams())
    assert not _monitored(out, PAUSE_S) and not _counted(out, PAUSE_S)
    for a_s, b_s in MOVEMENTS_S:
        assert not any(_monitored(out, t_s) for t_s in np.arange(a_s + 0.5, b_s - 0.5, 0.1)), "a movement monitored"


def test_edges_add_monitored_time_next_to_movements_only():
    out = detect(ACCEL, GYRO, FS, DetectorParams())
    off = detect(ACCEL, GYRO, FS, DetectorParams(gate_edges=False))
    mon = np.zeros(ACCEL.shape[0], dtype=bool)
    mon_off = np.zeros_like(mon)
    for spans, flags in ((out.monitored, mon), (off.monitored, mon_off)):
        for s in spans:
            flags[s.start:s.end] = True
    assert (mon_off <= mon).all(), "edges must only add monitored time"
    # The settle blocks (2 s) after the start's warm-up and after each of the three movements
    # (the last two, with their short pause, are one), and the guard blocks (1.5 s) before each.
    assert (mon & ~mon_off).sum() / FS == 4 * 2.0 + 3 * 1.5


@pytest.mark.parametrize("chunk", [1, 7, 50, 417, None])
@pytest.mark.parametrize("with_gyro", [True, False])
def test_streaming_equals_batch_next_to_movements(chunk, with_gyro):
    gyro = GYRO if with_gyro else None
    n = ACCEL.shape[0]
    step = n if chunk is None else chunk
    ref = detect(ACCEL, gyro, FS, DetectorParams())
    got = streamed(TwitchDetector(FS, DetectorParams()), ACCEL, gyro, list(range(0, n, step)) + [n])
    assert got == (ref.twitches, ref.episodes, ref.monitored)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(1, ACCEL.shape[0] - 1), max_size=30, unique=True),
       with_gyro=st.booleans(), end_s=st.floats(14.0, 60.0), edges=st.booleans())
def test_any_chunking_equals_batch_next_to_movements(cuts, with_gyro, end_s, edges):
    n = int(end_s * FS)
    accel, gyro = ACCEL[:n], (GYRO[:n] if with_gyro else None)
    params = DetectorParams(gate_edges=edges)
    ref = detect(accel, gyro, FS, params)
    bounds = [0] + sorted(c for c in cuts if c < n) + [n]
    assert streamed(TwitchDetector(FS, params), accel, gyro, bounds) == (ref.twitches, ref.episodes, ref.monitored)


def test_gate_edges_must_be_true_or_false():
    from twitchwatch.errors import ConfigError
    with pytest.raises(ConfigError, match="gate_edges must be true or false"):
        DetectorParams(gate_edges=1).validate(FS)
