"""CSV bodies are parsed a few MB at a time: the result and the error messages must not depend
on where the pieces are cut."""

from pathlib import Path

import numpy as np
import pytest

from twitchwatch.errors import RecordingError
from twitchwatch.io import csv_v1, read_csv, write_csv
from twitchwatch.model.simulate import SimConfig, simulate


def _write(tmp_path: Path) -> Path:
    rec, _ = simulate(SimConfig(duration_s=20.0, fs_hz=104.0, seed=4))
    rec.accel_g[500:520] = np.nan                   # a gap, so rows are placed by t_s
    p = tmp_path / "r.csv"
    write_csv(rec, p)
    return p


@pytest.mark.parametrize("piece_chars", [100, 1000, 77_777])
def test_pieces_give_the_same_recording(tmp_path: Path, monkeypatch, piece_chars: int) -> None:
    p = _write(tmp_path)
    whole = read_csv(p)
    monkeypatch.setattr(csv_v1, "_PIECE_CHARS", piece_chars)
    cut = read_csv(p)
    assert np.array_equal(cut.accel_g, whole.accel_g, equal_nan=True)
    assert np.array_equal(cut.gyro_dps, whole.gyro_dps, equal_nan=True)
    assert cut.fs_hz == whole.fs_hz


def test_bad_line_in_a_later_piece_is_named(tmp_path: Path, monkeypatch) -> None:
    p = _write(tmp_path)
    lines = p.read_text().splitlines()
    lines[1500] = lines[1500].replace(",", ",x", 1)
    p.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(csv_v1, "_PIECE_CHARS", 1000)
    with pytest.raises(RecordingError, match=r"line 1501, column 2: 'x.*' is not a number"):
        read_csv(p)


def test_blank_line_between_samples_is_refused(tmp_path: Path) -> None:
    p = _write(tmp_path)
    lines = p.read_text().splitlines()
    lines[900] = ""
    p.write_text("\r\n".join(lines) + "\r\n\r\n")     # CRLF, and trailing blank lines are fine
    with pytest.raises(RecordingError, match="line 901 is empty"):
        read_csv(p)
