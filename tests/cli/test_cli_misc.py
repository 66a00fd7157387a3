"""The rest of the CLI surface: help, simulate (with its truth file), bench dispatch."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_helpers import run_cli

from twitchwatch import cli
from twitchwatch.commands import bench
from twitchwatch.io import read_recording
from twitchwatch.model.simulate import SimConfig, simulate
from twitchwatch.model.truth import GroundTruth


def test_help_subprocess_lists_commands():
    proc = run_cli("--help")
    assert proc.returncode == 0, proc.stderr
    for name in ("analyze", "simulate", "bench"):
        assert name in proc.stdout
    assert "not a diagnosis" in proc.stdout


@pytest.mark.parametrize("command", ["analyze", "simulate", "bench"])
def test_subcommand_help(capsys, command):
    with pytest.raises(SystemExit) as stop:
        cli.main([command, "--help"])
    assert stop.value.code == 0
    assert command in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["frobnicate"])
    assert stop.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".csv.gz", ".twr"])
def test_simulate_round_trip(capsys, tmp_path, suffix):
    out = tmp_path / f"day{suffix}"
    assert cli.main(["simulate", "--out", str(out), "--duration", "40", "--seed", "3",
                     "--episodes-per-hour", "200", "--isolated-per-hour", "100"]) == 0
    assert out.name in capsys.readouterr().out
    truth_file = tmp_path / "day.truth.json"
    assert truth_file.exists()
    assert (out.stat().st_mode & 0o777) == 0o600
    rec = read_recording(out)
    truth = GroundTruth.load(truth_file)
    expected_rec, expected_truth = simulate(SimConfig(duration_s=40.0, seed=3, episodes_per_hour=200,
                                                      isolated_per_hour=100))
    assert truth == expected_truth                       # the file holds the simulator's truth
    assert truth.twitches and truth.episodes
    assert rec.n_samples == expected_rec.n_samples and rec.fs_hz == 208.0
    # Written to the format's precision (CSV: 1 µg; .twr: the ±4 g LSB, 0.122 mg).
    np.testing.assert_allclose(rec.accel_g, expected_rec.accel_g, atol=2e-4)
    # Refuses to overwrite without --force, with a one-line error.
    assert cli.main(["simulate", "--out", str(out), "--duration", "5"]) != 0
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "exists" in err
    assert cli.main(["simulate", "--out", str(out), "--duration", "5", "--force"]) == 0
    assert read_recording(out).duration_s == pytest.approx(5.0)


def test_simulate_suffix_in_capitals(capsys, tmp_path):
    out = tmp_path / "Day.CSV.GZ"
    assert cli.main(["simulate", "--out", str(out), "--duration", "5", "--seed", "3"]) == 0
    assert "Day.truth.json" in capsys.readouterr().out
    assert out.read_bytes()[:2] == b"\x1f\x8b"                # compressed, as the name says
    assert (tmp_path / "Day.truth.json").exists()
    assert read_recording(out).duration_s == pytest.approx(5.0)


def test_simulate_then_analyze_subprocess(tmp_path):
    out = tmp_path / "sim.csv"
    proc = run_cli("simulate", "--out", str(out), "--duration", "30", "--seed", "9",
                   "--episodes-per-hour", "300")
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("analyze", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert obj["duration_s"] == pytest.approx(30.0)
    assert obj["start_wall_s"] == SimConfig().start_wall_s and obj["site"] == "thenar"


@pytest.mark.parametrize("argv, words", [
    (["--duration", "0"], "--duration"),
    (["--movement", "2"], "--movement"),
    (["--fs", "20"], "--fs"),
])
def test_simulate_bad_arguments(capsys, tmp_path, argv, words):
    assert cli.main(["simulate", "--out", str(tmp_path / "x.csv"), *argv]) != 0
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and words in err
    assert not (tmp_path / "x.csv").exists()


def test_bench_discovers_modules_with_main():
    names = bench.available()
    assert {"accuracy", "speed"} <= set(names)
    assert "scoring" not in names          # a helper module without main() is not a benchmark
    assert "__init__" not in names


def test_bench_passes_arguments_through(capsys, monkeypatch):
    import twitchwatch.bench.speed as speed

    seen = []
    monkeypatch.setattr(speed, "main", lambda argv: seen.append(argv) or 7)
    assert cli.main(["bench", "speed", "--hours", "0.5", "--json", "x"]) == 7
    assert seen == [["--hours", "0.5", "--json", "x"]]


def test_bench_help_of_a_benchmark(capsys):
    assert cli.main(["bench", "speed", "--help"]) == 0
    assert "--hours" in capsys.readouterr().out


def test_bench_unknown_name(capsys):
    assert cli.main(["bench", "nosuch"]) != 0
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "speed" in err


def test_bench_accuracy_skips_without_shared_data(capsys, tmp_path):
    """Without ../shared/data the accuracy bench says so and still runs its simulated part."""
    status = cli.main(["bench", "accuracy", "--data", str(tmp_path / "absent"), "--sim-days", "1",
                       "--sim-hours", "0.01", "--json"])
    out, err = capsys.readouterr()
    assert status == 0
    assert "not found" in err and "skipping" in err
    report = json.loads(out)
    assert report["runs"] and "simulated" in report["runs"][0] and "ha24" not in report["runs"][0]


def test_bench_accuracy_twitch_tilt(capsys, tmp_path):
    """--twitch-tilt reaches the report; it is refused for a model that has no tilt."""
    args = ["bench", "accuracy", "--data", str(tmp_path / "absent"), "--sim-days", "1", "--sim-hours", "0.01"]
    assert cli.main(args + ["--twitch-tilt", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["twitch_tilt_scale"] == 3.0
    assert cli.main(args + ["--twitch-tilt", "3", "--twitch-model", "force"]) == 2
    assert "only the project's twitch model tilts" in capsys.readouterr().err


def test_speed_bench_runs_small(capsys):
    """Smoke test of the speed benchmark's plumbing on a tiny file (no timing is asserted)."""
    assert cli.main(["bench", "speed", "--hours", "0.005", "--repeats", "1", "--stream-s", "3",
                     "--no-subprocess", "--tile", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["file"]["size_bytes"] > 0 and report["file"]["clipped_samples"] == 0
    assert report["in_process"]["total_s"] > 0 and report["floor"]["median_s"] > 0
    assert report["streaming"]["chunk_samples"] == 10
    assert report["streaming"]["plain"]["calls"] == 63
