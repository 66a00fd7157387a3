"""Any valid recording, however odd (gaps anywhere, other rates, no gyro, big and tiny signals),
analyses without error into output that keeps the contract."""

from __future__ import annotations

import json

import numpy as np
from cli_contract import check_summary
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twitchwatch import cli
from twitchwatch.io import write_recording
from twitchwatch.recording import Recording


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31), fs_hz=st.sampled_from([104.0, 208.0, 416.0]), seconds=st.floats(0.05, 12.0),
       gyro=st.booleans(), noise_g=st.sampled_from([0.0, 1e-3, 0.05]), kind=st.sampled_from([".csv", ".twr"]),
       gaps=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 0.3)), max_size=3))
def test_any_valid_recording_keeps_the_contract(tmp_path, capsys, seed, fs_hz, seconds, gyro, noise_g, kind, gaps):
    rng = np.random.default_rng(seed)
    n = max(2, int(seconds * fs_hz))
    accel = np.array([0.1, -0.2, 0.97]) + rng.normal(0, noise_g, (n, 3))
    spikes = rng.choice(n, size=min(n, 5), replace=False)
    accel[spikes] += rng.normal(0, 0.1, (spikes.size, 3))          # twitch-like impulses
    gyr = rng.normal(0, 2.0, (n, 3)) if gyro else None
    for where, length in gaps:
        a = int(where * n)
        accel[a:a + int(length * n)] = np.nan
        if gyr is not None:
            gyr[a:a + int(length * n)] = np.nan
    if not np.isfinite(accel).all(axis=1).any():
        accel[0] = [0.0, 0.0, 1.0]          # at least one sample survives
        if gyr is not None:
            gyr[0] = 0.0
    path = tmp_path / f"r{seed}{kind}"
    write_recording(Recording(fs_hz=fs_hz, accel_g=accel, gyro_dps=gyr), path, overwrite=True)
    status = cli.main(["analyze", "--json", str(path)])
    out, err = capsys.readouterr()
    assert status == 0, err
    (obj,) = [json.loads(line) for line in out.splitlines()]
    check_summary(obj)
    assert obj["duration_s"] == round(n / fs_hz, 4)
    lost = int((~np.isfinite(accel).all(axis=1)).sum())
    assert abs(obj["lost_s"] - lost / fs_hz) <= 1e-4
