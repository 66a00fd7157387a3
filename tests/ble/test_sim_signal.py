"""The simulated BLE sensor's samples are the project's simulated day (model.simulate), in
raw LSB at the sensor's full scale, whatever pieces the sensor asks for them in."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from twitchwatch.ble import protocol as P
from twitchwatch.ble.sim_peripheral import demo_day, simulated_day_signal
from twitchwatch.model.simulate import simulate_stream


def test_the_signal_is_the_simulated_day_in_raw_lsb():
    rec, truth, _ = next(simulate_stream(replace(demo_day(), fs_hz=208.0), 60.0))
    lsb = np.array([P.ACCEL_G_PER_LSB[2]] * 3 + [P.GYRO_DPS_PER_LSB[2]] * 3)     # ±8 g, ±1000 dps
    expected = np.round(np.hstack([rec.accel_g, rec.gyro_dps]) / lsb).astype(np.int16)
    assert truth.twitches and truth.moving, "the demo day must have twitches and movement"

    first = 123_456                                # the sensor's counter at its first sample
    signal = simulated_day_signal(208, 8, 1000)
    sizes = [1, 7, 19, 64, 4000, 9000]             # across the 60 s segment boundary
    pieces, k = [], first
    for n in sizes:
        pieces.append(signal(k, n))
        k += n
    got = np.concatenate(pieces)
    np.testing.assert_array_equal(got[:len(expected)], expected)
    assert got.dtype == np.int16 and len(got) == sum(sizes)

    # Samples an overrun cost are skipped, not shifted: the day goes on at the right place.
    skipping = simulated_day_signal(208, 8, 1000)
    head, tail = skipping(first, 100), skipping(first + 150, 50)
    np.testing.assert_array_equal(np.concatenate([head, tail]), np.concatenate([expected[:100], expected[150:200]]))
