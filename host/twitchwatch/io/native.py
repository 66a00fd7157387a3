"""The native ``.twr`` recording format: an append-only, crash-safe writer. Spec: ``docs/formats.md``.

A file is a small JSON header followed by self-delimiting, CRC-checked blocks of int16 samples
in the sensor's own LSB units. The writer appends a block at least every ``flush_interval_s``
(on the calling thread when an ``append`` finds the buffer due, else from a small background
thread) with one ``os.write`` on an ``O_APPEND`` descriptor, and ``fsync``s at most once per
``fsync_interval_s``. A ``kill -9`` therefore loses at most the last ~1.25 s (the page cache
survives a process kill; ``fsync`` bounds what a power cut can take). ``read_native`` lives in
``_native_read`` and is re-exported here (with ``scan_native``, which validates without decoding).
"""

from __future__ import annotations

import json
import os
import struct
import threading
import time
import weakref
import zlib
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from .. import __version__
from ..errors import RecordingError
from ._common import ACCEL_LSB_G, GYRO_LSB_DPS, check_fs, check_meta, check_site_side, open_new_file
from ._native_read import NativeScan, read_native, scan_native
from ._twr import (
    BLOCK_HEAD,
    BLOCK_MAGIC,
    END_MAGIC,
    FILE_MAGIC,
    FORMAT_NAME,
    FORMAT_VERSION,
    LOST_VALUE,
    MAX_BLOCK_SAMPLES,
    RAW_MAX,
)

__all__ = ["NativeWriter", "NativeScan", "read_native", "scan_native", "live_full_scale"]


def live_full_scale(accel_range_g: int | None, gyro_range_dps: int | None) -> tuple[int, int]:
    """The full scale to record a live source at: the one the source says its samples fit in
    (a sensor's own configuration, so every value is stored exactly), or, where it does not
    say (or names a scale the LSM6DSO does not have), the widest one (±16 g, ±2000 dps), which
    holds anything the sensor can measure."""
    return (accel_range_g if accel_range_g in ACCEL_LSB_G else max(ACCEL_LSB_G),
            gyro_range_dps if gyro_range_dps in GYRO_LSB_DPS else max(GYRO_LSB_DPS))


