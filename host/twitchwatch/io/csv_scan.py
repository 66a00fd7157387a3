"""Interchange CSV v1 read piece by piece (``scan_csv``): memory for the time column only, not the
whole recording, so ``analyze`` can take a week-long ``.csv.gz``.

Two passes over the file. The first parses and checks every line as ``read_csv`` does and keeps
only ``t_s``, which gives the sample rate and each row's sample index by the very same code
(``_time_to_index``). The second parses again and hands out consecutive sample ranges, gaps as
NaN rows. The pieces, joined, equal ``read_csv``'s arrays bit for bit, and every bad file gets
``read_csv``'s error, word for word.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RecordingError
from ._common import check_fs, is_gzip_name, read_error
from .csv_v1 import (
    _GZIP_ERRORS, _GZIP_MAGIC, ACCEL_COLS, GYRO_COLS, _blank_line_error, _check_columns, _check_finite,
    _empty_error, _first_blank_line, _gzip_error, _header_fields, _n_total, _no_samples_error, _not_utf8_error,
    _nul_error, _parse_lines, _split_header, _time_to_index,
)

#: Bytes read (after decompression) per block; a block is cut back to whole lines.
BLOCK_BYTES = 1 << 20

_UTF8_BOM = b"\xef\xbb\xbf"

# read_csv checks the whole text before it looks at the header, the header before any sample, every
# line for blank lines before parsing any, and so on. A stream meets problems in file order, so it
# keeps the first of each kind and, at the end, raises the kind read_csv would have met first.
_HEADER, _NO_SAMPLES, _BLANK, _PARSE, _NOT_FINITE = range(5)


@dataclass
class CsvScan:
    """A checked CSV v1 file, not held in memory: its header facts, sample rate and length, and
    each row's sample index. ``chunks`` reads the samples again, piece by piece."""

    path: Path
    fs_hz: float
    n_samples: int
    has_gyro: bool
    start_wall_s: float | None
    device: str
    site: str
    side: str
    meta: dict[str, str]
    block_bytes: int = BLOCK_BYTES
    cut_note: str | None = None                 # read_csv never cuts a CSV: always None
    _index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)  # sample of each row
    _col_index: dict[str, int] = field(default_factory=dict, repr=False)

    def chunks(self, chunk_n: int) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """The whole recording as consecutive ``(accel_g, gyro_dps or None)`` pieces of at most
        ``chunk_n`` samples, exactly as ``read_csv`` gives them; lost samples are NaN rows."""
        blocks = _parsed_blocks(self.path, self.block_bytes, {})
        held: list[np.ndarray] = []             # parsed rows not handed out yet, from file row `row0`
        row0 = held_n = 0
        for start in range(0, self.n_samples, chunk_n):
            stop = min(start + chunk_n, self.n_samples)
            lo, hi = (int(r) for r in np.searchsorted(self._index, [start, stop]))
            while row0 + held_n < hi:
                more = next(blocks, None)
                if more is None:
                    raise _changed_error(self.path)
                held.append(more)
                held_n += len(more)
            rows = np.concatenate(held) if len(held) > 1 else held[0] if held else np.zeros((0, len(self._col_index)))
            mine = rows[lo - row0:hi - row0]
            held = [rows[hi - row0:]]           # rows before lo were handed out with earlier pieces
            row0, held_n = hi, len(held[0])
            at = self._index[lo:hi] - start
            yield (self._placed(mine, ACCEL_COLS, at, stop - start),
                   self._placed(mine, GYRO_COLS, at, stop - start) if self.has_gyro else None)
        if held_n or next(blocks, None) is not None:
            raise _changed_error(self.path)

    def _placed(self, rows: np.ndarray, names: tuple[str, ...], at: np.ndarray, n: int) -> np.ndarray:
        out = np.full((n, len(names)), np.nan)
        out[at] = rows[:, [self._col_index[c] for c in names]]
        return out


def scan_csv(path: str | os.PathLike[str], *, block_bytes: int = BLOCK_BYTES) -> CsvScan:
    """Check a CSV v1 file (``.csv`` or ``.csv.gz``) line by line without keeping its samples.

    Raises the :class:`RecordingError` that ``read_csv`` would raise for the same file.
    """
    p = Path(path)
    head: dict[str, Any] = {}
    t_parts = [block[:, head["col_index"]["t_s"]].copy() for block in _parsed_blocks(p, block_bytes, head)]
    header = head["header"]
    fs_declared = check_fs(header["fs_hz"], f"{p}: header fs_hz") if "fs_hz" in header else None
    t_s = np.concatenate(t_parts)
    del t_parts
    index, fs_hz = _time_to_index(t_s, fs_declared, head["body_line"], p)
    del t_s
    n_samples = _n_total(header, index, p)
    fields = _header_fields(header, p)
    return CsvScan(path=p, fs_hz=fs_hz, n_samples=n_samples, has_gyro=GYRO_COLS[0] in head["col_index"],
                   block_bytes=block_bytes, _index=index, _col_index=head["col_index"], **fields)


def _changed_error(p: Path) -> RecordingError:
    return RecordingError(f"{p}: file changed while it was being read; wait until it is complete and try again")


