"""Sample buffer, ledger and clock fit on their own."""

import numpy as np

from twitchwatch.link.buffer import SampleBuffer
from twitchwatch.link.clock import ClockFit
from twitchwatch.link.ledger import Ledger


def test_clock_fit_200ppm_over_10h_within_20ms():
    fs = 208.0
    rng = np.random.default_rng(0)
    fit = ClockFit(fs)
    t0 = 1.7e9
    stamps_ok = True
    last = -np.inf
    worst = 0.0
    for hour in range(10):
        idx = np.arange(hour * 3600 * 208, (hour + 1) * 3600 * 208, 19) + 18
        truth = t0 + idx / (fs * (1 + 200e-6))           # the sensor runs 200 ppm fast
        arrival = truth + rng.uniform(0.0, 0.015, idx.size)   # connection-interval jitter
        for k in range(0, idx.size, 500):                # arrives in batches, as in the app
            fit.add(idx[k:k + 500], arrival[k:k + 500])
            t = fit.stamp(int(idx[k]))
            stamps_ok &= t > last
            last = t
        probe = idx[:: 997]
        err = np.abs(np.array([fit.wall_at(i) for i in probe]) - (t0 + probe / (fs * (1 + 200e-6))))
        worst = max(worst, float(err.max()))
    assert worst < 0.020, worst
    assert stamps_ok
    # without the fit (nominal rate) the error after 10 h would be ~7 s
    assert abs(10 * 3600 * 200e-6) > 1.0


def test_buffer_reorders_drops_duplicates_and_marks_lost():
    buf = SampleBuffer(window_n=100)
    buf.start(10)
    a = np.arange(30, dtype=float).reshape(10, 3)
    buf.insert(10, a[:4], a[:4])
    buf.insert(17, a[7:], a[7:])          # 14..16 missing
    assert buf.holes() == [(14, 17)]
    out = buf.release()
    assert out[0].first_index == 10 and len(out[0].accel_g) == 4
    new, _ = buf.insert(14, a[4:6], a[4:6])
    assert new.all()
    new, _ = buf.insert(14, a[4:6], a[4:6])
    assert not new.any()                  # duplicates
    assert buf.declare_lost(14, 17) == [(16, 17)]
    out = buf.release()
    assert out[0].first_index == 14 and len(out[0].accel_g) == 6
    assert out[0].lost.tolist() == [False, False, True, False, False, False]
    assert np.isnan(out[0].accel_g[2]).all()


def test_buffer_overflow_declares_lost_and_stays_bounded():
    buf = SampleBuffer(window_n=50)
    buf.start(0)
    x = np.zeros((5, 3))
    buf.insert(0, x, x)
    _, lost = buf.insert(200, x, x)       # far ahead: everything before is lost
    led = Ledger()
    for a, b in lost:
        led.add_lost(a, b)
    assert led.lost_ranges == [(5, 155)]
    rel = buf.release()
    assert sum(len(r.accel_g) for r in rel) == 155   # the rest is within the window: still repairable
    assert rel[0].first_index == 0 and buf.holes() == [(155, 200)]


def test_ledger_merges_ranges():
    led = Ledger()
    led.add_lost(10, 20)
    led.add_lost(30, 40)
    led.add_lost(20, 30)
    led.add_lost(50, 51)
    assert led.lost_ranges == [(10, 40), (50, 51)] and led.lost == 31
    d = led.as_dict()
    assert d["lost_ranges"] == [[10, 40], [50, 51]]
