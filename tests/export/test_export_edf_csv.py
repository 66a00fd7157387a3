"""EDF+ (read back by pyedflib, an independent reader) and CSV exports; damaged recordings."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyedflib
import pytest

from export_days import FIRST_DAY, LAST_DAY
from twitchwatch.errors import ConfigError
from twitchwatch.export.csv_export import FILES, export_csv
from twitchwatch.export.edf_export import export_edf
from twitchwatch.export.period import Period
from twitchwatch.io.native import read_native
from twitchwatch.store import Store, queries, writes


def _recorded_session(folder: Path) -> queries.SessionRow:
    with Store.open(folder, readonly=True) as store:
        return max((s for s in queries.sessions(store) if s.recording), key=lambda s: s.n_episodes)


def _read_edf(path: Path):
    f = pyedflib.EdfReader(str(path))
    try:
        sig = [f.readSignal(i) for i in range(f.signals_in_file)]
        dig = [f.readSignal(i, digital=True) for i in range(f.signals_in_file)]
        info = [(f.getLabel(i), f.getPhysicalDimension(i), f.getSampleFrequency(i),
                 f.getPhysicalMinimum(i), f.getPhysicalMaximum(i), f.getDigitalMinimum(i)) for i in range(f.signals_in_file)]
        ann = f.readAnnotations()
        start = f.getStartdatetime()
    finally:
        f.close()
    return sig, info, ann, start, dig


def test_edf_round_trip_samples_and_annotations(fresh_diary: Path, tmp_path: Path) -> None:
    s = _recorded_session(fresh_diary)
    with Store.open(fresh_diary) as store:
        writes.add_felt(store, wall_s=s.started_wall_s + 30.25, text="thumb", session_id=s.id)
    rec = read_native(fresh_diary / s.recording)
    out, note = export_edf(fresh_diary, s.id, tmp_path / "s.edf")
    assert note is None
    sig, info, (onsets, durations, texts), start, _dig = _read_edf(out)
    assert [i[0] for i in info] == ["Accel X", "Accel Y", "Accel Z", "Gyro X", "Gyro Y", "Gyro Z"]
    assert [i[1] for i in info] == ["g"] * 3 + ["deg/s"] * 3
    for k in range(6):
        _label, _unit, fs, pmin, pmax, _dmin = info[k]
        assert fs == rec.fs_hz
        quantum = (pmax - pmin) / 65535
        truth = rec.accel_g[:, k] if k < 3 else rec.gyro_dps[:, k - 3]
        assert len(sig[k]) >= rec.n_samples
        np.testing.assert_allclose(sig[k][: rec.n_samples], truth, atol=quantum)
    assert abs(start.timestamp() - s.started_wall_s) < 1.0
    with Store.open(fresh_diary, readonly=True) as store:
        tws = queries.twitches(store, 0, 2e10, s.id)
        eps = queries.episodes(store, 0, 2e10, s.id)
    got = sorted(zip(onsets, texts))
    tw_ann = [o for o, t in got if t.startswith("Twitch")]
    ep_ann = [(o, t) for o, t in got if t.startswith("Episode")]
    assert len(tw_ann) == len(tws) > 0 and len(ep_ann) == len(eps) > 0
    np.testing.assert_allclose(tw_ann, [t.onset / rec.fs_hz for t in tws], atol=1e-3)
    assert [t for _, t in ep_ann] == [f"Episode {e.twitch_count} twitches" for e in eps]
    felt = [o for o, t in got if t.startswith("Felt twitch")]
    assert felt == [pytest.approx(30.25, abs=1e-3)]


def test_edf_marks_lost_samples_and_reads_a_damaged_recording(fresh_diary: Path, tmp_path: Path) -> None:
    from twitchwatch.io import write_recording

    s = _recorded_session(fresh_diary)
    path = fresh_diary / s.recording
    rec = read_native(path)
    rec.accel_g[1000:1400] = np.nan
    rec.gyro_dps[1000:1400] = np.nan
    write_recording(rec, path, overwrite=True)
    # Damage the file two thirds of the way in: the reader keeps what comes before.
    raw = bytearray(path.read_bytes())
    cut_at = len(raw) * 2 // 3
    raw[cut_at:cut_at + 64] = b"\xff" * 64
    path.write_bytes(bytes(raw))
    out, note = export_edf(fresh_diary, s.id, tmp_path / "d.edf")
    assert note and "lost" in note
    back = read_native(path)
    assert 0 < back.n_samples < rec.n_samples
    sig, info, (onsets, durations, texts), _, dig = _read_edf(out)
    lost = [(o, d) for o, d, t in zip(onsets, durations, texts) if t.startswith("Signal lost")]
    assert lost[0] == (pytest.approx(1000 / rec.fs_hz, abs=1e-3), pytest.approx(400 / rec.fs_hz, abs=1e-3))
    assert np.all(dig[0][1000:1400] == -32768)              # filled with the digital minimum
    assert np.all(dig[0][:1000] > -32768)
    assert np.allclose(sig[0][1000:1400], info[0][3], atol=1e-6)   # = the physical minimum
    assert any(t.startswith("Recording cut") for t in texts)
    # reanalyze reports the loss too
    from twitchwatch.store.reanalysis import reanalyze_sessions

    with Store.open(fresh_diary, readonly=True) as store:
        (r,) = reanalyze_sessions(store, [queries.session(store, s.id)])
    assert r.cut_note and r.error is None


def test_edf_bad_arguments(diary: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no session 9999"):
        export_edf(diary, 9999, tmp_path / "x.edf")
    with pytest.raises(ConfigError, match=r"\.edf"):
        export_edf(diary, 1, tmp_path / "x.csv")
    with pytest.raises(ConfigError, match="no raw recording"):
        export_edf(diary, 1, tmp_path / "x.edf")        # synthesised sessions have no raw file


def test_csv_export_columns_and_counts(diary: Path, tmp_path: Path) -> None:
    period = Period(FIRST_DAY, LAST_DAY)
    paths = export_csv(diary, period, tmp_path / "csv")
    assert [p.name for p in paths] == list(FILES)
    doc = (Path(__file__).resolve().parents[2] / "docs" / "export.md").read_text()
    tables = {}
    for p in paths:
        with p.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            header = list(reader.fieldnames or [])
        tables[p.stem] = rows
        for col in header:                                  # every column is documented
            assert f"`{col}`" in doc, (p.name, col)
        assert (p.stat().st_mode & 0o777) == 0o600
    with Store.open(diary, readonly=True) as store:
        tws = queries.twitches(store, period.start_s, period.end_s)
        eps = queries.episodes(store, period.start_s, period.end_s)
    assert len(tables["twitches"]) == len(tws) and len(tables["episodes"]) == len(eps)
    in_episodes = sum(1 for r in tables["twitches"] if r["episode_id"])
    assert in_episodes == sum(e.twitch_count for e in eps)
    e0 = tables["episodes"][0]
    assert len(e0["intervals_s"].split()) == int(e0["twitch_count"]) - 1
    assert float(e0["duration_s"]) == pytest.approx(eps[0].duration_s, abs=1e-3)
    with pytest.raises(ConfigError, match="already holds"):
        export_csv(diary, period, tmp_path / "csv")
