"""Bad recordings mixed with good ones: one error line per bad file, the rest still analysed,
non-zero exit, never a traceback."""

from __future__ import annotations

import json

import pytest
from cli_helpers import run_cli

from twitchwatch import cli

# Words the one-line error must contain, per kind of bad file (see conftest.bad_files).
WORDS = {
    "empty": "empty",
    "header": "column",
    "nan": "nan",
    "backwards": "backwards",
    "units": "units",
    "truncated": "truncated",
    "not_twr": ".twr",
    "extension": "unknown recording type",
    "missing": "not found",
}


def test_mixed_good_and_bad_subprocess(good_files, bad_files):
    order = ["empty", "header", "nan", "backwards", "units", "truncated", "not_twr", "extension", "missing"]
    goods = [str(good_files["csv"]), str(good_files["twr"]), str(good_files["csv.gz"])]
    argv = [goods[0]] + [str(bad_files[k]) for k in order[:5]] + [goods[1]] + \
           [str(bad_files[k]) for k in order[5:]] + [goods[2]]
    proc = run_cli("analyze", "--json", *argv)
    assert proc.returncode == 1               # docs/analyze-json.md: 1 when any file failed
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    # Good files: one JSON line each, in input order.
    objs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["file"] for o in objs] == goods
    assert all(o["twitches"] for o in objs)
    # Bad files: one line each, in input order, naming the file and what is wrong.
    lines = proc.stderr.splitlines()
    assert len(lines) == len(order), proc.stderr
    for line, kind in zip(lines, order):
        assert line.startswith("twitchwatch: ")
        assert str(bad_files[kind]) in line, line
        assert WORDS[kind].lower() in line.lower(), (kind, line)


@pytest.mark.parametrize("kind", sorted(WORDS))
def test_each_bad_file_in_process(capsys, good_files, bad_files, kind):
    status = cli.main(["analyze", "--json", str(bad_files[kind]), str(good_files["csv"])])
    out, err = capsys.readouterr()
    assert status != 0
    assert [json.loads(line)["file"] for line in out.splitlines()] == [str(good_files["csv"])]
    lines = err.splitlines()
    assert len(lines) == 1 and str(bad_files[kind]) in lines[0] and WORDS[kind].lower() in lines[0].lower()


def test_bad_file_in_text_mode_too(capsys, good_files, bad_files):
    status = cli.main(["analyze", str(bad_files["nan"]), str(good_files["csv"])])
    out, err = capsys.readouterr()
    assert status != 0
    assert out.strip().splitlines()[0] == str(good_files["csv"])   # (a leading blank line today: cosmetic)
    assert len(err.splitlines()) == 1 and str(bad_files["nan"]) in err


def test_damaged_twr_tail_is_analysed_with_a_cut_note(capsys, good_files, tmp_path):
    """A .twr cut mid-block (a crash while recording) is still usable: what survived is analysed
    and the output says what was cut."""
    data = good_files["twr"].read_bytes()
    cut = tmp_path / "cut.twr"
    cut.write_bytes(data[: len(data) * 2 // 3 + 17])
    status = cli.main(["analyze", "--json", str(cut)])
    out, err = capsys.readouterr()
    assert status == 0, err
    (obj,) = [json.loads(line) for line in out.splitlines()]
    assert obj["cut_note"] and isinstance(obj["cut_note"], str)
    assert 0 < obj["duration_s"] < 45.0
