"""``twitchwatch analyze``: the JSON contract, text output, order, --set, --demo; as a user runs it
(subprocess) and in-process through ``twitchwatch.cli.main``."""

from __future__ import annotations

import json

import pytest
from cli_contract import EPISODE_KEYS, EXTRA, REQUIRED, TWITCH_KEYS, check_summary
from cli_helpers import DEMO, ROOT, run_cli

from twitchwatch import cli
from twitchwatch.detect import DETECTOR_VERSION, DetectorParams
from twitchwatch.detect.summary import run_detector, summarise
from twitchwatch.io import read_recording


def _analyze_json(capsys, *args: str) -> tuple[int, list[dict], str]:
    status = cli.main(["analyze", "--json", *args])
    captured = capsys.readouterr()
    return status, [json.loads(line) for line in captured.out.splitlines()], captured.err


def test_subprocess_json_one_line_per_file_in_order(good_files):
    files = [str(good_files["twr"]), str(DEMO), str(good_files["csv"]), str(good_files["csv.gz"])]
    proc = run_cli("analyze", "--json", *files)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert len(lines) == len(files)
    objs = [json.loads(line) for line in lines]
    assert [o["file"] for o in objs] == files
    for obj in objs:
        check_summary(obj)
    by_name = dict(zip(files, objs))
    # The contract must not be vacuous on these inputs.
    assert all(o["twitches"] for o in objs), [len(o["twitches"]) for o in objs]
    assert sum(bool(o["episodes"]) for o in objs) >= 3, [len(o["episodes"]) for o in objs]
    lossy = by_name[str(good_files["twr"])]
    assert lossy["lost_s"] == pytest.approx(400 / 208.0, abs=1e-3)
    nogyro = by_name[str(good_files["csv"])]
    assert (nogyro["fs_hz"], nogyro["site"], nogyro["side"]) == (104.0, "calf", "left")
    assert nogyro["duration_s"] == pytest.approx(30.0)


def test_json_is_the_batch_summary_of_the_file(capsys, good_files):
    """The CLI adds nothing and loses nothing: its line is summarise(run_detector(read(file)))."""
    name = str(good_files["csv.gz"])
    status, objs, err = _analyze_json(capsys, name)
    assert (status, err) == (0, "")
    rec = read_recording(name)
    params = DetectorParams()
    expected = json.loads(json.dumps(summarise(rec, run_detector(rec, params), params, file=name)))
    assert objs == [expected]


def test_detector_version_and_params_in_every_output(capsys, good_files):
    status, objs, _ = _analyze_json(capsys, *map(str, good_files.values()), "--demo")
    assert status == 0 and len(objs) == len(good_files) + 1
    for obj in objs:
        assert obj["detector"]["version"] == DETECTOR_VERSION
        assert DetectorParams.from_dict(obj["detector"]["params"]) == DetectorParams()


def test_demo_flag_and_no_command_default(capsys):
    status, objs, _ = _analyze_json(capsys, "--demo")
    assert status == 0 and len(objs) == 1
    assert objs[0]["file"] == str(DEMO)
    check_summary(objs[0])
    assert objs[0]["twitches"] and objs[0]["episodes"]
    assert objs[0]["duration_s"] == pytest.approx(read_recording(DEMO).duration_s)


def test_text_summary_per_file(capsys, good_files):
    files = [str(good_files["csv.gz"]), str(good_files["twr"])]
    status, objs, _ = _analyze_json(capsys, *files)
    assert status == 0
    assert cli.main(["analyze", *files]) == 0
    text = capsys.readouterr().out
    assert "{" not in text, "the readable summary must not be JSON"
    blocks = text.strip().split("\n\n")
    assert len(blocks) == 2
    for block, name, obj in zip(blocks, files, objs):
        assert block.splitlines()[0] == name
        assert f"twitches: {len(obj['twitches'])}" in block
        assert f"episodes: {len(obj['episodes'])}" in block
        assert "not a diagnosis" in block
    assert "lost" in blocks[1] and "lost" not in blocks[0]


def test_set_overrides_reach_the_detector_and_the_output(capsys, good_files):
    name = str(good_files["csv.gz"])
    _, (default,), _ = _analyze_json(capsys, name)
    status, (tuned,), err = _analyze_json(capsys, name, "--set", "threshold_factor=40",
                                          "--set", "band_hz=[6, 35]", "--set", "episode_min_twitches=3",
                                          "--set", "gate_edges=false")
    assert (status, err) == (0, "")
    params = DetectorParams(threshold_factor=40.0, band_hz=(6.0, 35.0), episode_min_twitches=3, gate_edges=False)
    assert tuned["detector"]["params"] == params.as_dict()
    check_summary(tuned, params)
    rec = read_recording(name)
    expected = run_detector(rec, params)
    assert len(tuned["twitches"]) == len(expected.twitches)
    assert len(tuned["twitches"]) < len(default["twitches"]), "a 10x higher threshold must drop small twitches"


@pytest.mark.parametrize("item, words", [
    ("nope=1", "NAME one of"),
    ("threshold_factor", "NAME=VALUE"),
    ("threshold_factor=abc", "not a number"),
    ("threshold_factor=-1", "must be positive"),
    ("band_hz=[50, 40]", "band_hz"),
])
def test_bad_set_is_a_one_line_error(capsys, good_files, item, words):
    status = cli.main(["analyze", "--json", str(good_files["csv"]), "--set", item])
    out, err = capsys.readouterr()
    assert status != 0
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("twitchwatch: ") and words in lines[0], err


# Values of the wrong type or shape must not reach scipy or the detector (they once did).
@pytest.mark.parametrize("item", ["band_hz=[1]", "band_hz=5", 'threshold_factor="x"', "threshold_factor=null",
                                  "band_order=-2", "baseline_blocks=1e9", "envelope_hz=200",
                                  "episode_min_twitches=2.5", "threshold_factor=true", "band_order=0",
                                  "gate_edges=1", "gate_edges=False"])
def test_bad_set_type_is_a_one_line_error(capsys, good_files, item):
    status = cli.main(["analyze", "--json", str(good_files["csv"]), "--set", item])
    out, err = capsys.readouterr()
    assert status != 0 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("twitchwatch: ") and item.partition("=")[0] in err


def test_no_files_is_a_one_line_error(capsys):
    assert cli.main(["analyze"]) != 0
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "--demo" in err


def test_every_field_is_documented():
    doc = (ROOT / "docs" / "analyze-json.md").read_text()
    for key in sorted(REQUIRED | EXTRA | TWITCH_KEYS | EPISODE_KEYS):
        assert f"`{key}`" in doc, f"docs/analyze-json.md does not describe {key}"


def test_usage_error_status_is_2(capsys, good_files):
    assert cli.main(["analyze", str(good_files["csv"]), "--set", "nope=1"]) == 2
    assert capsys.readouterr().out == ""          # refused before any file was read
