"""Calibration, replay into the episode table, export, and the screenshot."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from ui_sim import BUSY_SIM
from twitchwatch.errors import ConfigError
from twitchwatch.io import write_recording
from twitchwatch.model.simulate import SimConfig, simulate


def test_calibration_completes_with_progress_and_restarts_counting(make_app):
    app = make_app(sim_speed=40.0, sim_config=replace(BUSY_SIM, movement_fraction=0.0), calibration_s=30.0)
    app.run(app.controller.use_simulated())
    old_session = app.controller.session
    app.window.tabs.setCurrentWidget(app.window.sensor)
    app.window.sensor.calibrate_button.click()
    bar = app.window.sensor.calibration_progress
    seen: list[int] = []

    def progressing() -> bool:
        app.window.refresh()
        if bar.isVisible():
            seen.append(bar.value())
        return app.controller.calibration is not None

    app.qtbot.waitUntil(progressing, timeout=20000)
    assert any(0 < v < 100 for v in seen), seen           # progress was shown on the way
    cal = app.controller.calibration
    assert 0.0 < cal.noise_g < 0.01 and cal.still_s >= 10
    assert (cal.site, cal.side) == ("thenar", "right")
    # Counting restarted with the wearer's baseline.
    app.qtbot.waitUntil(lambda: app.controller.session is not old_session
                        and app.controller.session.detector is not None, timeout=5000)
    assert app.controller.session.detector.calibration == cal
    app.window.refresh()
    assert not bar.isVisible()
    assert "Calibrated on right thenar" in app.window.sensor.calibration_status.text()


def test_calibration_while_moving_is_refused_with_advice(make_app):
    app = make_app(sim_speed=40.0, sim_config=replace(BUSY_SIM, movement_fraction=0.9), calibration_s=30.0)
    app.run(app.controller.use_simulated())
    with pytest.raises(ConfigError, match="still"):
        app.run(app.controller.calibrate())
    assert app.controller.calibration is None
    app.window.refresh()
    assert "relax" in app.window.sensor.calibration_status.text()
    assert app.controller.session is not None      # still counting with the default baseline


def _known_episode_file(tmp_path: Path):
    rec, truth = simulate(SimConfig(duration_s=45.0, seed=6, episodes_per_hour=80.0,
                                    isolated_per_hour=0.0, movement_fraction=0.0))
    assert len(truth.episodes) == 1          # the fixture this test relies on
    path = tmp_path / "one_episode.csv"
    write_recording(rec, path)
    return path, rec, truth.episodes[0]


def test_replay_shows_known_episode_in_table_with_trace(make_app, tmp_path):
    path, rec, true_ep = _known_episode_file(tmp_path)
    app = make_app()
    app.run(app.controller.use_replay(path, speed=None))
    app.qtbot.waitUntil(lambda: app.controller.feed.ended and app.controller._session_task.done(), timeout=20000)
    app.window.refresh()
    assert "not live" in app.window.banner.text()
    rows = app.window.episodes.rows
    assert len(rows) == 1
    row = rows[0]
    assert abs(row.start_wall_s - (rec.start_wall_s + true_ep.start_s)) < 0.5
    assert abs(row.duration_s - true_ep.duration_s) < 1.0
    assert abs(row.twitch_count - true_ep.twitch_count) <= 1
    assert app.window.episodes.table.item(0, 2).text() == str(row.twitch_count)
    app.window.episodes.select_latest()
    x, y = app.window.episodes._trace.getData()
    assert x is not None and x[0] < 0 < row.duration_s < x[-1]
    assert np.nanmax(y) > 0.005
    assert "twitches over" in app.window.episodes.trace_caption.text()


def test_export_pdf_and_csv_from_menu(make_app, tmp_path):
    app = make_app(sim_speed=5.0)
    app.window.diary.caffeine.setValue(100)
    app.window.diary.save_button.click()
    dialog = app.window.open_export("csv")
    out = tmp_path / "csv"
    dialog.path.setText(str(out))
    assert dialog.export(), dialog.status.text()
    assert (out / "notes.csv").read_text().count("\n") >= 2
    # A period with nothing in it: a one-line message, the dialog stays open.
    dialog = app.window.open_export("pdf")
    dialog.first.setDate(dialog.first.date().addYears(-3))
    dialog.last.setDate(dialog.first.date().addDays(3))
    dialog.path.setText(str(tmp_path / "r.pdf"))
    assert not dialog.export()
    assert "nothing" in dialog.status.text()
    dialog.reject()


def test_screenshot_is_not_blank(make_app, tmp_path):
    app = make_app(sim_speed=30.0, sim_config=BUSY_SIM)
    app.window.resize(1280, 820)
    app.run(app.controller.use_simulated())
    app.qtbot.waitUntil(lambda: len(app.window.episodes.rows) >= 1, timeout=20000)
    app.window.episodes.select_latest()
    app.qtbot.wait(300)
    image = app.window.grab().toImage()
    out_dir = Path(os.environ.get("TWITCHWATCH_SCREENSHOT_DIR", tmp_path))
    path = out_dir / "main_window.png"
    assert image.save(str(path))
    assert path.stat().st_size > 20_000
    w, h = image.width(), image.height()
    assert (w, h) == (1280, 820)
    colours = {image.pixel(x, y) for x in range(0, w, 7) for y in range(0, h, 7)}
    assert len(colours) > 40
    # The plot area holds the signal colour, not just background.
    plot = app.window.plot.plot_widget.grab().toImage()
    signal = sum(1 for x in range(0, plot.width(), 3) for y in range(0, plot.height(), 3)
                 if (plot.pixel(x, y) & 0xFFFFFF) == 0x3B5B8C)
    assert signal > 50
    # ...and the twitch markers of the episode just seen (drawn outside pyqtgraph's scatter).
    marks = sum(1 for x in range(plot.width()) for y in range(plot.height())
                if (plot.pixel(x, y) & 0xFFFFFF) == 0xB4583F)
    assert marks > 20


def test_todays_stored_episodes_are_listed_counted_and_traced(make_app, tmp_path):
    """A real session recorded earlier today (by the store's recorder) shows in the table and
    the counters, and its trace is read back from the recording."""
    import time

    from twitchwatch.detect import DetectorParams, detect, detector_info
    from twitchwatch.store.recorder import SessionRecorder
    from twitchwatch.ui.today import local_midnight_s

    path, rec, true_ep = _known_episode_file(tmp_path)
    out = detect(rec.accel_g, rec.gyro_dps, rec.fs_hz, DetectorParams())
    assert len(out.episodes) == 1
    start = max(time.time() - 120.0, local_midnight_s() + 1.0)
    data = tmp_path / "diary"
    recorder = SessionRecorder(data)
    recorder.start(rec.fs_hz, True, "calf", "left", "TWW-TEST", detector_info(DetectorParams()), start)
    recorder.add_samples(rec.accel_g, rec.gyro_dps)
    recorder.add_output(out)
    recorder.close()

    app = make_app(data_dir=data)
    w = app.window
    w.refresh()
    assert w.counters.episodes.value.text() == "1"
    assert w.counters.twitches.value.text() == str(len(out.twitches))
    assert "today" in w.counters.twitches.caption.text()
    rows = w.episodes.rows
    assert len(rows) == 1 and rows[0].site == "calf" and rows[0].side == "left"
    assert abs(rows[0].start_wall_s - (start + true_ep.start_s)) < 0.5
    assert w.episodes.table.item(0, 3).text() == "left calf"
    w.episodes.select_latest()
    x, y = w.episodes._trace.getData()
    assert x is not None and x[0] < 0 < rows[0].duration_s < x[-1]
    assert np.nanmax(y) > 0.005                         # the twitches are in the trace
    marks = w.episodes._trace_marks.data
    assert len(marks) == out.episodes[0].twitch_count
    # ... and the clinic report for today comes out of the File menu's dialog.
    dialog = w.open_export("pdf")
    dialog.path.setText(str(tmp_path / "report.pdf"))
    assert dialog.export(), dialog.status.text()
    assert (tmp_path / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert "pages" in w.statusBar().currentMessage()
