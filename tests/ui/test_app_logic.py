"""Widget-free parts of the app: plot data preparation and the "today" tallies (no display needed)."""

from __future__ import annotations

import numpy as np
import pytest

from twitchwatch.ui.plot_data import false_runs, peak_decimate


@pytest.mark.parametrize("first_index", [0, 1, 5, 13])
def test_peak_decimate_keeps_every_spike_and_the_newest_sample(first_index):
    rng = np.random.default_rng(0)
    n = 2000
    t = (np.arange(n) - (n - 1)) / 208.0
    y = np.abs(rng.normal(0, 0.002, n))
    spikes = [3, 777, 1500, n - 1]
    y[spikes] = [0.1, 0.2, 0.15, 0.3]
    td, yd = peak_decimate(t, y, 100, first_index)
    assert len(yd) <= 2 * 102
    for i in spikes:
        assert y[i] in yd                       # every spike survives decimation
    assert td[-1] == t[-1]                       # the newest sample is drawn at once
    assert yd.min() == y.min() and yd.max() == y.max()
    assert np.all(np.diff(td) >= 0)


def test_peak_decimate_buckets_stay_put_as_the_window_scrolls():
    rng = np.random.default_rng(1)
    y_all = np.abs(rng.normal(0, 0.002, 3000))
    a_t, a_y = peak_decimate(np.arange(0, 2000.0), y_all[0:2000], 100, first_index=0)
    b_t, b_y = peak_decimate(np.arange(7, 2007.0), y_all[7:2007], 100, first_index=7)
    # Interior buckets of the scrolled window are the same buckets, just further left.
    common = np.intersect1d(a_t[2:-2], b_t[2:-2])
    assert len(common) > 150
    for t0 in common[:50]:
        assert a_y[a_t == t0][0] == b_y[b_t == t0][0]


def test_peak_decimate_shows_gaps():
    y = np.ones(1000)
    y[400:450] = np.nan
    _, yd = peak_decimate(np.arange(1000.0), y, 50)
    assert np.isnan(yd).any() and np.isfinite(yd).sum() > 80


def test_false_runs_spans():
    t = np.arange(10) * 0.5
    flag = np.array([1, 1, 0, 0, 1, 1, 1, 0, 1, 0], dtype=bool)
    assert false_runs(flag, t) == [(1.0, 2.0), (3.5, 4.0), (4.5, 5.0)]


def test_today_rolls_over_at_midnight(tmp_path, monkeypatch):
    """Left running overnight, the counters start again on the new day."""
    import datetime as dt
    import time

    from twitchwatch.store import writes
    from twitchwatch.store.db import Store
    from twitchwatch.detect.events import DetectorOutput, Episode, Span, Twitch
    from twitchwatch.ui import today as today_mod

    store = Store.open(tmp_path)
    now = time.time()
    sid = writes.new_session(store, started_wall_s=now - 60, fs_hz=100.0, has_gyro=False)
    with store.write() as conn:
        writes.insert_output(conn, sid, 100.0, now - 60, [Twitch(100, 120, 110, 0.05)],
                             [Episode(100, 400, (100, 250, 380), 0.05)], [Span(0, 3000)])
    log = today_mod.TodayLog(store)
    assert (log.counts(None).twitches_today, log.counts(None).episodes_today) == (1, 1)

    class Tomorrow(dt.date):
        @classmethod
        def today(cls):
            return dt.date.fromtimestamp(now) + dt.timedelta(days=1)

    monkeypatch.setattr(today_mod, "date", Tomorrow)
    counts = log.counts(None)
    assert (counts.twitches_today, counts.episodes_today, counts.monitored_s) == (0, 0, 0)
    assert log.rows() == []
    store.close()
