"""Interchange CSV v1 (``.csv`` / ``.csv.gz``): reader and writer. Spec: ``docs/formats.md``.

Reading is one pass of numpy's C CSV parser over the body; only when that fails do we walk the
lines in Python to say exactly which line is wrong and why.
"""

from __future__ import annotations

import gzip
import io
import re
import os
import zlib
from pathlib import Path

import numpy as np

from ..errors import RecordingError
from ..recording import Recording
from ._common import (
    check_fs, check_meta, check_site_side, is_gzip_name, open_new_file, read_file_bytes, replace_atomically,
)
from ._csv_time import FS_AGREEMENT, GRID_TOLERANCE, MAX_GAP_S  # noqa: F401  (re-exported: the format's rules)
from ._csv_time import time_to_index as _time_to_index

ACCEL_COLS = ("ax_g", "ay_g", "az_g")
GYRO_COLS = ("gx_dps", "gy_dps", "gz_dps")
EXPECTED = "t_s,ax_g,ay_g,az_g[,gx_dps,gy_dps,gz_dps]"
#: Header keys that map to Recording fields rather than ``meta``.
RESERVED_KEYS = ("fs_hz", "start_wall_s", "device", "site", "side", "n_samples")


def read_csv(path: str | os.PathLike[str]) -> Recording:
    """Read an interchange CSV v1 file (optionally gzip-compressed) into a :class:`Recording`.

    Rows left out of the file (a jump in ``t_s`` by a whole number of sample periods) become
    NaN rows: the gap is kept, not papered over. Any problem raises :class:`RecordingError`.
    """
    p = Path(path)
    text = _read_text(p)
    header, columns, body, body_line = _split_header(text, p)
    del text                                   # the body is a copy; keep one text in memory, not two
    col_index = _check_columns(columns, p, body_line - 1)
    data = _parse_body(body, body_line, len(columns), p)
    _check_finite(data, columns, body_line, p)

    fs_declared = check_fs(header["fs_hz"], f"{p}: header fs_hz") if "fs_hz" in header else None
    t_s = data[:, col_index["t_s"]]
    idx, fs_hz = _time_to_index(t_s, fs_declared, body_line, p)

    n_total = _n_total(header, idx, p)
    contiguous = n_total == len(idx) and int(idx[0]) == 0
    accel = _place(data, [col_index[c] for c in ACCEL_COLS], idx, n_total, contiguous)
    gyro = (
        _place(data, [col_index[c] for c in GYRO_COLS], idx, n_total, contiguous) if GYRO_COLS[0] in col_index else None
    )

    return Recording(fs_hz=fs_hz, accel_g=accel, gyro_dps=gyro, **_header_fields(header, p))


