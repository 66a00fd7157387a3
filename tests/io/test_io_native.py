"""Native .twr: round trips, quantisation, gaps, damaged and torn files, writer behaviour."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twitchwatch.errors import RecordingError
from twitchwatch.io import read_recording, write_recording
from twitchwatch.io._common import ACCEL_LSB_G, GYRO_LSB_DPS
from twitchwatch.io._twr import BLOCK_HEAD, FILE_MAGIC
from twitchwatch.io.native import NativeWriter, read_native
from twitchwatch.recording import Recording

LSB_A = ACCEL_LSB_G[4]
LSB_G = GYRO_LSB_DPS[500]


def _signal(n: int, seed: int = 0, gyro: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    rng = np.random.default_rng(seed)
    return rng.uniform(-3.9, 3.9, (n, 3)), (rng.uniform(-490, 490, (n, 3)) if gyro else None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(0, 3000), gyro=st.booleans(), seed=st.integers(0, 2**31),
       chunk=st.sampled_from([1, 7, 64, 5000]), gaps=st.lists(st.tuples(st.integers(0, 3000), st.integers(1, 400)), max_size=3),
       holes=st.lists(st.tuples(st.integers(0, 3000), st.integers(0, 5)), max_size=3))
def test_writer_round_trip(tmp_path: Path, n: int, gyro: bool, seed: int, chunk: int,
                           gaps: list[tuple[int, int]], holes: list[tuple[int, int]]) -> None:
    acc, gyr = _signal(n, seed, gyro)
    for a, length in gaps:                       # whole rows lost: index jumps between blocks
        acc[a:a + length] = np.nan
        if gyr is not None:
            gyr[a:a + length] = np.nan
    for row, col in holes:                       # single values lost: the sentinel
        if row < n:
            (acc if col < 3 or gyr is None else gyr)[row, col % 3] = np.nan
    p = tmp_path / f"r{seed}-{chunk}.twr"
    with NativeWriter.create(p, fs_hz=208.0, has_gyro=gyro, start_wall_s=1.7e9, site="thenar", side="right",
                             device="tw", meta={"k": "v"}, background_flush=False) as w:
        for k in range(0, n, chunk):
            w.append(acc[k:k + chunk], None if gyr is None else gyr[k:k + chunk])
    rec = read_native(p)
    p.unlink()
    assert rec.cut_note is None
    assert rec.n_samples == n
    assert (rec.fs_hz, rec.start_wall_s, rec.site, rec.side, rec.device, rec.meta) == (
        208.0, 1.7e9, "thenar", "right", "tw", {"k": "v"})
    np.testing.assert_array_equal(np.isnan(rec.accel_g), np.isnan(acc))
    assert np.nanmax(np.abs(rec.accel_g - acc), initial=0) <= LSB_A / 2 * (1 + 1e-9)
    if gyr is None:
        assert rec.gyro_dps is None
    else:
        np.testing.assert_array_equal(np.isnan(rec.gyro_dps), np.isnan(gyr))
        assert np.nanmax(np.abs(rec.gyro_dps - gyr), initial=0) <= LSB_G / 2 * (1 + 1e-9)


def test_saturation_is_counted(tmp_path: Path) -> None:
    acc = np.array([[0.0, 0.0, 1.0], [5.0, 0.0, 1.0], [-9.0, 9.0, 1.0], [0.0, 0.0, np.inf]])
    p = tmp_path / "s.twr"
    with NativeWriter.create(p, fs_hz=100.0, has_gyro=False, background_flush=False) as w:
        w.append(acc)
        assert w.clipped_samples == 3
    rec = read_native(p)
    full = LSB_A * 32767
    np.testing.assert_allclose(rec.accel_g[1:, 0], [full, -full, 0.0], atol=LSB_A)
    assert rec.meta["clipped_samples"] == "3"


def test_wider_range_and_write_recording_picks_range(tmp_path: Path) -> None:
    acc, gyr = _signal(500, 3)
    assert gyr is not None
    acc *= 3.0                                   # up to 11.7 g: needs the ±16 g range
    gyr *= 3.0                                   # up to 1470 dps: needs 2000 dps
    rec = Recording(104.0, acc, gyr)
    write_recording(rec, tmp_path / "w.twr")
    back = read_recording(tmp_path / "w.twr")
    assert np.abs(back.accel_g - acc).max() <= ACCEL_LSB_G[16] / 2 * (1 + 1e-9)
    assert np.abs(back.gyro_dps - gyr).max() <= GYRO_LSB_DPS[2000] / 2 * (1 + 1e-9)
    assert os.stat(tmp_path / "w.twr").st_mode & 0o777 == 0o600


def _closed_file(tmp_path: Path, n_blocks: int = 5, per_block: int = 200) -> tuple[Path, np.ndarray]:
    acc, gyr = _signal(n_blocks * per_block, 9)
    assert gyr is not None
    p = tmp_path / "b.twr"
    with NativeWriter.create(p, fs_hz=200.0, has_gyro=True, background_flush=False) as w:
        for k in range(n_blocks):
            w.append(acc[k * per_block:(k + 1) * per_block], gyr[k * per_block:(k + 1) * per_block])
            w.flush()
    return p, acc


def _block_offsets(p: Path) -> list[int]:
    buf = p.read_bytes()
    (hlen,) = struct.unpack_from("<I", buf, len(FILE_MAGIC))
    pos, out = len(FILE_MAGIC) + 4 + hlen + 4, []
    while buf[pos:pos + 4] == b"TWB1":
        out.append(pos)
        pos += BLOCK_HEAD + struct.unpack_from("<I", buf, pos + 12)[0] * 12
    return out


@pytest.mark.parametrize("cut_bytes", [1, 7, 19, 20, 21, 500])
def test_torn_tail(tmp_path: Path, cut_bytes: int) -> None:
    p, acc = _closed_file(tmp_path)
    offsets = _block_offsets(p)
    assert len(offsets) == 5
    with open(p, "r+b") as fh:                   # cut inside the last block, as a kill mid-write would
        fh.truncate(offsets[-1] + BLOCK_HEAD + 200 * 12 - cut_bytes)
    rec = read_native(p)
    assert rec.n_samples == 800
    assert np.abs(rec.accel_g - acc[:800]).max() <= LSB_A / 2 * (1 + 1e-9)
    assert rec.cut_note and "cut short" in rec.cut_note and "t = 4.00 s" in rec.cut_note


def test_corrupted_block_stops_reading(tmp_path: Path) -> None:
    p, acc = _closed_file(tmp_path)
    offsets = _block_offsets(p)
    data = bytearray(p.read_bytes())
    data[offsets[2] + BLOCK_HEAD + 100] ^= 0x40     # one flipped bit in block 3's payload
    p.write_bytes(bytes(data))
    rec = read_native(p)
    assert rec.n_samples == 400
    assert rec.cut_note and "checksum" in rec.cut_note and "without closing" in rec.cut_note
    assert np.abs(rec.accel_g - acc[:400]).max() <= LSB_A / 2 * (1 + 1e-9)


def test_corrupted_block_head(tmp_path: Path) -> None:
    p, _ = _closed_file(tmp_path)
    offsets = _block_offsets(p)
    data = bytearray(p.read_bytes())
    data[offsets[1] + 12] = 0xFF                     # sample count now absurd
    p.write_bytes(bytes(data))
    rec = read_native(p)
    assert rec.n_samples == 200 and rec.cut_note


def test_unclosed_file_says_so(tmp_path: Path) -> None:
    p = tmp_path / "u.twr"
    w = NativeWriter.create(p, fs_hz=100.0, has_gyro=False, background_flush=False)
    w.append(np.zeros((150, 3)))
    w.flush()
    rec = read_native(p)                             # read while the writer is still open
    assert rec.n_samples == 150 and "without closing" in (rec.cut_note or "")
    w.close()
    w.close()
    assert read_native(p).cut_note is None


def test_trailing_gap_kept_by_end_record(tmp_path: Path) -> None:
    p = tmp_path / "g.twr"
    acc = np.zeros((50, 3))
    acc[30:] = np.nan
    with NativeWriter.create(p, fs_hz=100.0, has_gyro=False, background_flush=False) as w:
        w.append(acc)
    rec = read_native(p)
    assert rec.n_samples == 50 and rec.lost_spans() == [(30, 50)]


def test_background_flush_without_appends(tmp_path: Path) -> None:
    p = tmp_path / "bg.twr"
    w = NativeWriter.create(p, fs_hz=100.0, has_gyro=False, flush_interval_s=0.2)
    try:
        w.append(np.zeros((10, 3)))
        deadline = 50
        while read_native(p).n_samples < 10 and deadline:
            import time
            time.sleep(0.05)
            deadline -= 1
        assert read_native(p).n_samples == 10
    finally:
        w.close()


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty"),
        (b"hello world, this is text", "wrong magic"),
        (FILE_MAGIC[:5], "inside its header"),
        (FILE_MAGIC + struct.pack("<I", 10) + b"{}", "inside its header"),
        (FILE_MAGIC + struct.pack("<I", 2**30), "damaged"),
        (FILE_MAGIC + struct.pack("<I", 2) + b"{}" + b"\0\0\0\0", "checksum"),
    ],
)
def test_bad_native_files(tmp_path: Path, content: bytes, needle: str) -> None:
    p = tmp_path / "x.twr"
    p.write_bytes(content)
    with pytest.raises(RecordingError, match=needle) as info:
        read_native(p)
    assert str(p) in str(info.value) and "\n" not in str(info.value)


def test_newer_version_and_header_fields(tmp_path: Path) -> None:
    import json
    import zlib
    for hdr, needle in [({"format": "twitchwatch-recording", "version": 9}, "newer"),
                        ({"format": "twitchwatch-recording", "version": 1, "fs_hz": 0.01, "has_gyro": False,
                          "accel_lsb_g": 1e-4}, "out of range"),
                        ({"format": "twitchwatch-recording", "version": 1, "fs_hz": 100}, "missing or invalid"),
                        ({"format": "something-else"}, "not a twitchwatch")]:
        body = json.dumps(hdr).encode()
        p = tmp_path / "v.twr"
        p.write_bytes(FILE_MAGIC + struct.pack("<I", len(body)) + body + struct.pack("<I", zlib.crc32(body)))
        with pytest.raises(RecordingError, match=needle):
            read_native(p)


def test_writer_argument_errors(tmp_path: Path) -> None:
    p = tmp_path / "a.twr"
    with pytest.raises(RecordingError, match="range"):
        NativeWriter.create(p, fs_hz=100.0, has_gyro=False, accel_range_g=3)
    with pytest.raises(RecordingError, match="out of range"):
        NativeWriter.create(p, fs_hz=0.0, has_gyro=False)
    with pytest.raises(RecordingError, match="folder does not exist"):
        NativeWriter.create(tmp_path / "no" / "a.twr", fs_hz=100.0, has_gyro=False)
    with NativeWriter.create(p, fs_hz=100.0, has_gyro=True, background_flush=False) as w:
        with pytest.raises(RecordingError, match="pass gyro_dps"):
            w.append(np.zeros((2, 3)))
        with pytest.raises(RecordingError, match="shape"):
            w.append(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(RecordingError, match="closed"):
        w.append(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(RecordingError, match="already exists"):
        NativeWriter.create(p, fs_hz=100.0, has_gyro=False)
    assert os.stat(p).st_mode & 0o777 == 0o600


def test_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="unknown recording type '.txt'"):
        read_recording(tmp_path / "r.txt")
    with pytest.raises(RecordingError, match="use a file ending in"):
        write_recording(Recording(100.0, np.zeros((1, 3))), tmp_path / "r")


def test_live_full_scale_is_the_sources_or_else_the_widest() -> None:
    from twitchwatch.io.native import live_full_scale

    assert live_full_scale(8, 1000) == (8, 1000)          # what the sensor says it sends
    assert live_full_scale(None, None) == (16, 2000)      # a source that does not say
    assert live_full_scale(3, 250) == (16, 250)           # a scale no LSM6DSO has: the widest
