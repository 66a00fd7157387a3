"""Scoring detections against ground truth: twitch and episode matching, per-band tallies."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..model.truth import GroundTruth

PEAK_BANDS_G = ((0.015, 0.025), (0.025, 0.05), (0.05, 0.1), (0.1, 0.2))
ONSET_TOLERANCE_S = 0.1


def band_of(peak_g: float) -> int | None:
    for i, (lo, hi) in enumerate(PEAK_BANDS_G):
        if lo <= peak_g < hi or (i == len(PEAK_BANDS_G) - 1 and peak_g == hi):
            return i
    return None


@dataclass
class Tally:
    """Counts accumulated over many files."""

    tp: list[int] = field(default_factory=lambda: [0] * len(PEAK_BANDS_G))
    fn: list[int] = field(default_factory=lambda: [0] * len(PEAK_BANDS_G))
    fp: int = 0
    tp_monitored: int = 0       # true twitches whose onset fell in time the detector monitored ...
    fn_monitored: int = 0       # ... and of those, the ones it missed
    ep_tp: int = 0
    ep_fp: int = 0
    ep_fn: int = 0
    ep_duration_errors_s: list[float] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        self.tp = [a + b for a, b in zip(self.tp, other.tp)]
        self.fn = [a + b for a, b in zip(self.fn, other.fn)]
        self.fp += other.fp
        self.tp_monitored += other.tp_monitored
        self.fn_monitored += other.fn_monitored
        self.ep_tp += other.ep_tp
        self.ep_fp += other.ep_fp
        self.ep_fn += other.ep_fn
        self.ep_duration_errors_s += other.ep_duration_errors_s

    def sensitivity(self, band: int | None = None) -> float:
        tp = sum(self.tp) if band is None else self.tp[band]
        fn = sum(self.fn) if band is None else self.fn[band]
        return tp / (tp + fn) if tp + fn else float("nan")

    def monitored_sensitivity(self) -> float:
        """Sensitivity over the true twitches that fell in monitored time (what the detector
        finds where it says it is looking)."""
        n = self.tp_monitored + self.fn_monitored
        return self.tp_monitored / n if n else float("nan")

    def monitored_share(self) -> float:
        """Share of the scored true twitches that fell in monitored time."""
        n = sum(self.tp) + sum(self.fn)
        return (self.tp_monitored + self.fn_monitored) / n if n else float("nan")

    def precision(self) -> float:
        tp = sum(self.tp)
        return tp / (tp + self.fp) if tp + self.fp else float("nan")

    def episode_f1(self) -> float:
        denom = 2 * self.ep_tp + self.ep_fp + self.ep_fn
        return 2 * self.ep_tp / denom if denom else float("nan")

    def median_duration_error_s(self) -> float:
        return float(np.median(self.ep_duration_errors_s)) if self.ep_duration_errors_s else float("nan")


def score(summary: dict, truth: GroundTruth) -> Tally:
    """Match one ``analyze --json`` summary against its ground truth.

    Twitches: one-to-one, nearest onset within ±100 ms. Episodes: one-to-one by largest time
    overlap (any overlap counts).
    """
    t = Tally()
    det = sorted(tw["onset_s"] for tw in summary["twitches"])
    used = np.zeros(len(det), dtype=bool)
    det_arr = np.asarray(det)
    for tw in sorted(truth.twitches, key=lambda x: x.onset_s):
        band = band_of(tw.peak_g)
        best = None
        if det_arr.size:
            lo = np.searchsorted(det_arr, tw.onset_s - ONSET_TOLERANCE_S)
            hi = np.searchsorted(det_arr, tw.onset_s + ONSET_TOLERANCE_S, side="right")
            cands = [k for k in range(lo, hi) if not used[k]]
            if cands:
                best = min(cands, key=lambda k: abs(det_arr[k] - tw.onset_s))
        if band is None:
            if best is not None:
                used[best] = True          # outside the scored bands: neither hit nor false
            continue
        monitored = any(a <= tw.onset_s < b for a, b in summary.get("monitored_spans", []))
        if best is None:
            t.fn[band] += 1
            t.fn_monitored += monitored
        else:
            used[best] = True
            t.tp[band] += 1
            t.tp_monitored += monitored
    t.fp = int((~used).sum())

    det_eps = [(e["start_s"], e["end_s"]) for e in summary["episodes"]]
    taken = [False] * len(det_eps)
    for ep in truth.episodes:
        best, best_overlap = None, 0.0
        for k, (a, b) in enumerate(det_eps):
            overlap = min(b, ep.end_s) - max(a, ep.start_s)
            if not taken[k] and overlap > best_overlap:
                best, best_overlap = k, overlap
        if best is None:
            t.ep_fn += 1
        else:
            taken[best] = True
            t.ep_tp += 1
            a, b = det_eps[best]
            t.ep_duration_errors_s.append(abs((b - a) - ep.duration_s))
    t.ep_fp = taken.count(False)
    return t
