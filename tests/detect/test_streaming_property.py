"""Property: any split of a recording into chunks gives the batch reference's result."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twitchwatch.detect import DetectorParams, TwitchDetector, detect
from twitchwatch.model.simulate import SimConfig, simulate

from detect_helpers import FS, dense_train, streamed

REC, _ = simulate(SimConfig(duration_s=25.0, fs_hz=104.0, seed=12, episodes_per_hour=700,
                            isolated_per_hour=700, movement_fraction=0.3))
PARAMS = DetectorParams(baseline_min_blocks=2, gate_guard_blocks=2, gate_settle_blocks=3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(1, REC.n_samples - 1), max_size=40, unique=True),
       gap=st.one_of(st.none(), st.tuples(st.integers(0, REC.n_samples - 1), st.integers(1, 300))),
       with_gyro=st.booleans())
def test_any_chunking_equals_batch(cuts, gap, with_gyro):
    accel = REC.accel_g.copy()
    gyro = REC.gyro_dps.copy() if with_gyro else None
    if gap is not None:
        accel[gap[0]:gap[0] + gap[1]] = np.nan
    ref = detect(accel, gyro, REC.fs_hz, PARAMS)
    bounds = [0] + sorted(cuts) + [REC.n_samples]
    tw, ep, mon = streamed(TwitchDetector(REC.fs_hz, PARAMS), accel, gyro, bounds)
    assert tw == ref.twitches
    assert ep == ref.episodes
    assert mon == ref.monitored


DENSE_ACCEL, DENSE_GYRO, _ = dense_train(1)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(1, DENSE_ACCEL.shape[0] - 1), max_size=40, unique=True),
       chain_s=st.sampled_from([0.0, 0.2, 0.3, 0.6]), min_seen=st.sampled_from([0.0, 0.1, 0.6]))
def test_any_chunking_equals_batch_in_a_dense_train(cuts, chain_s, min_seen):
    params = DetectorParams(mask_chain_s=chain_s, gate_gyro_min_seen=min_seen)
    ref = detect(DENSE_ACCEL, DENSE_GYRO, FS, params)
    bounds = [0] + sorted(cuts) + [DENSE_ACCEL.shape[0]]
    got = streamed(TwitchDetector(FS, params), DENSE_ACCEL, DENSE_GYRO, bounds)
    assert got == (ref.twitches, ref.episodes, ref.monitored)
