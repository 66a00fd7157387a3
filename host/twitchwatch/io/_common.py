"""Small helpers shared by the file formats: sensor scales, checks, safe file creation."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import RecordingError
from ..recording import SIDES, SITES

#: LSM6DSO accelerometer sensitivity, g per LSB, by full-scale range in g (datasheet table).
ACCEL_LSB_G = {2: 0.061e-3, 4: 0.122e-3, 8: 0.244e-3, 16: 0.488e-3}
#: LSM6DSO gyroscope sensitivity, deg/s per LSB, by full-scale range in deg/s.
GYRO_LSB_DPS = {125: 4.375e-3, 250: 8.75e-3, 500: 17.5e-3, 1000: 35e-3, 2000: 70e-3}

#: Sample rates a file may declare. The same bounds as ``Recording``; checked here so the
#: message can name the file.
FS_MIN_HZ = 1.0
FS_MAX_HZ = 10_000.0


def check_fs(fs_hz: float | str, where: str) -> float:
    """Return ``fs_hz`` as float or raise a one-line error naming ``where``."""
    try:
        fs = float(fs_hz)
    except (TypeError, ValueError):
        raise RecordingError(f"{where}: sample rate {fs_hz!r} is not a number; give fs_hz in Hz") from None
    if not (FS_MIN_HZ <= fs <= FS_MAX_HZ):  # also rejects NaN
        raise RecordingError(
            f"{where}: sample rate {fs_hz!r} Hz is out of range; expected {FS_MIN_HZ:g} to {FS_MAX_HZ:g} Hz"
        )
    return fs


def check_site_side(site: str, side: str, where: str) -> None:
    if site not in ("",) + SITES:
        raise RecordingError(f"{where}: site {site!r} is not one of {', '.join(SITES)} (or empty)")
    if side not in ("",) + SIDES:
        raise RecordingError(f"{where}: side {side!r} is not one of {', '.join(SIDES)} (or empty)")


def check_meta(meta: dict[str, str], where: str) -> dict[str, str]:
    """Meta must be a flat str->str dict whose keys are simple names and values one line."""
    out: dict[str, str] = {}
    for key, value in meta.items():
        if not isinstance(key, str) or not key or not all(c.isalnum() or c in "_.-" for c in key):
            raise RecordingError(f"{where}: meta key {key!r} must be letters, digits, '_', '.' or '-'")
        text = str(value)
        if "\n" in text or "\r" in text:
            raise RecordingError(f"{where}: meta value for {key!r} spans lines; make it one line")
        out[key] = text
    return out


def open_new_file(path: Path, *, append: bool = False) -> int:
    """Create ``path`` exclusively with mode 0600 and return a raw fd (O_APPEND if ``append``)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    if append:
        flags |= os.O_APPEND
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise RecordingError(f"{path}: file already exists; choose another name or delete it first") from None
    except FileNotFoundError:
        raise RecordingError(f"{path}: folder does not exist; create it first") from None
    except PermissionError:
        raise RecordingError(f"{path}: permission denied; choose a folder you can write to") from None
    except OSError as exc:
        raise RecordingError(f"{path}: cannot create file ({exc.strerror}); check the disk and folder") from None
    os.fchmod(fd, 0o600)  # the umask can only remove bits, but be explicit
    return fd


def replace_atomically(tmp: Path, path: Path) -> None:
    """Move a finished temporary file into place so readers never see half a file."""
    try:
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise RecordingError(f"{path}: cannot write file ({exc.strerror}); check the disk and folder") from None


def is_gzip_name(p: Path) -> bool:
    """Whether the name says gzip-compressed (``.gz``, in any case: ``.CSV.GZ`` from Windows tools)."""
    return p.name.lower().endswith(".gz")


def read_file_bytes(p: Path) -> bytes:
    """The whole file, or a one-line RecordingError saying why it cannot be read."""
    try:
        return p.read_bytes()
    except OSError as exc:
        raise read_error(p, exc) from None


def read_error(p: Path, exc: OSError) -> RecordingError:
    """The one-line error for a file that cannot be opened or read (shared by streaming readers)."""
    if isinstance(exc, FileNotFoundError):
        return RecordingError(f"{p}: file not found; check the path")
    if isinstance(exc, IsADirectoryError):
        return RecordingError(f"{p}: is a folder, not a recording file")
    return RecordingError(f"{p}: cannot read file ({exc.strerror})")
