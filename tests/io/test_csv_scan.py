"""CSV read piece by piece (``scan_csv``) equals the whole read (``read_csv``): the same samples
bit for bit, the same facts, and the same one-line error for every bad file; and ``analyze`` on a
CSV (which uses it, to keep memory bounded) gives the same JSON as analysing the whole recording."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twitchwatch.detect import DetectorParams
from twitchwatch.detect.summary import run_detector, summarise
from twitchwatch.errors import RecordingError
from twitchwatch.io import read_recording, write_csv
from twitchwatch.io.csv_scan import scan_csv
from twitchwatch.io.csv_v1 import read_csv
from twitchwatch.model.simulate import SimConfig, simulate

DEMO = Path(__file__).resolve().parents[2] / "recordings" / "demo.csv.gz"
HEADER = "t_s,ax_g,ay_g,az_g\n"


def _rows(n: int, fs: float = 100.0, start: int = 0) -> str:
    return "".join(f"{(start + i) / fs:.4f},0.01,-0.02,1.0\n" for i in range(n))


def _write(tmp_path: Path, text: str, name: str = "r.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    return p


def _simulated(tmp_path: Path, name: str, *, gyro: bool = True, gaps: bool = True, tail_gap: bool = False) -> Path:
    rec, _ = simulate(SimConfig(duration_s=40.0, fs_hz=104.0, seed=3, with_gyro=gyro, episodes_per_hour=200,
                                isolated_per_hour=300, site="calf", side="left"))
    if gaps:
        rec.accel_g[0:3] = np.nan                     # a lost start
        rec.accel_g[900:1000] = np.nan
        rec.accel_g[2000:2001] = np.nan
    if tail_gap:
        rec.accel_g[-50:] = np.nan                    # kept by a '# n_samples=' header line
    rec.start_wall_s = 1_700_000_000.25
    rec.meta = {"note": "test"}
    p = tmp_path / name
    write_csv(rec, p)
    return p


def _assert_same(p: Path, block_bytes: int, chunk_n: int) -> None:
    whole = read_csv(p)
    scan = scan_csv(p, block_bytes=block_bytes)
    assert (scan.fs_hz, scan.n_samples) == (whole.fs_hz, whole.n_samples)
    assert (scan.start_wall_s, scan.device, scan.site, scan.side, scan.meta, scan.cut_note) == (
        whole.start_wall_s, whole.device, whole.site, whole.side, whole.meta, whole.cut_note)
    pieces = list(scan.chunks(chunk_n))
    assert all(len(a) <= chunk_n for a, _ in pieces)
    assert np.array_equal(np.concatenate([a for a, _ in pieces]), whole.accel_g, equal_nan=True)
    if whole.gyro_dps is None:
        assert all(g is None for _, g in pieces)
    else:
        assert np.array_equal(np.concatenate([g for _, g in pieces]), whole.gyro_dps, equal_nan=True)


@pytest.mark.parametrize("name", ["g.csv", "g.csv.gz"])
@pytest.mark.parametrize(("block_bytes", "chunk_n"), [(1 << 20, 65536), (1000, 777), (50, 4096)])
def test_gyro_gaps_plain_and_gzip(tmp_path: Path, name: str, block_bytes: int, chunk_n: int) -> None:
    _assert_same(_simulated(tmp_path, name), block_bytes, chunk_n)


@pytest.mark.parametrize("name", ["a.csv", "a.csv.gz"])
def test_no_gyro_and_trailing_gap(tmp_path: Path, name: str) -> None:
    p = _simulated(tmp_path, name, gyro=False, tail_gap=True)
    raw = gzip.decompress(p.read_bytes()) if name.endswith(".gz") else p.read_bytes()
    assert b"# n_samples=" in raw
    for block_bytes, chunk_n in [(1 << 20, 65536), (300, 1000), (64, 1)]:
        _assert_same(p, block_bytes, chunk_n)


def test_demo_recording(tmp_path: Path) -> None:
    _assert_same(DEMO, 1 << 16, 5000)


def test_odd_but_valid_text(tmp_path: Path) -> None:
    """BOM, CRLF, header spread over blocks, trailing whitespace lines and no final newline."""
    text = ("\ufeff# fs_hz=100\r\n# a=b\r\n" + "# pad\r\n" * 30 + HEADER.replace("\n", "\r\n")
            + _rows(200).replace("\n", "\r\n") + _rows(5, start=210).rstrip("\n") + "\r\n \r\n\r\n")
    p = _write(tmp_path, text)
    for block_bytes in (1, 7, 64, 1 << 20):
        _assert_same(p, block_bytes, 33)
    _assert_same(_write(tmp_path, HEADER + _rows(20).rstrip("\n")), 16, 7)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lost=st.lists(st.tuples(st.integers(0, 299), st.integers(1, 40)), max_size=4),
       tail=st.integers(0, 20), gyro=st.booleans(), block_bytes=st.integers(1, 3000),
       chunk_n=st.integers(1, 400), gz=st.booleans())
def test_random_gaps_and_blocks(tmp_path: Path, lost, tail: int, gyro: bool, block_bytes: int, chunk_n: int,
                                gz: bool) -> None:
    keep = np.ones(300, bool)
    for a, n in lost:
        keep[a:a + n] = False
    keep[0] = keep[0] or not keep[1:].any()           # at least one row
    cols = ",".join(["t_s", "ax_g", "ay_g", "az_g"] + (["gx_dps", "gy_dps", "gz_dps"] if gyro else []))
    lines = [f"# fs_hz=52.0\n# n_samples={300 + tail}\n{cols}\n"]
    rng = np.random.default_rng(len(lost) + tail)
    for i in np.flatnonzero(keep):
        vals = rng.normal(0, 1, 6 if gyro else 3)
        lines.append(f"{i / 52.0:.6f}," + ",".join(f"{v:.6f}" for v in vals) + "\n")
    _assert_same(_write(tmp_path, "".join(lines), "h.csv.gz" if gz else "h.csv"), block_bytes, chunk_n)


def test_first_pass_memory_is_about_16_bytes_per_row(tmp_path: Path, monkeypatch) -> None:
    """The first pass holds t_s, then the time fit's one array (steps, then the index): 8 bytes
    per row each, plus small pieces. The whole-array fit peaked at ~65 bytes per row. Numpy
    reports its buffers to tracemalloc."""
    from twitchwatch.io import _csv_time

    monkeypatch.setattr(_csv_time, "_CHUNK_ROWS", 4096)    # pieces far smaller than the arrays
    n = 300_000
    p = tmp_path / "long.csv"
    with open(p, "w") as fh:
        fh.write("# fs_hz=100.0\n" + HEADER)
        np.savetxt(fh, np.column_stack([np.arange(n) / 100.0, np.full(n, 0.01), np.full(n, -0.02), np.ones(n)]),
                   fmt="%.6f", delimiter=",")
    tracemalloc.start()
    try:
        scan = scan_csv(p, block_bytes=1 << 14)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert scan.n_samples == n
    assert peak_bytes < 20 * n, f"{peak_bytes / n:.1f} bytes per row"


# --- analyze --json ----------------------------------------------------------------------------


def _old_analyze(name: str) -> dict:
    params = DetectorParams()
    rec = read_recording(name)
    return summarise(rec, run_detector(rec, params), params, file=name)


@pytest.mark.parametrize("which", ["demo", "simulated"])
def test_analyze_json_equals_whole_file_path(tmp_path: Path, monkeypatch, capsys, which: str) -> None:
    from twitchwatch import cli
    from twitchwatch.detect import summary
    from twitchwatch.io import csv_scan

    name = str(DEMO) if which == "demo" else str(_simulated(tmp_path, "s.csv.gz", tail_gap=True))
    expected = _old_analyze(name)
    assert expected["twitches"] and (which == "demo" or expected["lost_s"] > 0)
    monkeypatch.setattr(summary, "CHUNK_N", 1234)          # many pieces, cut anywhere
    monkeypatch.setattr(csv_scan, "BLOCK_BYTES", 4096)
    assert cli.main(["analyze", "--json", name]) == 0
    assert capsys.readouterr().out == json.dumps(expected) + "\n"


# --- errors ------------------------------------------------------------------------------------


def _same_error(p: Path, block_bytes: int = 1 << 20) -> str:
    with pytest.raises(RecordingError) as whole:
        read_csv(p)
    with pytest.raises(RecordingError) as scanned:
        scan_csv(p, block_bytes=block_bytes)
    assert str(scanned.value) == str(whole.value)
    assert "\n" not in str(whole.value) and str(p) in str(whole.value)
    return str(whole.value)


BAD = {
    "empty": "",
    "whitespace": " \n\n \n",
    "only_comments": "# fs_hz=100\n",
    "no_header": _rows(3),
    "no_rows": HEADER,
    "no_rows_blank": HEADER + "\n \n",
    "accel_ms2": "t_s,ax_ms2,ay_ms2,az_ms2\n0,0,0,9.8\n",
    "gyro_rads": "t_s,ax_g,ay_g,az_g,gx_rads,gy_rads,gz_rads\n0,0,0,1,0,0,0\n",
    "time_ms": "t_ms,ax_g,ay_g,az_g\n0,0,0,1\n",
    "unknown_col": "t_s,ax_g,ay_g,az_g,label\n0,0,0,1,2\n",
    "partial_gyro": "t_s,ax_g,ay_g,az_g,gx_dps\n0,0,0,1,0\n",
    "dup_col": "t_s,ax_g,ay_g,az_g,ax_g\n0,0,0,1,0\n",
    "nan": HEADER + _rows(3) + "0.03,nan,0,1\n",
    "inf": HEADER + _rows(3) + "0.03,0,inf,1\n",
    "text_value": HEADER + _rows(2) + "0.02,0,abc,1\n",
    "empty_value": HEADER + _rows(2) + "0.02,0,,1\n",
    "too_few_cols": HEADER + _rows(2) + "0.02,0,1\n",
    "too_many_cols": HEADER + _rows(2) + "0.02,0,1,1,5\n",
    "backwards": HEADER + _rows(3) + "0.01,0,0,1\n",
    "repeat": HEADER + _rows(3) + "0.02,0,0,1\n",
    "off_grid": HEADER + _rows(5) + "0.055,0,0,1\n" + _rows(3, start=6),
    "fs_mismatch": "# fs_hz=50\n" + HEADER + _rows(10),
    "fs_too_high": "# fs_hz=50000\n" + HEADER + "0,0,0,1\n",
    "fs_too_low": HEADER + "0,0,0,1\n10,0,0,1\n",
    "fs_text": "# fs_hz=fast\n" + HEADER + _rows(3),
    "single_row_no_fs": HEADER + "0,0,0,1\n",
    "unix_time": HEADER + "1700000000.00,0,0,1\n1700000000.01,0,0,1\n",
    "huge_jump": HEADER + _rows(3) + "100000.03,0,0,1\n",
    "blank_line": HEADER + _rows(2) + "\n" + _rows(2, start=2),
    "blank_crlf": HEADER + _rows(2) + "\r\n" + _rows(2, start=2),
    "space_line": HEADER + _rows(2) + "  \n" + _rows(2, start=2),
    "bad_site": "# site=wrist\n" + HEADER + _rows(3),
    "bad_side": "# side=up\n" + HEADER + _rows(3),
    "bad_start": "# start_wall_s=yesterday\n" + HEADER + _rows(3),
    "n_samples_small": "# n_samples=2\n" + HEADER + _rows(3),
    "n_samples_text": "# n_samples=many\n" + HEADER + _rows(3),
    "nul": HEADER + _rows(2) + "0.02,0\x00,0,1\n",
    # several problems at once: read_csv's order of checks decides which is named
    "blank_after_bad_value": HEADER + _rows(2) + "0.02,x,0,1\n" + _rows(3, start=3) + "\n" + _rows(2, start=6),
    "bad_value_after_nan": HEADER + "0,nan,0,1\n" + _rows(300, start=1) + "3.01,0,q,1\n",
    "nul_after_bad_header": "t_s,ax\n" + _rows(300) + "\x00\n",
    "nan_and_backwards": HEADER + _rows(3) + "0.01,0,0,1\n" + _rows(300, start=4) + "3.04,inf,0,1\n",
}


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize("block_bytes", [1 << 20, 20])
def test_bad_input_gives_read_csvs_error(tmp_path: Path, kind: str, block_bytes: int) -> None:
    _same_error(_write(tmp_path, BAD[kind]), block_bytes)


# A blank line in the body (empty, or only spaces/tabs/CR) is refused by its line number wherever
# it is, including right after the column line; in the header and after the last row it is fine.
BLANK = {
    "spaces": (HEADER + _rows(2) + "  \n" + _rows(2, start=2), 4),
    "tab_cr": (HEADER + _rows(2) + " \t\r\n" + _rows(2, start=2), 4),
    "after_column_line": (HEADER + "\n" + _rows(3), 2),
    "spaces_after_column_line": ("# fs_hz=100\n# a=b\n" + HEADER + " \t \n" + _rows(3), 4),
    "crlf_after_column_line": ((HEADER + "\n" + _rows(3)).replace("\n", "\r\n"), 2),
    "after_column_line_then_nan": (HEADER + "\n" + _rows(3) + "0.03,nan,0,1\n", 2),
    "after_column_line_then_bad_value": ("# fs_hz=100\n" + HEADER + "\n" + _rows(3) + "0.05,x,0,1\n", 3),
    "spaces_far_in": (HEADER + _rows(3000) + "   \n" + _rows(5, start=3000), 3002),
}


@pytest.mark.parametrize("kind", sorted(BLANK))
@pytest.mark.parametrize("block_bytes", [1 << 20, 20, 3])
def test_blank_line_is_named_by_its_line(tmp_path: Path, kind: str, block_bytes: int) -> None:
    text, line_no = BLANK[kind]
    msg = _same_error(_write(tmp_path, text), block_bytes)
    assert msg == f"{tmp_path / 'r.csv'}: line {line_no} is empty; remove blank lines between samples"


@pytest.mark.parametrize("block_bytes", [1 << 20, 20, 3])
def test_blank_lines_in_the_header_and_at_the_end_are_fine(tmp_path: Path, block_bytes: int) -> None:
    head = "\n \t\n# fs_hz=100\n\n# a=b\r\n  \n"       # lines 1-6, then the column line (7)
    _assert_same(_write(tmp_path, head + HEADER + _rows(30) + " \n\t\r\n\n"), block_bytes, 7)
    msg = _same_error(_write(tmp_path, head + HEADER + _rows(3) + "0.03,x,0,1\n"), block_bytes)
    assert "line 11, column 2: 'x' is not a number" in msg


@pytest.mark.parametrize("name", ["r.CSV.GZ", "r.Csv.Gz", "r.csv.GZ"])
def test_gzip_suffix_in_any_case(tmp_path: Path, capsys, name: str) -> None:
    from twitchwatch import cli

    p = _simulated(tmp_path, name)
    assert p.read_bytes()[:2] == b"\x1f\x8b"                  # written compressed, as the name says
    lower = _simulated(tmp_path, "r.csv.gz")
    _assert_same(p, 4096, 1000)
    assert np.array_equal(read_recording(p).gyro_dps, read_csv(lower).gyro_dps, equal_nan=True)
    assert cli.main(["analyze", "--json", str(p), str(lower)]) == 0
    out, err = capsys.readouterr()
    got, expected = (json.loads(line) for line in out.splitlines())
    assert not err and got == {**expected, "file": str(p)}


def test_bad_bytes(tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_bytes((HEADER + _rows(3000)).encode() + b"0.3,\xff,0,1\n")       # not UTF-8, far in
    assert "byte " in _same_error(p, 4096)
    p.write_bytes(b"\xef\xbb\xbf" + (HEADER + _rows(300)).encode() + b"\xe2\n" + b"\x00")
    _same_error(p, 100)
    p.write_bytes(gzip.compress((HEADER + _rows(3)).encode()))               # gzip named .csv
    _same_error(p)
    _same_error(tmp_path / "missing.csv")
    _same_error(tmp_path)


def test_bad_gzip(tmp_path: Path) -> None:
    full = gzip.compress(("# fs_hz=100\n" + HEADER + _rows(5000) + "x\n").encode())
    p = tmp_path / "r.csv.gz"
    p.write_bytes(full[: len(full) // 2])
    assert "truncated" in _same_error(p, 1000)
    damaged = bytearray(full)
    damaged[len(full) // 2] ^= 0xFF
    p.write_bytes(bytes(damaged))
    _same_error(p, 1000)
    p.write_bytes((HEADER + _rows(3)).encode())
    assert "not valid gzip" in _same_error(p)


@pytest.mark.parametrize("block_bytes", [1 << 20, 4096, 100])
def test_bad_value_far_into_the_file_names_its_line(tmp_path: Path, block_bytes: int) -> None:
    lines = (HEADER + _rows(50_000)).splitlines()
    lines[40_000] = lines[40_000].replace(",", ",x", 1)
    text = "# fs_hz=100\n" + "\n".join(lines) + "\n"
    p = _write(tmp_path, text, "far.csv.gz")
    assert len(text) > 1 << 20                         # past the first block at the default size
    msg = _same_error(p, block_bytes)
    assert "line 40002, column 2: 'x0.01' is not a number" in msg


def test_changed_between_passes(tmp_path: Path) -> None:
    p = _write(tmp_path, "# fs_hz=100\n" + HEADER + _rows(100))
    scan = scan_csv(p)
    p.write_text("# fs_hz=100\n" + HEADER + _rows(50))
    with pytest.raises(RecordingError, match="changed while it was being read"):
        list(scan.chunks(30))
