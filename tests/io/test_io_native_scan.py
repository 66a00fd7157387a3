""".twr read piece by piece (``scan_native``) equals the whole read, and ``analyze`` on a .twr
(which uses it, to keep memory bounded) gives the same result as analysing the whole recording."""

import json
from pathlib import Path

import numpy as np
import pytest

from twitchwatch.detect import DetectorParams
from twitchwatch.detect.summary import run_detector, summarise
from twitchwatch.io.native import NativeWriter, read_native, scan_native
from twitchwatch.model.simulate import SimConfig, simulate



def _write_with_gaps(path: Path) -> None:
    rec, _ = simulate(SimConfig(duration_s=60.0, fs_hz=208.0, seed=8, episodes_per_hour=200,
                                isolated_per_hour=300, movement_fraction=0.2))
    accel = rec.accel_g.copy()
    gyro = rec.gyro_dps.copy()
    accel[2500:2600] = np.nan                           # lost samples, stored as the sentinel
    gyro[2500:2600] = np.nan
    accel[7000:9000] = np.nan
    gyro[7000:9000] = np.nan
    with NativeWriter.create(path, fs_hz=rec.fs_hz, has_gyro=True, site="thenar", side="right",
                             background_flush=False) as w:
        for a in range(0, rec.n_samples, 777):          # uneven blocks, not aligned with anything
            w.append(accel[a:a + 777], gyro[a:a + 777])
            w.flush()


@pytest.mark.parametrize("chunk_n", [1, 500, 4096, 10**6])
def test_pieces_equal_the_whole_read(tmp_path: Path, chunk_n: int) -> None:
    p = tmp_path / "g.twr"
    _write_with_gaps(p)
    whole = read_native(p)
    scan = scan_native(p)
    acc = np.concatenate([a for a, _ in scan.chunks(chunk_n)])
    gyr = np.concatenate([g for _, g in scan.chunks(chunk_n)])
    assert np.array_equal(acc, whole.accel_g, equal_nan=True)
    assert np.array_equal(gyr, whole.gyro_dps, equal_nan=True)
    assert np.isnan(acc[7000:9000]).all() and np.isfinite(acc[3000:7000]).all()


def test_analyze_twr_piecewise_equals_whole(tmp_path: Path, monkeypatch) -> None:
    from twitchwatch.commands import analyze
    from twitchwatch.detect import summary

    p = tmp_path / "g.twr"
    _write_with_gaps(p)
    with open(p, "r+b") as fh:                         # torn tail, as after a kill
        fh.truncate(p.stat().st_size - 100)
    params = DetectorParams()
    rec = read_native(p)
    expected = summarise(rec, run_detector(rec, params), params, file=str(p))
    monkeypatch.setattr(summary, "CHUNK_N", 1234)      # many pieces, cut anywhere
    got = analyze._analyse_native(str(p), params)
    assert expected["twitches"] and expected["lost_s"] > 0 and expected["cut_note"]
    assert json.dumps(got) == json.dumps(expected)
