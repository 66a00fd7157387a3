"""Reader of the native ``.twr`` format: validates every block and stops at the first bad one."""

from __future__ import annotations

import bisect
import json
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RecordingError
from ..recording import Recording
from ._common import check_fs, check_site_side, read_file_bytes
from ._twr import (
    BLOCK_HEAD, BLOCK_MAGIC, END_MAGIC, FILE_MAGIC, FORMAT_NAME, FORMAT_VERSION, LOST_VALUE,
    MAX_BLOCK_SAMPLES, MAX_JSON_BYTES,
)


@dataclass
class NativeScan:
    """A validated ``.twr`` file, not yet decoded: its header, where each good block's samples
    lie in the file bytes, how many samples it spans, and what was cut (if anything)."""

    path: Path
    header: dict[str, Any]
    buf: bytes
    blocks: list[tuple[int, int, int]]          # (payload offset, first index, n), by first index
    n_samples: int
    cut_note: str | None
    meta: dict[str, str]
    _firsts: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._firsts = [first for _, first, _ in self.blocks]

    @property
    def fs_hz(self) -> float:
        return float(self.header["fs_hz"])

    def physical(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Samples ``[start, stop)`` in g and deg/s; lost samples are NaN."""
        n_ch = 6 if self.header["has_gyro"] else 3
        raw = np.full((stop - start, n_ch), LOST_VALUE, dtype="<i2")
        k = max(bisect.bisect_right(self._firsts, start) - 1, 0)
        for off, first, n in self.blocks[k:]:
            if first >= stop:
                break
            lo, hi = max(first, start), min(first + n, stop)
            if lo < hi:
                rows = np.frombuffer(self.buf, dtype="<i2", count=n * n_ch, offset=off).reshape(n, n_ch)
                raw[lo - start:hi - start] = rows[lo - first:hi - first]
        return raw_to_physical(raw, self.header)

    def chunks(self, chunk_n: int) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """The whole recording as consecutive pieces of at most ``chunk_n`` samples."""
        for start in range(0, self.n_samples, chunk_n):
            yield self.physical(start, min(start + chunk_n, self.n_samples))


def read_native(path: str | os.PathLike[str]) -> Recording:
    """Read a ``.twr`` file into a :class:`Recording`.

    Lost samples (index jumps between blocks, sentinel values) become NaN. A damaged or torn
    tail is dropped and described in ``Recording.cut_note``; so is a file whose writer never
    reached ``close()``. A damaged header raises :class:`RecordingError`.
    """
    scan = scan_native(path)
    accel, gyro = scan.physical(0, scan.n_samples)
    h = scan.header
    return Recording(
        fs_hz=scan.fs_hz, accel_g=accel, gyro_dps=gyro, start_wall_s=h["start_wall_s"],
        device=h["device"], site=h["site"], side=h["side"], meta=scan.meta, cut_note=scan.cut_note,
    )


def scan_native(path: str | os.PathLike[str]) -> NativeScan:
    """Validate a ``.twr`` file block by block without decoding its samples (see read_native)."""
    p = Path(path)
    buf = read_file_bytes(p)
    header, pos = _read_header(buf, p)
    fs_hz = header["fs_hz"]
    n_ch = 6 if header["has_gyro"] else 3
    mv = memoryview(buf)

    blocks: list[tuple[int, int, int]] = []    # (payload offset, first index, n)
    next_index = 0
    end_info: dict[str, Any] | None = None
    cut: str | None = None
    size = len(buf)
    while pos < size:
        tag = bytes(mv[pos:pos + 4])
        if tag == BLOCK_MAGIC:
            if pos + BLOCK_HEAD > size:
                cut = f"a block cut short ({size - pos} bytes)"
                break
            first, n, crc = struct.unpack_from("<QII", buf, pos + 4)
            nbytes = n * n_ch * 2
            if not (0 < n <= MAX_BLOCK_SAMPLES):
                cut = f"a damaged block head at byte {pos}"
                break
            if pos + BLOCK_HEAD + nbytes > size:
                cut = f"a block cut short ({size - pos} of {BLOCK_HEAD + nbytes} bytes)"
                break
            payload = mv[pos + BLOCK_HEAD:pos + BLOCK_HEAD + nbytes]
            if zlib.crc32(payload, zlib.crc32(mv[pos + 4:pos + 16])) != crc:
                cut = f"a damaged block at byte {pos} (checksum mismatch)"
                break
            if first < next_index:
                cut = f"a block at byte {pos} that overlaps earlier samples"
                break
            blocks.append((pos + BLOCK_HEAD, first, n))
            next_index = first + n
            pos += BLOCK_HEAD + nbytes
        elif tag == END_MAGIC:
            end_info, used = _read_end(buf, pos)
            if end_info is None or end_info["n_samples"] < next_index:
                cut, end_info = f"a damaged end record at byte {pos}", None
                break
            pos += used
            if pos < size:
                cut = f"unexpected data after the end record at byte {pos}"
            break
        else:
            cut = f"unrecognised bytes at byte {pos}" if len(tag) == 4 else f"a block cut short ({size - pos} bytes)"
            break

    n_total = end_info["n_samples"] if end_info is not None else next_index
    notes = []
    if cut is not None:
        notes.append(f"dropped {size - pos} bytes from {cut}; data after sample {next_index} "
                     f"(t = {next_index / fs_hz:.2f} s) is lost")
    if end_info is None:
        notes.append(f"the writer stopped without closing the file (crash, kill or power loss); "
                     f"the recording ends at t = {n_total / fs_hz:.2f} s and up to 2 s before the stop may be missing")
    meta = dict(header["meta"])
    if end_info is not None and end_info.get("clipped_samples", 0) > 0:
        meta["clipped_samples"] = str(int(end_info["clipped_samples"]))
    return NativeScan(p, header, buf, blocks, n_total, "; ".join(notes) if notes else None, meta)


def _read_header(buf: bytes, p: Path) -> tuple[dict[str, Any], int]:
    if len(buf) == 0:
        raise RecordingError(f"{p}: file is empty; it is not a usable .twr recording")
    if not buf.startswith(FILE_MAGIC):
        if FILE_MAGIC.startswith(buf):
            raise RecordingError(f"{p}: file ends inside its header (cut during creation); it holds no samples")
        raise RecordingError(f"{p}: not a twitchwatch .twr recording (wrong magic bytes); check the file type")
    start = len(FILE_MAGIC) + 4
    if len(buf) < start:
        raise RecordingError(f"{p}: file ends inside its header (cut during creation); it holds no samples")
    (length,) = struct.unpack_from("<I", buf, len(FILE_MAGIC))
    if length > MAX_JSON_BYTES:
        raise RecordingError(f"{p}: header is damaged (claims {length} bytes); the file cannot be read")
    if len(buf) < start + length + 4:
        raise RecordingError(f"{p}: file ends inside its header (cut during creation); it holds no samples")
    body = buf[start:start + length]
    (crc,) = struct.unpack_from("<I", buf, start + length)
    if zlib.crc32(body) != crc:
        raise RecordingError(f"{p}: header is damaged (checksum mismatch); the file cannot be read")
    try:
        header = json.loads(body)
    except ValueError:
        raise RecordingError(f"{p}: header is not valid JSON; the file cannot be read") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise RecordingError(f"{p}: not a twitchwatch recording header; check the file type")
    version = header.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise RecordingError(f"{p}: format version {version!r} is newer than this twitchwatch reads ({FORMAT_VERSION}); upgrade twitchwatch")
    try:
        header["fs_hz"] = check_fs(header["fs_hz"], f"{p}: header fs_hz")
        header["has_gyro"] = bool(header["has_gyro"])
        header["accel_lsb_g"] = float(header["accel_lsb_g"])
        if header["has_gyro"]:
            header["gyro_lsb_dps"] = float(header["gyro_lsb_dps"])
        header["meta"] = {str(k): str(v) for k, v in dict(header.get("meta") or {}).items()}
        for key in ("device", "site", "side"):
            header[key] = str(header.get(key) or "")
        swall = header.get("start_wall_s")
        header["start_wall_s"] = None if swall is None else float(swall)
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordingError(f"{p}: header field {exc} is missing or invalid; the file cannot be read") from None
    check_site_side(header["site"], header["side"], str(p))
    return header, start + length + 4


def _read_end(buf: bytes, pos: int) -> tuple[dict[str, Any] | None, int]:
    if pos + 8 > len(buf):
        return None, 0
    (length,) = struct.unpack_from("<I", buf, pos + 4)
    if length > MAX_JSON_BYTES or pos + 8 + length + 4 > len(buf):
        return None, 0
    body = buf[pos + 8:pos + 8 + length]
    (crc,) = struct.unpack_from("<I", buf, pos + 8 + length)
    if zlib.crc32(body) != crc:
        return None, 0
    try:
        info = json.loads(body)
        info["n_samples"] = int(info["n_samples"])
    except (ValueError, KeyError, TypeError):
        return None, 0
    return info, 8 + length + 4


def raw_to_physical(raw: np.ndarray, header: dict) -> tuple[np.ndarray, np.ndarray | None]:
    """Stored int16 samples to g and deg/s with the header's LSB sizes; lost values become NaN."""
    lost = raw == LOST_VALUE
    accel = raw[:, :3] * header["accel_lsb_g"]
    accel[lost[:, :3]] = np.nan
    gyro = None
    if raw.shape[1] == 6:
        gyro = raw[:, 3:] * header["gyro_lsb_dps"]
        gyro[lost[:, 3:]] = np.nan
    return accel, gyro
