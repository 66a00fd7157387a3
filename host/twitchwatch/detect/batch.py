"""Batch reference detector: the whole recording at once, in the plainest vectorised form.

Written separately from :mod:`streaming` (it shares only the filter design and the threshold
formula) so that the streaming-equals-batch tests check the streaming bookkeeping for real.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from .calibration import Calibration
from .events import DetectorOutput, Episode, Span, Twitch
from .params import Design, DetectorParams, design, magnitude, on_off, threshold_from_baseline


@dataclass
class FrontEnd:
    band_g: np.ndarray       # band-passed magnitude
    envelope_g: np.ndarray
    slow_g: np.ndarray       # slow envelope, follows a train of twitches
    moving: np.ndarray       # raw (instantaneous) movement flag
    lostwarm: np.ndarray     # lost samples and the warm-up after them / after the start
    quiet: np.ndarray


def _forward_fill(x: np.ndarray, lost: np.ndarray) -> np.ndarray:
    """Lost rows take the last good row's value; lost rows at the very start are zero."""
    good_idx = np.where(~lost, np.arange(lost.size), -1)
    last = np.maximum.accumulate(good_idx)
    return np.where((last >= 0)[:, None], x[np.maximum(last, 0)], 0.0)


def front_end(accel_g: np.ndarray, gyro_dps: np.ndarray | None, d: Design, params: DetectorParams) -> FrontEnd:
    n = accel_g.shape[0]
    lost = ~np.isfinite(accel_g).all(axis=1)
    if gyro_dps is not None:
        gyro_dps = np.asarray(gyro_dps, dtype=np.float64)
        lost |= ~np.isfinite(gyro_dps).all(axis=1)
    accel = _forward_fill(accel_g, lost)
    bp = signal.sosfilt(d.band_sos, accel, axis=0, zi=signal.sosfilt_zi(d.band_sos)[:, :, None] * accel[0])[0]
    band_g = magnitude(bp)
    env = np.sqrt(np.maximum(signal.sosfilt(d.envelope_sos, band_g * band_g,
                                            zi=np.zeros((d.envelope_sos.shape[0], 2)))[0], 0.0))
    slow = np.sqrt(np.maximum(signal.sosfilt(d.slow_sos, band_g * band_g,
                                             zi=np.zeros((d.slow_sos.shape[0], 2)))[0], 0.0))
    # Orientation (low-passed gravity) compared with itself tilt_lag_n samples earlier.
    orient = signal.sosfilt(d.tilt_sos, accel, axis=0, zi=signal.sosfilt_zi(d.tilt_sos)[:, :, None] * accel[0])[0]
    moving = np.zeros(n, dtype=bool)
    lag = d.tilt_lag_n
    if n > lag:
        moving[lag:] = magnitude(orient[lag:] - orient[:-lag]) > params.gate_tilt_g
    if gyro_dps is not None:
        gyro = _forward_fill(gyro_dps, lost)
        rot = signal.sosfilt(d.gate_sos, gyro, axis=0, zi=signal.sosfilt_zi(d.gate_sos)[:, :, None] * gyro[0])[0]
        moving |= magnitude(rot) > params.gate_gyro_dps
    # Warm-up: the start counts as a lost sample at index -1.
    lostwarm = np.zeros(n, dtype=bool)
    lostwarm[: d.warmup_n] = True
    for i in np.flatnonzero(lost):
        lostwarm[i: i + d.warmup_n + 1] = True
    return FrontEnd(band_g, env, slow, moving, lostwarm, ~moving & ~lostwarm)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.concatenate(([0], flags.astype(np.int8), [0]))))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def _thresholds(fe: FrontEnd, d: Design, params: DetectorParams, calibration: Calibration | None) -> np.ndarray:
    n = fe.envelope_g.size
    baseline: list[float] = []
    if calibration is not None:
        baseline = [calibration.noise_g] * params.baseline_min_blocks
    thr = np.full(n, threshold_from_baseline(params, baseline) or params.threshold_initial_g)
    for k in range(n // d.block_n):
        block = slice(k * d.block_n, (k + 1) * d.block_n)
        if fe.quiet[block].all():
            baseline = (baseline + [float(np.quantile(fe.envelope_g[block], params.baseline_quantile))])[-params.baseline_blocks:]
            new = threshold_from_baseline(params, baseline)
            if new is not None:
                thr[(k + 1) * d.block_n:] = new
    return thr


def _hysteresis_segments(on: np.ndarray, off: np.ndarray) -> list[tuple[int, int | None]]:
    """Switch on where ``on``, off where ``off``; (onset, offset or None if still on)."""
    above = np.flatnonzero(on)
    below = np.flatnonzero(off)
    segments: list[tuple[int, int | None]] = []
    pos = 0
    while True:
        k = np.searchsorted(above, pos)
        if k == above.size:
            return segments
        onset = int(above[k])
        j = np.searchsorted(below, onset)
        if j == below.size:
            segments.append((onset, None))
            return segments
        offset = int(below[j])
        segments.append((onset, offset))
        pos = offset


def detect(accel_g: np.ndarray, gyro_dps: np.ndarray | None, fs_hz: float,
           params: DetectorParams = DetectorParams(), calibration: Calibration | None = None) -> DetectorOutput:
    """Detect twitches, episodes and monitored spans in a whole recording (reference)."""
    d = design(params, fs_hz)
    accel_g = np.asarray(accel_g, dtype=np.float64).reshape(-1, 3)
    n = accel_g.shape[0]
    out = DetectorOutput()
    if n == 0:
        return out
    fe = front_end(accel_g, gyro_dps, d, params)
    thr = _thresholds(fe, d, params, calibration)

    # Where the detector does not monitor: loss/warm-up, and sustained movement with guards.
    bad = fe.lostwarm.copy()
    for a, b in _runs(fe.moving):
        if b - a >= d.min_move_n:
            bad[max(a - d.guard_before_n, 0): b + (d.guard_after_n if b < n else 0)] = True

    # Candidates: hysteresis segments, merged when closer than the refractory time.
    merged: list[list] = []
    on, off = on_off(fe.envelope_g, fe.slow_g, thr, params)
    for onset, offset in _hysteresis_segments(on, off):
        if merged and merged[-1][1] is not None and onset - merged[-1][1] < d.refractory_n:
            merged[-1][1] = offset
        else:
            merged.append([onset, offset])
    for onset, offset in merged:
        if offset is None or not d.min_twitch_n <= offset - onset <= d.max_twitch_n:
            continue
        if bad[onset:offset].any():
            continue
        on_mask = np.zeros(offset - onset, dtype=bool)
        for a, b in _hysteresis_runs_within(on, off, onset, offset):
            on_mask[a - onset:b - onset] = True
        values = np.where(on_mask, fe.band_g[onset:offset], -1.0)
        k = int(np.argmax(values))
        out.twitches.append(Twitch(onset, offset, onset + k, float(values[k])))

    # Episodes: twitches whose gaps are at most episode_gap.
    group: list[Twitch] = []
    for tw in out.twitches + [None]:
        if group and (tw is None or tw.onset - group[-1].offset > d.episode_gap_n):
            if len(group) >= params.episode_min_twitches:
                out.episodes.append(Episode(group[0].onset, group[-1].offset,
                                            tuple(t.onset for t in group), max(t.peak_g for t in group)))
            group = []
        if tw is not None:
            group.append(tw)

    out.monitored = [Span(a, b) for a, b in _runs(~bad)]
    return out


def _hysteresis_runs_within(on, off, onset, offset):
    """The on-runs of the hysteresis inside a merged candidate (peaks count only there)."""
    segs = _hysteresis_segments(on[onset:offset], off[onset:offset])
    return [(onset + a, onset + (b if b is not None else offset - onset)) for a, b in segs]