class NativeWriter:
    """Append samples to a new ``.twr`` file; safe against the process being killed at any time.

    Use :meth:`create`, then :meth:`append` consecutive samples (NaN rows = lost samples),
    and :meth:`close` (or a ``with`` block). Thread-safe.
    """

    def __init__(self, fd: int, path: Path, header: dict[str, Any], *, flush_interval_s: float,
                 fsync_interval_s: float, background_flush: bool) -> None:
        self.path = path
        self.header = header          # the file's header (full scales, LSBs, ...)
        self.fs_hz: float = header["fs_hz"]
        self.has_gyro: bool = header["has_gyro"]
        self._fd: int | None = fd
        self._n_channels = 6 if self.has_gyro else 3
        self._lsb = np.array([header["accel_lsb_g"]] * 3 + ([header["gyro_lsb_dps"]] * 3 if self.has_gyro else []))
        self._lock = threading.Lock()
        self._segments: list[tuple[int, np.ndarray]] = []   # (first sample index, raw int16 rows)
        self._buffered = 0
        self._oldest_mono: float | None = None               # when the oldest buffered sample arrived
        self._last_fsync_mono = time.monotonic()
        self._flush_interval_s = flush_interval_s
        self._fsync_interval_s = fsync_interval_s
        self._error: RecordingError | None = None
        self.n_samples = 0            # samples appended so far, lost ones included
        self.clipped_samples = 0      # samples with at least one value beyond the full-scale range
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if background_flush:
            self._thread = threading.Thread(
                target=_flush_loop, args=(weakref.ref(self), self._stop, flush_interval_s / 4),
                name=f"twr-flush {path.name}", daemon=True,
            )
            self._thread.start()

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, fs_hz: float, has_gyro: bool,
               start_wall_s: float | None = None, device: str = "", site: str = "", side: str = "",
               meta: dict[str, str] | None = None, accel_range_g: int = 4, gyro_range_dps: int = 500,
               flush_interval_s: float = 1.0, fsync_interval_s: float = 1.0,
               background_flush: bool = True) -> NativeWriter:
        """Create ``path`` (must not exist; mode 0600) and write the header.

        ``accel_range_g`` (2, 4, 8, 16) and ``gyro_range_dps`` (125 ... 2000) choose the LSM6DSO
        full scale, hence the LSB stored in the header; values beyond it saturate and are counted
        in :attr:`clipped_samples`.
        """
        p = Path(path)
        where = str(p)
        fs = check_fs(fs_hz, where)
        if accel_range_g not in ACCEL_LSB_G:
            raise RecordingError(f"{where}: accel range ±{accel_range_g} g unsupported; use one of {sorted(ACCEL_LSB_G)}")
        if gyro_range_dps not in GYRO_LSB_DPS:
            raise RecordingError(f"{where}: gyro range ±{gyro_range_dps} dps unsupported; use one of {sorted(GYRO_LSB_DPS)}")
        check_site_side(site, side, where)
        if start_wall_s is not None and not np.isfinite(start_wall_s):
            raise RecordingError(f"{where}: start_wall_s {start_wall_s!r} is not a finite Unix time")
        header = {
            "format": FORMAT_NAME, "version": FORMAT_VERSION, "fs_hz": fs, "has_gyro": bool(has_gyro),
            "channels": ["ax", "ay", "az", "gx", "gy", "gz"][: 6 if has_gyro else 3],
            "accel_range_g": accel_range_g, "accel_lsb_g": ACCEL_LSB_G[accel_range_g],
            "gyro_range_dps": gyro_range_dps if has_gyro else None,
            "gyro_lsb_dps": GYRO_LSB_DPS[gyro_range_dps] if has_gyro else None,
            "lost_value": LOST_VALUE, "start_wall_s": None if start_wall_s is None else float(start_wall_s),
            "device": str(device), "site": site, "side": side, "meta": check_meta(dict(meta or {}), where),
            "writer": f"twitchwatch {__version__}",
        }
        body = json.dumps(header, separators=(",", ":"), sort_keys=True).encode("utf-8")
        fd = open_new_file(p, append=True)
        try:
            _write_all(fd, FILE_MAGIC + struct.pack("<I", len(body)) + body + struct.pack("<I", zlib.crc32(body)), p)
            os.fsync(fd)
            _fsync_dir(p.parent)
        except BaseException:
            os.close(fd)
            raise
        return cls(fd, p, header, flush_interval_s=flush_interval_s, fsync_interval_s=fsync_interval_s,
                   background_flush=background_flush)

    def append(self, accel_g: np.ndarray, gyro_dps: np.ndarray | None = None) -> None:
        """Append consecutive samples: ``accel_g`` (n, 3) in g, ``gyro_dps`` (n, 3) in dps.

        Rows that are entirely NaN are lost samples (stored as a jump in the block index);
        a NaN in only some values is stored as the lost-value sentinel for those values.
        """
        acc = np.asarray(accel_g, dtype=np.float64)
        if acc.ndim != 2 or acc.shape[1] != 3:
            raise RecordingError(f"{self.path}: accel_g must have shape (n, 3), got {acc.shape}")
        if self.has_gyro:
            if gyro_dps is None:
                raise RecordingError(f"{self.path}: this recording has a gyro; pass gyro_dps (NaN rows if lost)")
            gyr = np.asarray(gyro_dps, dtype=np.float64)
            if gyr.shape != acc.shape:
                raise RecordingError(f"{self.path}: gyro_dps shape {gyr.shape} differs from accel_g shape {acc.shape}")
            values = np.hstack([acc, gyr])
        else:
            if gyro_dps is not None:
                raise RecordingError(f"{self.path}: recording was created with has_gyro=False; do not pass gyro_dps")
            values = acc
        if len(values) == 0:
            return
        scaled = values / self._lsb
        nan = np.isnan(scaled)
        with np.errstate(invalid="ignore"):
            over = np.abs(scaled) > RAW_MAX + 0.5
        clipped = int((over & ~nan).any(axis=1).sum())
        raw = np.clip(np.rint(np.where(nan, 0.0, scaled)), -RAW_MAX, RAW_MAX).astype("<i2")
        raw[nan] = LOST_VALUE
        lost_rows = nan.all(axis=1)
        with self._lock:
            self._raise_pending()
            if self._fd is None:
                raise RecordingError(f"{self.path}: writer is closed; create a new one to record more")
            start = self.n_samples
            if not lost_rows.any():
                self._segments.append((start, raw))
                self._buffered += len(raw)
            else:
                kept = (~lost_rows).astype(np.int8)
                edges = np.diff(np.concatenate(([0], kept, [0])))
                for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
                    self._segments.append((start + int(a), raw[a:b]))
                    self._buffered += int(b - a)
            self.n_samples += len(raw)
            self.clipped_samples += clipped
            now = time.monotonic()
            if self._oldest_mono is None and self._buffered:
                self._oldest_mono = now
            if self._buffered >= MAX_BLOCK_SAMPLES or self._due(now):
                self._flush_locked(now)

    def flush(self) -> None:
        """Write everything buffered to the file now (fsync only if one is due)."""
        with self._lock:
            self._raise_pending()
            if self._fd is not None:
                self._flush_locked(time.monotonic())

    def close(self) -> None:
        """Flush, write the end record, fsync and close. Safe to call twice."""
        self._stop.set()
        with self._lock:
            if self._fd is None:
                return
            fd = self._fd
            try:
                self._raise_pending()
                self._flush_locked(time.monotonic(), force_fsync=False)
                end = json.dumps({"n_samples": self.n_samples, "clipped_samples": self.clipped_samples,
                                  "closed_wall_s": time.time()}, separators=(",", ":")).encode("utf-8")
                _write_all(fd, END_MAGIC + struct.pack("<I", len(end)) + end + struct.pack("<I", zlib.crc32(end)), self.path)
                os.fsync(fd)
            finally:
                self._fd = None
                os.close(fd)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def __enter__(self) -> NativeWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:
        self._stop.set()

    # --- internals -----------------------------------------------------------------------

    def _due(self, now: float) -> bool:
        return self._oldest_mono is not None and now - self._oldest_mono >= self._flush_interval_s

    def _raise_pending(self) -> None:
        if self._error is not None:
            raise self._error

    def _tick(self) -> None:
        """Background flush: called a few times per flush interval."""
        with self._lock:
            if self._fd is None or self._error is not None:
                return
            now = time.monotonic()
            if self._due(now):
                try:
                    self._flush_locked(now)
                except RecordingError as exc:   # surfaced on the next append/flush/close
                    self._error = exc

    def _flush_locked(self, now: float, force_fsync: bool = False) -> None:
        assert self._fd is not None
        if self._segments:
            out = bytearray()
            # Merge runs of contiguous segments into blocks of at most MAX_BLOCK_SAMPLES.
            groups: list[tuple[int, list[np.ndarray]]] = []
            for first, rows in self._segments:
                if groups and groups[-1][0] + sum(len(r) for r in groups[-1][1]) == first:
                    groups[-1][1].append(rows)
                else:
                    groups.append((first, [rows]))
            for first, parts in groups:
                rows = np.concatenate(parts) if len(parts) > 1 else parts[0]
                for k in range(0, len(rows), MAX_BLOCK_SAMPLES):
                    chunk = np.ascontiguousarray(rows[k:k + MAX_BLOCK_SAMPLES]).tobytes()
                    head = struct.pack("<QI", first + k, len(chunk) // (2 * self._n_channels))
                    out += BLOCK_MAGIC + head + struct.pack("<I", zlib.crc32(chunk, zlib.crc32(head))) + chunk
            _write_all(self._fd, bytes(out), self.path)   # one write: a block is appended whole or torn at the end
            self._segments.clear()
            self._buffered = 0
            self._oldest_mono = None
        if force_fsync or now - self._last_fsync_mono >= self._fsync_interval_s:
            try:
                os.fsync(self._fd)
            except OSError as exc:
                raise RecordingError(f"{self.path}: cannot sync recording to disk ({exc.strerror})") from None
            self._last_fsync_mono = now


assert BLOCK_HEAD == 20


def _flush_loop(ref: weakref.ref[NativeWriter], stop: threading.Event, period_s: float) -> None:
    while not stop.wait(period_s):
        writer = ref()
        if writer is None:
            return
        writer._tick()
        del writer


def _write_all(fd: int, data: bytes, path: Path) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:
        hint = "free some disk space" if exc.errno == 28 else "check the disk"
        raise RecordingError(f"{path}: cannot write recording ({exc.strerror}); {hint}") from None


def _fsync_dir(folder: Path) -> None:
    """Make the new file's directory entry durable too (POSIX only; harmless to skip elsewhere)."""
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)
