"""Settings persist between runs; the `app` command validates its arguments and starts/stops
cleanly as a real process."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from twitchwatch.cli import main
from twitchwatch.detect import Calibration
from twitchwatch.ui.launch import SETTINGS_FILE


def test_settings_round_trip(make_app, tmp_path):
    data = tmp_path / "diary"
    first = make_app(data_dir=data)
    w = first.window
    w.resize(1100, 700)     # the offscreen screen is 800 px wide: restore clamps the width
    w.plot.set_window_s(60)
    w.plot.raw_check.setChecked(True)
    w.sensor.site.setCurrentIndex(w.sensor.site.findData("calf"))
    w.sensor.side.setCurrentIndex(w.sensor.side.findData("left"))
    first.qtbot.waitUntil(lambda: (first.controller.site, first.controller.side) == ("calf", "left"))
    first.controller.calibration = Calibration(noise_g=0.0021, still_blocks=25, site="calf", side="left")
    w.refresh()                      # a new calibration is saved at once
    first.close()
    settings_file = data / SETTINGS_FILE
    assert stat.S_IMODE(settings_file.stat().st_mode) == 0o600

    second = make_app(data_dir=data)
    w2 = second.window
    assert w2.height() == 700
    assert w2.plot.window_s == 60 and w2.plot.raw_check.isChecked()
    assert w2.sensor.placement() == ("calf", "left")
    assert (second.controller.site, second.controller.side) == ("calf", "left")
    assert second.controller.calibration == Calibration(0.0021, 25, "calf", "left")
    # Moving the sensor to another muscle drops the baseline calibrated on this one.
    w2.sensor.site.setCurrentIndex(w2.sensor.site.findData("thigh"))
    second.qtbot.waitUntil(lambda: second.controller.site == "thigh")
    assert second.controller.calibration is None


def test_bad_arguments_are_one_line_errors(tmp_path, capsys):
    assert main(["app", "--replay", str(tmp_path / "nope.csv"), "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("twitchwatch: --replay") and "no such file" in err and "\n" not in err
    assert main(["app", "--speed", "5000", "--data-dir", str(tmp_path)]) == 2
    assert "--speed" in capsys.readouterr().err


@pytest.mark.slow
def test_app_command_opens_and_closes_as_a_process(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TWITCHWATCH_CONFIG=str(tmp_path / "cfg"))
    proc = subprocess.run(
        [sys.executable, "-m", "twitchwatch", "app", "--data-dir", str(tmp_path / "d"),
         "--speed", "5", "--quit-after", "2"],
        env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (tmp_path / "d" / SETTINGS_FILE).exists()
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o700
