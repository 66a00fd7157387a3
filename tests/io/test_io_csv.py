"""Interchange CSV v1: round trips, real files, and one test per kind of bad input."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twitchwatch.errors import RecordingError
from twitchwatch.io import read_recording, write_recording
from twitchwatch.io.csv_v1 import read_csv
from twitchwatch.recording import Recording

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
HEADER = "t_s,ax_g,ay_g,az_g\n"


def _write(tmp_path: Path, text: str, name: str = "r.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    return p


def _rows(n: int, fs: float = 100.0, start: int = 0) -> str:
    return "".join(f"{(start + i) / fs:.4f},0.01,-0.02,1.0\n" for i in range(n))


@st.composite
def recordings(draw: st.DrawFn) -> Recording:
    n = draw(st.integers(1, 300))
    fs = draw(st.sampled_from([12.5, 52.0, 104.167, 204.8, 208.0, 416.0, 1666.0]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    accel = rng.normal(0, 2, size=(n, 3))
    gyro = rng.normal(0, 300, size=(n, 3)) if draw(st.booleans()) else None
    for _ in range(draw(st.integers(0, 3))):            # gaps, anywhere except sample 0
        a = draw(st.integers(1, n))
        b = draw(st.integers(a, min(n, a + 50)))
        accel[a:b] = np.nan
        if gyro is not None:
            gyro[a:b] = np.nan
    return Recording(fs_hz=fs, accel_g=accel, gyro_dps=gyro,
                     start_wall_s=draw(st.one_of(st.none(), st.floats(0, 4e9))),
                     device=draw(st.sampled_from(["", "tw-01 A4:C1"])), site=draw(st.sampled_from(["", "thenar", "calf"])),
                     side=draw(st.sampled_from(["", "left"])), meta={"activity": "idle hands", "user": "3"})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rec=recordings(), gz=st.booleans())
def test_round_trip(tmp_path: Path, rec: Recording, gz: bool) -> None:
    p = tmp_path / ("r.csv.gz" if gz else "r.csv")
    write_recording(rec, p, overwrite=True)
    back = read_recording(p)
    assert back.n_samples == rec.n_samples
    assert back.fs_hz == rec.fs_hz
    assert back.lost_spans() == rec.lost_spans()
    np.testing.assert_allclose(back.accel_g, rec.accel_g, atol=5.1e-7, equal_nan=True)
    if rec.gyro_dps is None:
        assert back.gyro_dps is None
    else:
        np.testing.assert_allclose(back.gyro_dps, rec.gyro_dps, atol=5.1e-5, equal_nan=True)
    assert (back.start_wall_s, back.device, back.site, back.side, back.meta) == (
        rec.start_wall_s, rec.device, rec.site, rec.side, rec.meta)
    assert os.stat(p).st_mode & 0o777 == 0o600


def test_header_keys_and_gap_from_time_jump(tmp_path: Path) -> None:
    text = ("# fs_hz=100\n# site=calf\n# side=right\n# device=tw-2\n# start_wall_s=1700000000.5\n"
            "# placement=left calf\n# a plain comment\n" + HEADER + _rows(5) + _rows(3, start=8))
    rec = read_csv(_write(tmp_path, text))
    assert rec.n_samples == 11
    assert rec.lost_spans() == [(5, 8)]
    assert (rec.site, rec.side, rec.device, rec.start_wall_s) == ("calf", "right", "tw-2", 1700000000.5)
    assert rec.meta == {"placement": "left calf"}
    assert rec.gyro_dps is None


def test_fs_from_rounded_time_column(tmp_path: Path) -> None:
    # 204.8 Hz printed with 4 decimals: single steps are 0.0049 or 0.0048 s.
    rows = "".join(f"{i / 204.8:.4f},0,0,1\n" for i in range(2000))
    rec = read_csv(_write(tmp_path, HEADER + rows))
    assert rec.fs_hz == pytest.approx(204.8, rel=1e-4)
    assert rec.lost_spans() == []


def test_leading_gap(tmp_path: Path) -> None:
    rec = read_csv(_write(tmp_path, "# fs_hz=100\n" + HEADER + _rows(4, start=3)))
    assert rec.n_samples == 7 and rec.lost_spans() == [(0, 3)]


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        ("empty", "", "empty"),
        ("only_comments", "# fs_hz=100\n", "no column header"),
        ("no_header", _rows(3), "missing column header"),
        ("no_rows", HEADER, "no samples"),
        ("accel_ms2", "t_s,ax_ms2,ay_ms2,az_ms2\n0,0,0,9.8\n", "acceleration must be in g"),
        ("gyro_rads", "t_s,ax_g,ay_g,az_g,gx_rads,gy_rads,gz_rads\n0,0,0,1,0,0,0\n", "degrees per second"),
        ("time_ms", "t_ms,ax_g,ay_g,az_g\n0,0,0,1\n", "t_s"),
        ("unknown_col", "t_s,ax_g,ay_g,az_g,label\n0,0,0,1,2\n", "unknown column 'label'"),
        ("missing_axis", "t_s,ax_g,ay_g\n0,0,0\n1,0,0\n", "missing column 'az_g'"),
        ("partial_gyro", "t_s,ax_g,ay_g,az_g,gx_dps\n0,0,0,1,0\n", "gyro column 'gy_dps' missing"),
        ("dup_col", "t_s,ax_g,ay_g,az_g,ax_g\n0,0,0,1,0\n", "appears twice"),
        ("nan", HEADER + _rows(3) + "0.03,nan,0,1\n", "line 5: ax_g is nan"),
        ("inf", HEADER + _rows(3) + "0.03,0,inf,1\n", "ay_g is inf"),
        ("text_value", HEADER + _rows(2) + "0.02,0,abc,1\n", "line 4, column 3: 'abc' is not a number"),
        ("empty_value", HEADER + _rows(2) + "0.02,0,,1\n", "line 4, column 3"),
        ("too_few_cols", HEADER + _rows(2) + "0.02,0,1\n", "line 4 has 3 values but the header has 4"),
        ("too_many_cols", HEADER + _rows(2) + "0.02,0,1,1,5\n", "line 4 has 5 values"),
        ("first_row_short", HEADER + "0,0,1\n0.01,0,1\n", "line 2 has 3 values"),
        ("backwards", HEADER + _rows(3) + "0.01,0,0,1\n", "line 5: t_s goes backwards"),
        ("repeat", HEADER + _rows(3) + "0.02,0,0,1\n", "line 5: t_s repeats"),
        ("off_grid", HEADER + _rows(5) + "0.055,0,0,1\n" + _rows(3, start=6), "off the uniform grid"),
        ("fs_mismatch", "# fs_hz=50\n" + HEADER + _rows(10), "header fs_hz=50"),
        ("fs_too_high", "# fs_hz=50000\n" + HEADER + "0,0,0,1\n", "out of range"),
        ("fs_too_low", HEADER + "0,0,0,1\n10,0,0,1\n", "out of range"),
        ("fs_text", "# fs_hz=fast\n" + HEADER + _rows(3), "not a number"),
        ("single_row_no_fs", HEADER + "0,0,0,1\n", "single sample"),
        ("unix_time", HEADER + "1700000000.00,0,0,1\n1700000000.01,0,0,1\n", "count seconds from the start"),
        ("huge_jump", HEADER + _rows(3) + "100000.03,0,0,1\n", "split the file"),
        ("blank_line", HEADER + _rows(2) + "\n" + _rows(2, start=2), "line 4 is empty"),
        ("bad_site", "# site=wrist\n" + HEADER + _rows(3), "site 'wrist'"),
        ("bad_start", "# start_wall_s=yesterday\n" + HEADER + _rows(3), "start_wall_s"),
        ("n_samples_small", "# n_samples=2\n" + HEADER + _rows(3), "n_samples=2"),
    ],
)
def test_bad_input_is_one_line_error(tmp_path: Path, name: str, text: str, needle: str) -> None:
    p = _write(tmp_path, text)
    with pytest.raises(RecordingError) as info:
        read_csv(p)
    msg = str(info.value)
    assert needle in msg
    assert str(p) in msg and "\n" not in msg


def test_binary_file(tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_bytes(b"\xff\xfe\x00\x01" * 10)
    with pytest.raises(RecordingError, match="not a text CSV"):
        read_csv(p)


def test_gzip_named_csv(tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_bytes(gzip.compress((HEADER + _rows(3)).encode()))
    with pytest.raises(RecordingError, match="rename it to .csv.gz"):
        read_csv(p)


def test_truncated_gzip(tmp_path: Path) -> None:
    full = gzip.compress(("# fs_hz=100\n" + HEADER + _rows(5000)).encode())
    p = tmp_path / "r.csv.gz"
    p.write_bytes(full[: len(full) // 2])
    with pytest.raises(RecordingError, match="truncated"):
        read_csv(p)


def test_corrupt_gzip(tmp_path: Path) -> None:
    full = bytearray(gzip.compress(("# fs_hz=100\n" + HEADER + _rows(5000)).encode()))
    full[len(full) // 2] ^= 0xFF
    p = tmp_path / "r.csv.gz"
    p.write_bytes(bytes(full))
    with pytest.raises(RecordingError, match="r.csv.gz"):
        read_csv(p)


def test_plain_text_named_gz(tmp_path: Path) -> None:
    p = tmp_path / "r.csv.gz"
    p.write_text(HEADER + _rows(3))
    with pytest.raises(RecordingError, match="not valid gzip"):
        read_csv(p)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="not found"):
        read_csv(tmp_path / "nope.csv")
    with pytest.raises(RecordingError, match="folder"):
        read_csv(tmp_path)


def test_write_refuses_overwrite_and_bad_meta(tmp_path: Path) -> None:
    rec = Recording(100.0, np.zeros((3, 3)))
    p = tmp_path / "r.csv"
    write_recording(rec, p)
    with pytest.raises(RecordingError, match="already exists"):
        write_recording(rec, p)
    write_recording(rec, p, overwrite=True)
    with pytest.raises(RecordingError, match="reserved"):
        write_recording(Recording(100.0, np.zeros((3, 3)), meta={"fs_hz": "1"}), tmp_path / "m.csv")
    with pytest.raises(RecordingError, match="spans lines"):
        write_recording(Recording(100.0, np.zeros((3, 3)), meta={"k": "a\nb"}), tmp_path / "m.csv")
    assert not list(tmp_path.glob(".*tmp*"))


@pytest.mark.skipif(not DATA.is_dir(), reason=f"third-party recordings not present at {DATA}")
def test_reads_shared_recordings() -> None:
    files = sorted(DATA.glob("*/*.csv.gz"))
    assert files
    for f in files[:: max(1, len(files) // 12)]:
        rec = read_csv(f)
        assert 100 <= rec.fs_hz <= 210
        assert rec.gyro_dps is not None and rec.lost_spans() == []
        assert abs(np.nanmedian(np.linalg.norm(rec.accel_g, axis=1)) - 1.0) < 0.2   # gravity, in g


def test_crlf_bom_and_numpy_fs(tmp_path: Path) -> None:
    p = tmp_path / "w.csv"
    p.write_bytes(b"\xef\xbb\xbf# fs_hz=100\r\n" + (HEADER + _rows(4)).replace("\n", "\r\n").encode())
    assert read_csv(p).n_samples == 4
    rec = Recording(np.float64(208.0), np.zeros((4, 3)))   # numpy scalars must not leak into the header
    rec.accel_g[0] = np.nan                                 # and a leading gap survives the round trip
    write_recording(rec, tmp_path / "n.csv")
    assert "np." not in (tmp_path / "n.csv").read_text()
    back = read_csv(tmp_path / "n.csv")
    assert back.fs_hz == 208.0 and back.lost_spans() == [(0, 1)] and back.n_samples == 4
