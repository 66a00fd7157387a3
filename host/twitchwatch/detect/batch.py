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
from .params import (Design, DetectorParams, block_stats, design, magnitude, on_off, sign_changes,
                     threshold_from_baseline, transient_mask)


@dataclass
class FrontEnd:
    band_xyz: np.ndarray     # band-passed acceleration, per axis
    band_g: np.ndarray       # its magnitude
    envelope_g: np.ndarray
    slow_g: np.ndarray       # slow envelope, follows a train of twitches
    lostwarm: np.ndarray     # lost samples and the warm-up after them / after the start
    block_quantile: np.ndarray   # per block (the last may be partial): envelope quantile
    block_still: np.ndarray      # per block: still by the motion gate


def _forward_fill(x: np.ndarray, lost: np.ndarray, first: np.ndarray | None = None) -> np.ndarray:
    """Lost rows take the last good row's value; lost rows at the very start take ``first``
    (zero by default)."""
    good_idx = np.where(~lost, np.arange(lost.size), -1)
    last = np.maximum.accumulate(good_idx)
    return np.where((last >= 0)[:, None], x[np.maximum(last, 0)], 0.0 if first is None else first)


def _filt(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Causal filter along time, started in steady state on the first sample."""
    return signal.sosfilt(sos, x, axis=0, zi=signal.sosfilt_zi(sos)[:, :, None] * x[0])[0]


def front_end(accel_g: np.ndarray, gyro_dps: np.ndarray | None, d: Design, params: DetectorParams) -> FrontEnd:
    n = accel_g.shape[0]
    lost = ~np.isfinite(accel_g).all(axis=1)
    if gyro_dps is not None:
        gyro_dps = np.asarray(gyro_dps, dtype=np.float64)
        lost |= ~np.isfinite(gyro_dps).all(axis=1)
    accel = _forward_fill(accel_g, lost)
    band_xyz = _filt(d.band_sos, accel)
    band_g = magnitude(band_xyz)
    env = np.sqrt(np.maximum(signal.sosfilt(d.envelope_sos, band_g * band_g,
                                            zi=np.zeros((d.envelope_sos.shape[0], 2)))[0], 0.0))
    slow = np.sqrt(np.maximum(signal.sosfilt(d.slow_sos, band_g * band_g,
                                             zi=np.zeros((d.slow_sos.shape[0], 2)))[0], 0.0))
    # Gate input: delayed by D samples; wherever a transient was seen within the last D + hang
    # samples it is the smoothed input as it was just before (the twitch itself stays unseen).
    transient = np.flatnonzero(transient_mask(env, slow, params))
    covered = np.zeros(n, dtype=bool)
    gyro_covered = np.zeros(n, dtype=bool)
    for t in transient:
        covered[t: t + d.mask_delay_n + d.mask_hang_n + 1] = True
        gyro_covered[t: t + d.mask_delay_n + d.mask_gyro_hang_n + 1] = True
    smooth = _filt(d.smooth_sos, accel)
    late_raw = np.concatenate((np.repeat(accel[:1], d.mask_delay_n, axis=0), accel))[:n]
    late_smooth = np.concatenate((np.repeat(smooth[:1], d.mask_delay_n, axis=0), smooth))[:n]
    held = _forward_fill(late_smooth, covered, first=accel[0])
    low = _filt(d.low_sos, np.where(covered[:, None], held, late_raw))
    gyro = None
    if gyro_dps is not None:
        g = _forward_fill(gyro_dps, lost)
        gyro = np.concatenate((np.repeat(g[:1], d.mask_delay_n, axis=0), g))[:n]
    # Warm-up: the start counts as a lost sample at index -1.
    lostwarm = np.zeros(n, dtype=bool)
    lostwarm[: d.warmup_n] = True
    for i in np.flatnonzero(lost):
        lostwarm[i: i + d.warmup_n + 1] = True
    quantiles, stills = [], []
    for start in range(0, n, d.block_n):
        sl = slice(start, min(start + d.block_n, n))
        q, still = block_stats(env[sl][None], low[sl][None], None if gyro is None else gyro[sl][None],
                               gyro_covered[sl][None], lostwarm[sl][None], params)
        quantiles.append(float(q[0]))
        stills.append(bool(still[0]))
    return FrontEnd(band_xyz, band_g, env, slow, lostwarm, np.array(quantiles), np.array(stills, dtype=bool))


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.concatenate(([0], flags.astype(np.int8), [0]))))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def _thresholds(fe: FrontEnd, d: Design, params: DetectorParams, calibration: Calibration | None) -> np.ndarray:
    n = fe.envelope_g.size
    baseline: list[float] = []
    if calibration is not None:
        baseline = [calibration.noise_g] * params.baseline_min_blocks
    level = threshold_from_baseline(params, baseline) or params.threshold_initial_g
    in_force = [level]                                # during block 0, then after each complete block
    for k in range(n // d.block_n):
        if fe.block_still[k]:
            baseline = (baseline + [float(fe.block_quantile[k])])[-params.baseline_blocks:]
            level = threshold_from_baseline(params, baseline) or level
        in_force.append(level)
    return np.repeat(in_force, d.block_n)[:n]


def monitored_blocks(still: np.ndarray, guard: int, settle: int) -> np.ndarray:
    """A block is monitored when it, the ``settle`` blocks before it and the ``guard`` blocks
    after it (those inside the recording) are all still."""
    k = still.size
    return np.array([still[max(b - settle, 0): min(b + guard + 1, k)].all() for b in range(k)], dtype=bool)


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

    # Where the detector does not monitor: blocks that are not still or have a neighbour that is not.
    monitored = monitored_blocks(fe.block_still, params.gate_guard_blocks, params.gate_settle_blocks)
    bad = ~np.repeat(monitored, d.block_n)[:n]

    # Candidates: hysteresis segments, merged when closer than the refractory time.
    merged: list[list] = []
    on, off = on_off(fe.envelope_g, fe.slow_g, thr, params)
    for onset, offset in _hysteresis_segments(on, off):
        if merged and merged[-1][1] is not None and onset - merged[-1][1] < d.refractory_n:
            merged[-1][1] = offset
        else:
            merged.append([onset, offset])
    # A twitch began where the envelope last left the 'off' zone (at most backtrack_n earlier).
    last_off = np.maximum.accumulate(np.where(off & ~on, np.arange(n), -1))
    onsets = [max(int(last_off[crossing]) + 1, crossing - d.backtrack_n) for crossing, _ in merged]
    for i, (crossing, offset) in enumerate(merged):
        if offset is None:
            continue
        onset = onsets[i]
        if not d.min_twitch_n <= offset - onset <= d.max_twitch_n or bad[onset:offset].any():
            continue
        on_mask = np.zeros(offset - crossing, dtype=bool)
        for a, b in _hysteresis_runs_within(on, off, crossing, offset):
            on_mask[a - crossing:b - crossing] = True
        values = np.where(on_mask, fe.band_g[crossing:offset], -1.0)
        k = int(np.argmax(values))
        end = min(onset + d.rhythm_n, n)
        if i + 1 < len(merged):                        # the next twitch is not this one's rhythm
            end = min(end, onsets[i + 1])
        window = fe.band_xyz[onset:end]
        level = params.rhythm_level * float(thr[crossing])
        if sign_changes(window, fe.band_xyz[crossing + k], level) > params.rhythm_max_crossings:
            continue                                   # tremor-like, not a twitch
        out.twitches.append(Twitch(onset, offset, crossing + k, float(values[k])))

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
