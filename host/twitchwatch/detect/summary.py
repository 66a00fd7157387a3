"""Run the detector over a whole recording and summarise it in the ``analyze --json`` contract.

The contract (docs/analyze-json.md) is what other tools and the benchmarks read: keep it stable.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..recording import Recording
from .calibration import Calibration
from .events import DetectorOutput
from .params import DetectorParams, detector_info, lost_rows
from .streaming import TwitchDetector

CHUNK_N = 1 << 16     # ~5 min at 208 Hz: bounded memory for long recordings


def run_detector(rec: Recording, params: DetectorParams = DetectorParams(),
                 calibration: Calibration | None = None) -> DetectorOutput:
    """The streaming detector over a whole recording, in bounded-memory chunks."""
    def pieces():
        for start in range(0, rec.n_samples, CHUNK_N):
            yield (rec.accel_g[start:start + CHUNK_N],
                   None if rec.gyro_dps is None else rec.gyro_dps[start:start + CHUNK_N])
    return run_detector_chunks(rec.fs_hz, pieces(), params, calibration)[0]


def run_detector_chunks(fs_hz: float, pieces: Iterable[tuple[np.ndarray, np.ndarray | None]],
                        params: DetectorParams = DetectorParams(),
                        calibration: Calibration | None = None) -> tuple[DetectorOutput, int]:
    """The streaming detector over consecutive ``(accel_g, gyro_dps)`` pieces (e.g. decoded
    from a file piece by piece, so a long recording never sits in memory whole). Returns the
    output and the number of lost (NaN) samples seen."""
    det = TwitchDetector(fs_hz, params, calibration)
    out = DetectorOutput()
    lost = 0
    for accel, gyro in pieces:
        lost += int(np.count_nonzero(lost_rows(accel)))
        out.extend(det.process(accel, gyro))
    out.extend(det.finish())
    return out, lost


def summarise(rec: Recording, out: DetectorOutput, params: DetectorParams, file: str = "") -> dict:
    """The per-file JSON object of ``twitchwatch analyze --json``."""
    return summary_of(out, params, fs_hz=rec.fs_hz, n_samples=rec.n_samples, lost_n=int(rec.lost_mask.sum()),
                      start_wall_s=rec.start_wall_s, site=rec.site, side=rec.side, cut_note=rec.cut_note,
                      file=file)


def summary_of(out: DetectorOutput, params: DetectorParams, *, fs_hz: float, n_samples: int, lost_n: int,
               start_wall_s: float | None, site: str, side: str, cut_note: str | None, file: str = "") -> dict:
    """:func:`summarise` from the recording's facts rather than the recording itself."""
    fs = fs_hz
    return {
        "file": file,
        "detector": detector_info(params),
        "fs_hz": round(fs, 4),
        "duration_s": round(n_samples / fs, 4),
        "monitored_s": round(sum(s.end - s.start for s in out.monitored) / fs, 4),
        "monitored_spans": [[round(s.start / fs, 4), round(s.end / fs, 4)] for s in out.monitored],
        "lost_s": round(lost_n / fs, 4),
        "start_wall_s": start_wall_s,
        "site": site,
        "side": side,
        "cut_note": cut_note,
        "twitches": [t.as_dict(fs) for t in out.twitches],
        "episodes": [e.as_dict(fs) for e in out.episodes],
    }


def describe(summary: dict) -> str:
    """A short human-readable summary of one analysed file."""
    mon_h = summary["monitored_s"] / 3600.0
    twitches = summary["twitches"]
    episodes = summary["episodes"]
    lines = [
        f"{summary['file']}",
        f"  recorded {_hms(summary['duration_s'])}, monitored (still) {_hms(summary['monitored_s'])}"
        f" ({100 * summary['monitored_s'] / max(summary['duration_s'], 1e-9):.0f} %)"
        + (f", lost {_hms(summary['lost_s'])}" if summary["lost_s"] else ""),
        f"  twitches: {len(twitches)}"
        + (f" ({len(twitches) / mon_h:.1f} per monitored hour)" if mon_h >= 5 / 60 else ""),
        f"  episodes: {len(episodes)}",
    ]
    if summary.get("cut_note"):
        lines.append(f"  note: {summary['cut_note']}")
    if episodes:
        durations = np.array([e["duration_s"] for e in episodes])
        lines.append(f"  episode duration: median {np.median(durations):.1f} s, longest {durations.max():.1f} s")
        lines.append("    start      duration  twitches  peak")
        for e in episodes[:50]:
            lines.append(f"    {_hms(e['start_s']):>9}  {e['duration_s']:6.1f} s  {e['twitch_count']:8d}"
                         f"  {1000 * e['peak_g']:4.0f} mg")
        if len(episodes) > 50:
            lines.append(f"    ... and {len(episodes) - 50} more (use --json for all)")
    lines.append("  Counts are a self-monitoring record for your clinician, not a diagnosis.")
    return "\n".join(lines)


def _hms(t_s: float) -> str:
    t = int(round(t_s))
    return f"{t // 3600}:{t % 3600 // 60:02d}:{t % 60:02d}"
