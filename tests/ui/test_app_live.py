"""The window on the simulated sensor: it opens, plots, counts what the simulator put there,
takes felt-twitch taps and notes into the store, and closes without leaving anything running."""

from __future__ import annotations

import asyncio
import time

import numpy as np
from PySide6.QtCore import Qt

from ui_sim import BUSY_SIM
from twitchwatch.store import queries
from twitchwatch.store.db import Store


def test_window_opens_on_simulator_and_says_so(make_app):
    app = make_app(sim_speed=10.0, sim_config=BUSY_SIM)
    app.run(app.controller.use_simulated())
    app.qtbot.waitUntil(lambda: app.window.plot.frames_drawn >= 5, timeout=10000)
    app.window.refresh()
    assert app.window.banner.isVisible()
    assert "Simulated sensor — no real data" in app.window.banner.text()
    assert "Simulated" in app.window.link_line.state.text()
    # The plot holds real samples from the stream, at the stream's rate.
    curve = app.window.plot._band
    x, y = curve.getData()
    assert x is not None and len(x) > 50
    assert np.isfinite(y).sum() > 50
    assert x[-1] == 0.0 and x[0] < -0.2
    # Raw on demand: hidden by default, drawn once asked for.
    assert not app.window.plot._raw.isVisible()
    app.window.plot.raw_check.setChecked(True)
    app.qtbot.waitUntil(lambda: app.window.plot._raw.getData()[0] is not None
                        and len(app.window.plot._raw.getData()[0]) > 50, timeout=5000)
    raw = app.window.plot._raw.getData()[1]
    assert abs(float(np.nanmedian(raw))) < 0.01      # gravity removed: centred on zero


def test_counters_follow_simulator_truth(make_app):
    app = make_app(sim_speed=60.0, sim_config=BUSY_SIM)
    app.run(app.controller.use_simulated())
    source = app.controller.feed.source
    session = app.controller.session
    lag_s = 8.0   # the detector reports an episode once its gap has passed; leave room

    def enough() -> bool:
        t = session.counts.elapsed_s
        return sum(e.end_s < t - lag_s for e in source.truth.episodes) >= 3

    app.qtbot.waitUntil(enough, timeout=30000)
    app.window.refresh()
    t = session.counts.elapsed_s
    true_eps = sum(e.end_s < t - lag_s for e in source.truth.episodes)
    all_eps = sum(e.start_s < t for e in source.truth.episodes)
    true_tw = sum(tw.onset_s < t for tw in source.truth.twitches)
    shown_eps = int(app.window.counters.episodes.value.text())
    shown_tw = int(app.window.counters.twitches.value.text())
    # What is shown is what the session counted ...
    assert shown_eps == session.counts.episodes and shown_tw == session.counts.twitches
    # ... and that follows the simulator's ground truth (the detector's own accuracy is
    # measured by `twitchwatch bench accuracy`; here a broken pipe or double count would show).
    assert true_eps - 1 <= shown_eps <= all_eps + 1, (shown_eps, true_eps, all_eps)
    assert 0.6 * true_tw <= shown_tw <= 1.3 * true_tw + 2, (shown_tw, true_tw)
    assert app.window.counters.monitored.value.text() != "—"
    assert len(app.window.episodes.rows) == shown_eps


def test_felt_shortcut_and_note_are_saved_at_once(make_app):
    app = make_app(sim_speed=5.0, sim_config=BUSY_SIM)
    app.run(app.controller.use_simulated())
    w = app.window
    w.activateWindow()
    w.setFocus()
    before = time.time()
    app.qtbot.keyClick(w, Qt.Key.Key_F)
    # Saved straight away: a separate connection sees it without any close or flush.
    with Store.open(app.controller.data_dir, readonly=True) as other:
        felt = queries.felt(other, before - 1, time.time() + 1)
    assert len(felt) == 1
    assert (felt[0].site, felt[0].side) == ("thenar", "right")
    assert "Saved" in w.diary.felt_status.text()
    # The tap shows on the live plot, at "now".
    app.qtbot.waitUntil(lambda: len(w.plot._felt.positions()[0]) == 1, timeout=5000)
    assert -3.0 < w.plot._felt.positions()[0][0] <= 0.0

    w.diary.caffeine.setValue(200)
    w.diary.stress.setValue(6)
    w.diary.red_flags["weakness"].setCurrentIndex(1)   # "No"
    w.diary.text.setPlainText("long day")
    w.diary.save_button.click()
    with Store.open(app.controller.data_dir, readonly=True) as other:
        notes = queries.notes(other, before - 1, time.time() + 1)
        flags = queries.red_flags(other, before - 1, time.time() + 1)
    assert [(n.caffeine_mg, n.stress_0_10, n.sleep_h, n.text) for n in notes] == [(200.0, 6, None, "long day")]
    assert flags[0].answers["weakness"] is False and flags[0].answers["wasting"] is None
    assert w.diary.text.toPlainText() == ""


def test_empty_note_is_refused_politely(make_app):
    app = make_app(sim_speed=5.0)
    app.window.diary.save_button.click()
    assert "Nothing to save" in app.window.diary.save_status.text()


def test_close_stops_stream_and_leaves_no_task(make_app):
    app = make_app(sim_speed=20.0, sim_config=BUSY_SIM)
    app.run(app.controller.use_simulated())
    app.qtbot.waitUntil(lambda: app.window.plot.frames_drawn >= 3, timeout=10000)
    source = app.controller.feed.source
    app.window.close()
    app.qtbot.waitUntil(lambda: app.window.closed, timeout=15000)
    assert not app.window.isVisible()
    assert source.state == "stopped"
    assert app.controller.session is None and app.controller.feed is None
    loop = asyncio.get_event_loop()
    left = [t for t in asyncio.all_tasks(loop) if not t.done()]
    assert not left, left
    # Window state was saved for next time.
    assert app.settings.value("window/geometry") is not None
