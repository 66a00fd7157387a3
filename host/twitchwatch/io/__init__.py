"""Recording files: interchange CSV v1 (``.csv``, ``.csv.gz``) and native ``.twr``.

``read_recording`` / ``write_recording`` pick the format from the file name; formats are
specified in ``docs/formats.md``. Every problem with a file is a one-line ``RecordingError``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import RecordingError
from ..recording import Recording
from ._common import ACCEL_LSB_G, GYRO_LSB_DPS, replace_atomically
from ._twr import RAW_MAX
from .csv_v1 import read_csv, write_csv
from .native import NativeWriter, read_native

__all__ = ["read_recording", "write_recording", "read_csv", "write_csv", "read_native", "write_native",
           "NativeWriter", "SUFFIXES", "smallest_full_scale"]

SUFFIXES = (".csv", ".csv.gz", ".twr")


def _kind(p: Path) -> str:
    name = p.name.lower()
    for suffix in (".csv.gz", ".csv", ".twr"):
        if name.endswith(suffix):
            return suffix
    raise RecordingError(f"{p}: unknown recording type {''.join(p.suffixes) or '(no extension)'!r}; "
                         f"use a file ending in {', '.join(SUFFIXES)}")


def read_recording(path: str | os.PathLike[str]) -> Recording:
    """Read a recording, choosing the format from the extension (.csv, .csv.gz, .twr)."""
    p = Path(path)
    return read_native(p) if _kind(p) == ".twr" else read_csv(p)


def write_recording(rec: Recording, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
    """Write ``rec`` in the format named by the extension; the file appears whole, mode 0600.

    Refuses to replace an existing file unless ``overwrite`` is true.
    """
    p = Path(path)
    if _kind(p) == ".twr":
        write_native(rec, p, overwrite=overwrite)
    else:
        write_csv(rec, p, overwrite=overwrite)


def _smallest_range(values: np.ndarray, table: dict[int, float], floor: int) -> int:
    peak = float(np.nanmax(np.abs(values))) if values.size and np.isfinite(values).any() else 0.0
    for rng in sorted(r for r in table if r >= floor):
        if peak <= table[rng] * RAW_MAX:
            return rng
    return max(table)


def smallest_full_scale(accel_g: np.ndarray, gyro_dps: np.ndarray | None) -> tuple[int, int]:
    """``(accel_range_g, gyro_range_dps)``: the smallest LSM6DSO full scale, from ±4 g and
    ±500 dps up, that holds these samples' peaks (the widest if nothing does)."""
    return (_smallest_range(accel_g, ACCEL_LSB_G, 4),
            _smallest_range(gyro_dps, GYRO_LSB_DPS, 500) if gyro_dps is not None else 500)


def write_native(rec: Recording, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
    """Write a whole recording as ``.twr``, choosing the smallest full scale (from ±4 g and
    ±500 dps up) that holds its peaks, so nothing clips that the sensor could have measured."""
    p = Path(path)
    if p.exists() and not overwrite:
        raise RecordingError(f"{p}: file already exists; choose another name or delete it first")
    tmp = p.with_name(f".{p.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    has_gyro = rec.gyro_dps is not None
    accel_range_g, gyro_range_dps = smallest_full_scale(rec.accel_g, rec.gyro_dps)
    try:
        with NativeWriter.create(
            tmp, fs_hz=rec.fs_hz, has_gyro=has_gyro, start_wall_s=rec.start_wall_s, device=rec.device,
            site=rec.site, side=rec.side, meta=rec.meta,
            accel_range_g=accel_range_g, gyro_range_dps=gyro_range_dps, background_flush=False,
        ) as writer:
            writer.append(rec.accel_g, rec.gyro_dps)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    replace_atomically(tmp, p)