def _parsed_blocks(p: Path, block_bytes: int, head: dict[str, Any]) -> Iterator[np.ndarray]:
    """The file's samples, parsed block by block: ``(rows, columns)`` float64 arrays in file order.

    Fills ``head`` (header, columns, col_index, body_line) once the column line is read. Every
    line is checked as ``read_csv`` checks it; after the last block the error ``read_csv`` would
    raise first is raised (see the ranks above), and no rows are yielded once an error is found.
    """
    found: dict[int, RecordingError] = {}

    def note(rank: int, err: RecordingError) -> None:
        found.setdefault(rank, err)

    def wanted(rank: int) -> bool:             # can a problem of this rank still be the one raised?
        return all(rank < r for r in found)

    start_text = ""                            # the text up to the column line, while looking for it
    body_line = 0                              # line number of the body's first line; 0: header not read yet
    body_nl = 0                                # newlines in the body so far
    pending = ""                               # body text not parsed yet: whole lines, ending in the
    pending_line = 0                           # last line with samples (it may be the body's last)
    blank: list = []                           # [line number, confirmed] of the first blank line
    has_samples = False
    rows_done = 0

    def parse(text: str, first_line: int) -> np.ndarray | None:
        nonlocal rows_done
        if not wanted(_PARSE):
            return None
        try:
            rows = _parse_lines(text, first_line, len(head["columns"]), p)
        except RecordingError as err:
            note(_PARSE, err)
            return None
        if wanted(_NOT_FINITE):
            try:
                _check_finite(rows, head["columns"], body_line + rows_done, p)
            except RecordingError as err:
                note(_NOT_FINITE, err)
        rows_done += len(rows)
        return None if found else rows

    for text in _text_blocks(p, block_bytes):
        if not body_line:
            if found:
                continue
            start_text += text
            if not _has_column_line(start_text):
                continue
            try:
                header, columns, text, body_line = _split_header(start_text, p)
                col_index = _check_columns(columns, p, body_line - 1)
            except RecordingError as err:
                note(_HEADER, err)
                continue
            head.update(header=header, columns=columns, col_index=col_index, body_line=body_line)
            start_text = ""
            pending_line = body_line
        if not text or not wanted(_BLANK):
            continue

        # A blank line counts only with samples after it (trailing blank lines are fine). Every
        # block starts a line (the body's first right after the column line), so a blank line may
        # start right at this block.
        if not blank:
            at = _first_blank_line(text, len(text))
            if at is not None:
                blank = [body_line + body_nl + text.count("\n", 0, at), bool(text[at:].strip())]
        elif not blank[1]:
            blank[1] = bool(text.strip())
        if blank and blank[1]:
            note(_BLANK, _blank_line_error(p, blank[0]))
        body_nl += text.count("\n")

        # read_csv parses the body less its trailing whitespace; whether whitespace trails is known
        # only at the end, so the last line with samples, and what follows it, waits for more text.
        pending += text
        last = len(pending.rstrip()) - 1
        if last < 0:
            continue
        has_samples = True
        cut = pending.rfind("\n", 0, last) + 1
        if cut and pending[:cut].strip():
            rows = parse(pending[:cut - 1], pending_line)
            pending_line += pending.count("\n", 0, cut)
            pending = pending[cut:]
            if rows is not None:
                yield rows

    if not body_line and not found:
        try:
            _split_header(start_text, p)       # raises: '#' lines but no column header
        except RecordingError as err:
            note(_HEADER, err)
    if body_line and not has_samples:
        note(_NO_SAMPLES, _no_samples_error(p))
    if pending.strip() and wanted(_PARSE):
        rows = parse(pending[:len(pending.rstrip())], pending_line)
        if rows is not None:
            yield rows
    if found:
        raise found[min(found)]


def _has_column_line(text: str) -> bool:
    """Whether ``text`` holds a line that is neither blank nor a '#' line (what _split_header seeks)."""
    pos = 0
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = text[pos:end].strip()
        if line and not line.startswith("#"):
            return True
        pos = end + 1
    return False


def _text_blocks(p: Path, block_bytes: int) -> Iterator[str]:
    """The file's text in blocks of whole lines (the last may lack its newline), decompressed and
    decoded as ``read_csv`` does. Its checks of the whole text (gzip, UTF-8, empty, NUL) report
    only after the last byte is read, since read_csv would meet a later gzip or UTF-8 fault first."""
    try:
        raw_file = open(p, "rb")
    except OSError as exc:
        raise read_error(p, exc) from None
    with raw_file:
        gz = is_gzip_name(p)
        src = gzip.GzipFile(fileobj=raw_file, mode="rb") if gz else raw_file

        def read() -> bytes:
            try:
                return src.read(max(block_bytes, len(_UTF8_BOM)))
            except _GZIP_ERRORS as exc:
                raise _gzip_error(p, exc) from None
            except OSError as exc:
                raise read_error(p, exc) from None

        buf = bytearray()
        decoded = 0                            # bytes decoded so far (after a BOM): UTF-8 error offsets
        first = True
        fault: RecordingError | None = None    # not UTF-8 (then the rest is only read) or NUL
        utf8_fault = False
        has_text = False
        while True:
            raw = read()
            seek_from = len(buf)
            buf += raw
            if first:
                first = False
                if not gz and buf[:2] == _GZIP_MAGIC:
                    raise RecordingError(f"{p}: file is gzip-compressed but named .csv; rename it to .csv.gz")
                if buf.startswith(_UTF8_BOM):
                    del buf[:len(_UTF8_BOM)]
                seek_from = 0
            cut = len(buf) if not raw else buf.rfind(b"\n", seek_from) + 1
            if not cut:
                if raw:
                    continue                   # no whole line yet
                break
            piece = bytes(buf[:cut])
            del buf[:cut]
            if not utf8_fault:
                try:
                    text = piece.decode("utf-8")
                except UnicodeDecodeError as exc:
                    fault, utf8_fault = _not_utf8_error(p, decoded + exc.start), True
                else:
                    if fault is None and "\x00" in text:
                        fault = _nul_error(p)
                    if fault is None:
                        has_text = has_text or bool(text.strip())
                        yield text
            decoded += len(piece)
            if not raw:
                break
        if fault is not None:
            raise fault
        if not has_text:
            raise _empty_error(p)
