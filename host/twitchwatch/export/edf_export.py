"""EDF+ export of one session: accelerometer and gyroscope in physical units, with an
annotation for every twitch, episode, felt event and gap.

Choices (documented in ``docs/export.md``):

* **EDF+C with lost samples filled, not EDF+D.** Continuous files open in every reader
  (EDFbrowser, MNE, pyedflib, edfio); many tools do not support discontinuous EDF+D. A lost
  sample is written as the channel's *digital minimum* (-32768), a value real data never
  takes, and each gap gets a ``Signal lost`` annotation spanning it.
* **Lossless scaling.** The physical range is the LSM6DSO full scale (e.g. ±4 g, ±500 dps)
  that the native recording used, with digital -32768..32767, so a digital step is the
  sensor's own LSB (0.122 mg at ±4 g) and nothing is quantised twice.
"""

from __future__ import annotations

import math
import os
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import ConfigError, StoreError, TwitchwatchError
from ..recording import Recording
from ..store import queries
from ..store.db import Store

_ACCEL_LSB_G = {2: 0.061e-3, 4: 0.122e-3, 8: 0.244e-3, 16: 0.488e-3}          # LSM6DSO datasheet
_GYRO_LSB_DPS = {125: 4.375e-3, 250: 8.75e-3, 500: 17.5e-3, 1000: 35e-3, 2000: 70e-3}
DIGITAL = (-32768, 32767)
LOST_DIGITAL = -32768


def _full_scale(values: np.ndarray, table: dict[int, float]) -> float:
    """Smallest sensor full scale (as a physical LSB) that holds the data's peaks."""
    finite = values[np.isfinite(values)]
    peak = float(np.max(np.abs(finite))) if finite.size else 0.0
    for rng in sorted(table):
        if peak <= table[rng] * 32767:
            return table[rng]
    return max(table.values()) * max(1.0, peak / (max(table.values()) * 32767))


def _edf_number(v: float, outward: int) -> float:
    """Round ``v`` away from zero (``outward`` = -1 for a minimum, +1 for a maximum) so it
    prints in the header's 8 characters without shrinking the range."""
    for decimals in range(6, -1, -1):
        scale = 10 ** decimals
        r = (math.floor(v * scale) if outward < 0 else math.ceil(v * scale)) / scale
        if len(f"{r:.{decimals}f}".rstrip("0").rstrip(".")) <= 8:
            return r
    raise ValueError(f"{v} does not fit an EDF header field")


def _record_duration(fs_hz: float) -> float:
    """A data-record length (≤ 10 s) holding a whole number of samples."""
    frac = Fraction(fs_hz).limit_denominator(1000)
    if abs(float(frac) - fs_hz) > 1e-9 * fs_hz:
        raise ConfigError(f"sample rate {fs_hz} Hz cannot be represented in EDF records")
    for dur in range(1, 11):
        if (frac * dur).denominator == 1:
            return float(dur)
    return float(frac.denominator)


def edf_signals(rec: Recording, record_s: float):
    """edfio signals for ``rec``; lost samples become the digital minimum."""
    from edfio import EdfSignal

    n_rec = math.ceil(rec.n_samples / (rec.fs_hz * record_s))
    n_total = int(round(n_rec * rec.fs_hz * record_s))
    groups = [("Accel", rec.accel_g, "g", _ACCEL_LSB_G)]
    if rec.gyro_dps is not None:
        groups.append(("Gyro", rec.gyro_dps, "deg/s", _GYRO_LSB_DPS))
    signals = []
    for name, values, unit, table in groups:
        lsb = _full_scale(values, table)
        pmin, pmax = _edf_number(DIGITAL[0] * lsb, -1), _edf_number(DIGITAL[1] * lsb, +1)
        for k, axis in enumerate("XYZ"):
            x = np.full(n_total, pmin)
            col = values[:, k]
            x[: rec.n_samples] = np.where(np.isfinite(col), np.clip(col, pmin, pmax), pmin)
            signals.append(EdfSignal(
                x, rec.fs_hz, label=f"{name} {axis}", transducer_type="LSM6DSO MEMS IMU",
                physical_dimension=unit, physical_range=(pmin, pmax), digital_range=DIGITAL,
                prefiltering="none; lost samples = digital minimum"))
    return signals, n_total