def write_csv(rec: Recording, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
    """Write ``rec`` as interchange CSV v1 (gzip-compressed when the name ends in ``.gz``).

    Lost samples (any non-finite value in a row) are left out, so ``t_s`` jumps over them;
    a trailing gap is kept with a ``# n_samples=`` header line. Accel is written to 1 µg,
    gyro to 0.1 mdps, ``t_s`` to 1 µs. The file appears atomically with mode 0600.
    """
    p = Path(path)
    if p.exists() and not overwrite:
        raise RecordingError(f"{p}: file already exists; choose another name or delete it first")
    meta = check_meta(rec.meta, str(p))
    clash = [k for k in meta if k in RESERVED_KEYS]
    if clash:
        raise RecordingError(f"{p}: meta key {clash[0]!r} is reserved for a recording field; rename it")
    check_site_side(rec.site, rec.side, str(p))
    if "\n" in rec.device or "\r" in rec.device:
        raise RecordingError(f"{p}: device name spans lines; make it one line")

    n = rec.n_samples
    cols = [rec.accel_g] if rec.gyro_dps is None else [rec.accel_g, rec.gyro_dps]
    values = np.hstack(cols)
    keep = np.asarray(np.isfinite(values).all(axis=1))
    lines = [f"# fs_hz={float(rec.fs_hz)!r}"]
    if rec.start_wall_s is not None:
        lines.append(f"# start_wall_s={float(rec.start_wall_s)!r}")
    for key in ("device", "site", "side"):
        if getattr(rec, key):
            lines.append(f"# {key}={getattr(rec, key)}")
    lines += [f"# {k}={v}" for k, v in meta.items()]
    if n and not keep[-1]:
        lines.append(f"# n_samples={n}")
    lines.append("t_s," + ",".join(ACCEL_COLS + (GYRO_COLS if rec.gyro_dps is not None else ())))

    idx = np.flatnonzero(keep)
    table = np.column_stack([idx / rec.fs_hz, values[idx]])
    fmt = "%.6f,%.6f,%.6f,%.6f" + (",%.4f,%.4f,%.4f" if rec.gyro_dps is not None else "") + "\n"
    text = "\n".join(lines) + "\n" + "".join(map(fmt.__mod__, map(tuple, table.tolist())))
    payload = text.encode("utf-8")
    if is_gzip_name(p):
        payload = gzip.compress(payload, compresslevel=6, mtime=0)

    tmp = p.with_name(f".{p.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    fd = open_new_file(tmp)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise RecordingError(f"{p}: cannot write file ({exc.strerror}); check free disk space") from None
    replace_atomically(tmp, p)


# --- reading, step by step -------------------------------------------------------------------


def _read_text(p: Path) -> str:
    raw = read_file_bytes(p)
    if is_gzip_name(p):
        try:
            raw = gzip.decompress(raw)
        except _GZIP_ERRORS as exc:
            raise _gzip_error(p, exc) from None
    elif raw[:2] == _GZIP_MAGIC:
        raise RecordingError(f"{p}: file is gzip-compressed but named .csv; rename it to .csv.gz")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8_error(p, exc.start) from None
    if not text.strip():
        raise _empty_error(p)
    if "\x00" in text:
        raise _nul_error(p)
    return text


# The checks of the whole text, shared with the streaming reader (csv_scan), which meets them block by block.
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


def _gzip_error(p: Path, exc: Exception) -> RecordingError:
    if isinstance(exc, EOFError):
        return RecordingError(f"{p}: gzip data is truncated (the file was cut short); copy it again from the source")
    return RecordingError(f"{p}: not valid gzip data ({exc}); the file is damaged or not compressed - rename it to .csv if it is plain text")


def _not_utf8_error(p: Path, byte: int) -> RecordingError:
    return RecordingError(f"{p}: not a text CSV file (byte {byte} is not UTF-8); check you picked the right file")


def _empty_error(p: Path) -> RecordingError:
    return RecordingError(f"{p}: file is empty; expected a header line {EXPECTED} and samples")


def _nul_error(p: Path) -> RecordingError:
    return RecordingError(f"{p}: contains NUL bytes, so it is binary or damaged, not a CSV recording")


def _blank_line_error(p: Path, line_no: int) -> RecordingError:
    return RecordingError(f"{p}: line {line_no} is empty; remove blank lines between samples")


def _no_samples_error(p: Path) -> RecordingError:
    return RecordingError(f"{p}: has a header but no samples")


def _split_header(text: str, p: Path) -> tuple[dict[str, str], list[str], str, int]:
    """Return (key=value header, column names, body text, 1-based line number of the body)."""
    header: dict[str, str] = {}
    pos, line_no = 0, 0
    while True:
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        line_no += 1
        stripped = line.strip()
        if stripped.startswith("#"):
            key, eq, value = stripped[1:].partition("=")
            if eq and key.strip():
                header[key.strip()] = value.strip()
        elif stripped:
            break
        if end < 0:
            raise RecordingError(f"{p}: has '#' lines but no column header; expected a line {EXPECTED}")
        pos = end + 1
    columns = [c.strip() for c in stripped.split(",")]
    try:
        float(columns[0])
    except ValueError:
        pass
    else:
        raise RecordingError(f"{p}: line {line_no}: missing column header; the first line after '#' lines must be {EXPECTED}")
    body = "" if end < 0 else text[end + 1:]
    return header, columns, body, line_no + 1


def _check_columns(columns: list[str], p: Path, line_no: int) -> dict[str, int]:
    where = f"{p}: line {line_no}"
    for name in columns:
        if name in ("t_s",) + ACCEL_COLS + GYRO_COLS:
            continue
        low = name.lower()
        if low[:3] in ("ax_", "ay_", "az_") or low in ("ax", "ay", "az"):
            raise RecordingError(
                f"{where}: column {name!r} has unsupported units; acceleration must be in g including gravity "
                f"(ax_g, ay_g, az_g) - divide m/s^2 by 9.80665"
            )
        if low[:3] in ("gx_", "gy_", "gz_") or low in ("gx", "gy", "gz"):
            raise RecordingError(
                f"{where}: column {name!r} has unsupported units; angular rate must be in degrees per second "
                f"(gx_dps, gy_dps, gz_dps) - multiply rad/s by 57.29578"
            )
        if low.startswith("t_") or low in ("t", "time", "timestamp"):
            raise RecordingError(f"{where}: column {name!r}: time must be seconds from the start in a column named t_s")
        raise RecordingError(f"{where}: unknown column {name!r}; expected columns {EXPECTED}")
    dupes = {c for c in columns if columns.count(c) > 1}
    if dupes:
        raise RecordingError(f"{where}: column {sorted(dupes)[0]!r} appears twice; expected {EXPECTED}")
    missing = [c for c in ("t_s",) + ACCEL_COLS if c not in columns]
    if missing:
        raise RecordingError(f"{where}: missing column {missing[0]!r}; expected {EXPECTED}")
    gyro_present = [c for c in GYRO_COLS if c in columns]
    if gyro_present and len(gyro_present) != 3:
        absent = [c for c in GYRO_COLS if c not in columns]
        raise RecordingError(f"{where}: gyro column {absent[0]!r} missing; give all three gyro columns or none")
    return {name: i for i, name in enumerate(columns)}


def _parse_body(body: str, first_line: int, n_cols: int, p: Path) -> np.ndarray:
    if not body.strip():
        raise _no_samples_error(p)
    end = len(body)
    while end and body[end - 1].isspace():     # trailing blank lines are fine (no copy of the body)
        end -= 1
    blank = _first_blank_line(body, end)
    if blank is not None:
        raise _blank_line_error(p, first_line + body.count("\n", 0, blank))
    return _parse_lines(body, first_line, n_cols, p, end)


def _first_blank_line(text: str, end: int) -> int | None:
    """Offset of the first line of ``text[:end]`` that is empty or only whitespace and ends in a
    newline before ``end``; ``text`` starts at the start of a line (the body, or a block of it)."""
    # A line of spaces is as blank as an empty one (numpy would skip either and shift the line
    # numbers of every later message), and so is the body's first line, right after the column line.
    first = _BLANK_START.match(text, 0, end)
    if first is not None:
        return 0
    inner = _BLANK_LINE.search(text, 0, end)
    return None if inner is None else inner.start() + 1


def _parse_lines(body: str, first_line: int, n_cols: int, p: Path, end: int | None = None) -> np.ndarray:
    """The rows of ``body[:end]`` (whole lines, no trailing blank lines) as float64; a bad line raises
    a message naming it, counting lines from ``first_line``."""
    end = len(body) if end is None else end
    # Parsed a few MB at a time: one text copy for the parser at a time, not a second whole body.
    pieces = []
    start = 0
    while start < end:
        stop = body.find("\n", min(start + _PIECE_CHARS, end))
        stop = end if stop < 0 or stop > end else stop
        try:
            data = np.loadtxt(io.StringIO(body[start:stop]), delimiter=",", dtype=np.float64, ndmin=2,
                              comments=None)
        except ValueError:
            data = None
        if data is None or data.shape[1] != n_cols:
            _diagnose_body(body[:end], first_line, n_cols, p)
            raise RecordingError(f"{p}: cannot parse the samples; expected {n_cols} numbers per line")  # pragma: no cover
        pieces.append(data)
        start = stop + 1
    return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)


# `[^\S\n]` is whitespace other than a newline. _BLANK_LINE begins with a literal newline so that
# re can jump from newline to newline through a body of hundreds of MB.
_BLANK_START = re.compile(r"[^\S\n]*\n")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_PIECE_CHARS = 4 << 20


def _diagnose_body(body: str, first_line: int, n_cols: int, p: Path) -> None:
    """Find the first bad line and raise a message naming it (the slow path, on error only)."""
    for offset, line in enumerate(body.split("\n")):
        if not line.strip():
            continue  # only trailing blank lines reach here (inner ones are refused earlier)
        line_no = first_line + offset
        fields = line.split(",")
        if len(fields) != n_cols:
            raise RecordingError(f"{p}: line {line_no} has {len(fields)} values but the header has {n_cols} columns")
        for col, field in enumerate(fields):
            try:
                float(field)
            except ValueError:
                raise RecordingError(
                    f"{p}: line {line_no}, column {col + 1}: {field.strip()!r} is not a number"
                ) from None


def _check_finite(data: np.ndarray, columns: list[str], first_line: int, p: Path) -> None:
    finite = np.isfinite(data)
    if finite.all():
        return
    row, col = np.argwhere(~finite)[0]
    raise RecordingError(
        f"{p}: line {first_line + int(row)}: {columns[col]} is {float(data[row, col])!r}; values must be finite "
        f"numbers (leave lost samples out so t_s jumps over them)"
    )


def _n_total(header: dict[str, str], idx: np.ndarray, p: Path) -> int:
    """Samples in the recording: up to the last row, or the header's n_samples (a trailing gap)."""
    n_total = int(idx[-1]) + 1
    if "n_samples" in header:
        try:
            n_declared = int(header["n_samples"])
        except ValueError:
            raise RecordingError(f"{p}: header n_samples={header['n_samples']!r} is not a whole number") from None
        if n_declared < n_total:
            raise RecordingError(
                f"{p}: header n_samples={n_declared} but the rows reach sample {n_total}; fix or remove n_samples"
            )
        n_total = n_declared
    return n_total


def _header_fields(header: dict[str, str], p: Path) -> dict:
    """The Recording fields the header gives besides fs_hz: start_wall_s, device, site, side, meta."""
    start_wall_s = None
    if "start_wall_s" in header:
        try:
            start_wall_s = float(header["start_wall_s"])
        except ValueError:
            raise RecordingError(f"{p}: header start_wall_s={header['start_wall_s']!r} is not a number (Unix seconds)") from None
    site, side = header.get("site", ""), header.get("side", "")
    check_site_side(site, side, str(p))
    meta = {k: v for k, v in header.items() if k not in RESERVED_KEYS}
    return dict(start_wall_s=start_wall_s, device=header.get("device", ""), site=site, side=side, meta=meta)


def _place(data: np.ndarray, cols: list[int], idx: np.ndarray, n_total: int, contiguous: bool) -> np.ndarray:
    if contiguous:
        return np.ascontiguousarray(data[:, cols])
    out = np.full((n_total, len(cols)), np.nan)
    out[idx] = data[:, cols]
    return out
