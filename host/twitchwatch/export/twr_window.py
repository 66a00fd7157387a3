"""Read a short window of samples from a long ``.twr`` file without loading all of it.

The report needs a few seconds around each example episode; loading a whole 10-hour
recording (90 MB) three times would dominate the report's time. This walks the block heads
(20 bytes each, ``docs/formats.md``) with seeks, and reads and CRC-checks only the blocks that
overlap the window. Heads are sanity-checked on the way (magic, size, increasing index), and
the walk stops where :func:`read_native` would stop at a damaged head; payloads outside the
window are not checksummed here.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from ..errors import RecordingError
from ..io._native_read import _read_header, raw_to_physical
from ..io._twr import BLOCK_HEAD, BLOCK_MAGIC, FILE_MAGIC, LOST_VALUE, MAX_BLOCK_SAMPLES, MAX_JSON_BYTES


def read_window(path: str | Path, start: int, stop: int) -> tuple[np.ndarray, np.ndarray | None, float]:
    """Samples ``[start, stop)`` as ``(accel_g, gyro_dps, fs_hz)``; NaN where lost or beyond the data."""
    p = Path(path)
    try:
        fh = p.open("rb", buffering=0)   # unbuffered: we seek past almost every payload
    except OSError as exc:
        raise RecordingError(f"{p}: cannot read file ({exc.strerror})") from None
    with fh:
        prefix = fh.read(len(FILE_MAGIC) + 4)
        if len(prefix) < len(FILE_MAGIC) + 4 or not prefix.startswith(FILE_MAGIC):
            raise RecordingError(f"{p}: not a readable .twr recording")
        (length,) = struct.unpack_from("<I", prefix, len(FILE_MAGIC))
        if length > MAX_JSON_BYTES:
            raise RecordingError(f"{p}: header is damaged; the file cannot be read")
        buf = prefix + fh.read(length + 4)
        header, pos = _read_header(buf, p)
        n_ch = 6 if header["has_gyro"] else 3
        raw = np.full((max(0, stop - start), n_ch), LOST_VALUE, dtype="<i2")
        next_index = 0
        fh.seek(pos)
        while True:
            head = fh.read(BLOCK_HEAD)
            if len(head) < BLOCK_HEAD or head[:4] != BLOCK_MAGIC:
                break                                   # end record, torn tail or damage
            first, n, crc = struct.unpack_from("<QII", head, 4)
            if not 0 < n <= MAX_BLOCK_SAMPLES or first < next_index:
                break
            nbytes = n * n_ch * 2
            if first + n > start and first < stop:
                payload = fh.read(nbytes)
                if len(payload) < nbytes or zlib.crc32(payload, zlib.crc32(head[4:16])) != crc:
                    break
                block = np.frombuffer(payload, dtype="<i2").reshape(n, n_ch)
                a, b = max(first, start), min(first + n, stop)
                raw[a - start:b - start] = block[a - first:b - first]
            else:
                fh.seek(nbytes, 1)
            next_index = first + n
            if first >= stop:
                break
    accel, gyro = raw_to_physical(raw, header)
    return accel, gyro, float(header["fs_hz"])