def export_edf(data_dir: str | os.PathLike[str] | None, session_id: int, out_path: str | os.PathLike[str],
               *, overwrite: bool = False) -> tuple[Path, str | None]:
    """Write session ``session_id`` as EDF+ to ``out_path``.

    Returns the path and a note on what was lost when the recording was damaged (else None).
    """
    from edfio import Edf, EdfAnnotation, Patient, Recording as EdfRecording

    from ..io.native import read_native

    out = Path(out_path).expanduser()
    if out.suffix.lower() != ".edf":
        raise ConfigError(f"EDF file {out} should end in .edf")
    if out.exists() and not overwrite:
        raise ConfigError(f"{out} already exists; choose another name or pass --force")
    if not out.parent.is_dir():
        raise ConfigError(f"folder {out.parent} does not exist; create it or choose another --out")
    with Store.open(data_dir, readonly=True) as store:
        s = queries.session(store, session_id)
        if s is None:
            raise ConfigError(f"there is no session {session_id}; list them with `twitchwatch diary sessions`")
        if not s.recording:
            raise ConfigError(f"session {session_id} has no raw recording to export")
        rec = read_native(store.data_dir / s.recording)
        end = s.started_wall_s + rec.n_samples / rec.fs_hz + 1
        tws = queries.twitches(store, s.started_wall_s - 1, end, session_id)
        eps = queries.episodes(store, s.started_wall_s - 1, end, session_id)
        felt = [f for f in queries.felt(store, s.started_wall_s, end)
                if f.session_id in (None, session_id)]
    if rec.n_samples == 0:
        raise TwitchwatchError(f"session {session_id} holds no readable samples; nothing to export")
    record_s = _record_duration(rec.fs_hz)
    signals, n_total = edf_signals(rec, record_s)
    fs = rec.fs_hz
    ann = [EdfAnnotation(t.onset / fs, max(t.duration_s, 1 / fs), f"Twitch {t.peak_g * 1000:.1f} mg") for t in tws
           if t.onset < rec.n_samples]
    ann += [EdfAnnotation(e.start / fs, e.duration_s, f"Episode {e.twitch_count} twitches") for e in eps
            if e.start < rec.n_samples]
    ann += [EdfAnnotation(f.wall_s - s.started_wall_s, None, "Felt twitch" + (f": {f.text}" if f.text else ""))
            for f in felt if 0 <= f.wall_s - s.started_wall_s < rec.n_samples / fs]
    ann += [EdfAnnotation(a / fs, (b - a) / fs, f"Signal lost ({b - a} samples)") for a, b in rec.lost_spans()]
    tail = n_total - rec.n_samples
    if tail:
        ann.append(EdfAnnotation(rec.n_samples / fs, tail / fs, "Padding to whole record (no data)"))
    if rec.cut_note:
        ann.append(EdfAnnotation(max(0.0, rec.n_samples / fs - 1 / fs), None, "Recording cut: " + rec.cut_note[:160]))
    ann.sort(key=lambda a: a.onset)
    start = datetime.fromtimestamp(s.started_wall_s)
    site = "_".join(p for p in (s.side, s.site) if p) or "site_unknown"
    edf = Edf(
        signals,
        patient=Patient(),   # anonymous: X X X X
        recording=EdfRecording(startdate=start.date(), hospital_administration_code=f"session_{s.id}",
                               investigator_technician_code="self_recorded",
                               equipment_code=f"twitchwatch_{site}"),
        starttime=start.time(),
        data_record_duration=record_s,
        annotations=ann,
    )
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        edf.write(tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write {out} ({exc.strerror}); choose another folder or free some space") from None
    return out, rec.cut_note
