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
from . import matched, whitening
from .shape import shape_shares, twitch_shaped, untwitch_like
from .params import (CORE, EDGE, Design, DetectorParams, block_still, design, envelope_quantile, lost_rows, magnitude,
                     on_off, sign_changes, threshold_from_baseline, transient_levels)


@dataclass
class FrontEnd:
    band_xyz: np.ndarray     # band-passed acceleration, per axis
    band_g: np.ndarray       # its magnitude
    power_fast: np.ndarray   # (n, 6) low-passed products of the axes (whitening.PAIRS): fast envelope
    power_slow: np.ndarray   # ... slow envelope, follows a train of twitches
    lostwarm: np.ndarray     # lost samples and the warm-up after them / after the start
    block_still: np.ndarray      # per block (the last may be partial): still by the motion gate
    block_cov: np.ndarray        # per complete block: twitch-band covariance away from transients (k, 6)
    block_cov_ok: np.ndarray     # ... and whether enough of the block was free of them
    block_lagged: np.ndarray     # per complete block: the matched filter's lagged sums (k, taps, 3, 3)
    block_anchors: np.ndarray    # ... over this many anchor samples


def _forward_fill(x: np.ndarray, lost: np.ndarray, first: np.ndarray | None = None) -> np.ndarray:
    """Lost rows take the last good row's value; lost rows at the very start take ``first``
    (zero by default)."""
    good_idx = np.where(~lost, np.arange(lost.size), -1)
    last = np.maximum.accumulate(good_idx)
    return np.where((last >= 0)[:, None], x[np.maximum(last, 0)], 0.0 if first is None else first)


def _filt(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Causal filter along time, started in steady state on the first sample."""
    return signal.sosfilt(sos, x, axis=0, zi=signal.sosfilt_zi(sos)[:, :, None] * x[0])[0]


def _filt_from(sos: np.ndarray, x: np.ndarray, j: int) -> np.ndarray:
    """:func:`_filt`, started again in steady state at row ``j`` (0: only at the start)."""
    return _filt(sos, x) if j == 0 else np.concatenate((_filt(sos, x[:j]), _filt(sos, x[j:])))


def _delayed(x: np.ndarray, raw: np.ndarray, delay_n: int, j: int) -> np.ndarray:
    """``x`` delayed by ``delay_n`` rows; the rows before any of it (at the start, and again at
    the restart ``j``) repeat its first value there (``raw``'s at the restart, as streaming does)."""
    out = np.concatenate((np.repeat(x[:1], delay_n, axis=0), x))[:x.shape[0]]
    if j > 0:
        out[j:j + delay_n] = raw[j]
    return out


def front_end(accel_g: np.ndarray, gyro_dps: np.ndarray | None, d: Design, params: DetectorParams,
              lay: matched.Layout) -> FrontEnd:
    n = accel_g.shape[0]
    lost = lost_rows(accel_g)
    if gyro_dps is not None:
        gyro_dps = np.asarray(gyro_dps, dtype=np.float64)
        lost |= lost_rows(gyro_dps)
    accel = _forward_fill(accel_g, lost)
    # A lost start: the filters and delays restart in steady state on the first good sample
    # (as the streaming detector does), so the data's start is no step from 0 to 1 g. Before
    # it, zero-filled samples through filters at rest give zeros throughout.
    j = int(np.argmax(~lost)) if not lost.all() else 0
    band_xyz = _filt_from(d.band_sos, accel, j)
    band_g = magnitude(band_xyz)
    # Plain envelopes (fast and slow) find the transients the gate must not see; the detector's
    # own envelopes are whitened, from the same low-pass of the axes' products.
    prods = whitening.products(band_xyz)
    power_fast = signal.sosfilt(d.envelope_sos, prods, axis=0, zi=np.zeros((d.envelope_sos.shape[0], 2, 6)))[0]
    power_slow = signal.sosfilt(d.slow_sos, prods, axis=0, zi=np.zeros((d.slow_sos.shape[0], 2, 6)))[0]
    env = whitening.plain_envelope(power_fast)
    slow = whitening.plain_envelope(power_slow)
    # Gate input: delayed by D samples; wherever a transient was seen within the last D + hang
    # samples it is the smoothed input as it was just before (the twitch itself stays unseen).
    strict, loose = transient_levels(env, slow, params)
    transient = []                                     # strict ones, and loose ones near the previous
    for i in np.flatnonzero(strict | loose):
        if strict[i] or (transient and i - transient[-1] <= d.mask_chain_n):
            transient.append(int(i))
    covered = np.zeros(n, dtype=bool)
    gyro_covered = np.zeros(n, dtype=bool)             # gyro left out: near a strict transient
    gyro_slow = np.zeros(n, dtype=bool)                # only its slow part counts: near any
    for t in transient:
        covered[t: t + d.mask_delay_n + d.mask_hang_n + 1] = True
        gyro_slow[t: t + d.mask_delay_n + d.mask_gyro_hang_n + 1] = True
        if strict[t]:
            gyro_covered[t: t + d.mask_delay_n + d.mask_gyro_hang_n + 1] = True
    smooth = _filt_from(d.smooth_sos, accel, j)
    # The covariance for whitening is taken on the same delayed time axis as the gate, so the
    # rise just before a transient is left out with it.
    late_band = np.concatenate((np.zeros((d.mask_delay_n, 3)), band_xyz))[:n]
    late_raw = _delayed(accel, accel, d.mask_delay_n, j)
    late_smooth = _delayed(smooth, accel, d.mask_delay_n, j)
    held = np.concatenate((_forward_fill(late_smooth[:j], covered[:j], first=accel[0]),
                           _forward_fill(late_smooth[j:], covered[j:], first=accel[j])))
    low = _filt_from(d.low_sos, np.where(covered[:, None], held, late_raw), j)
    gyro = None
    if gyro_dps is not None:
        g = _forward_fill(gyro_dps, lost)
        g_slow = _filt_from(d.gyro_slow_sos, g, j)
        late_g = _delayed(g, g, d.mask_delay_n, j)
        late_slow = _delayed(g_slow, g, d.mask_delay_n, j)
        gyro = np.where(gyro_slow[:, None], late_slow, late_g)
    # Warm-up: the start counts as a lost sample at index -1.
    lostwarm = np.zeros(n, dtype=bool)
    lostwarm[: d.warmup_n] = True
    for i in np.flatnonzero(lost):
        lostwarm[i: i + d.warmup_n + 1] = True
    stills, covs, cov_ok = [], [], []
    for start in range(0, n, d.block_n):
        sl = slice(start, min(start + d.block_n, n))
        still = block_still(low[sl][None], None if gyro is None else gyro[sl][None], gyro_covered[sl][None],
                            lostwarm[sl][None], params)
        stills.append(bool(still[0]))
        if sl.stop - sl.start == d.block_n:
            cov, ok = whitening.block_covariance(late_band[sl][None], covered[sl][None], params)
            covs.append(cov[0])
            cov_ok.append(bool(ok[0]))
    # The matched filter's sums, for the blocks it learns from (still, and free enough of
    # transients for whitening), all at once: a block's sums depend on it alone.
    k = n // d.block_n
    learn = np.flatnonzero(np.array(stills[:k], dtype=bool) & np.array(cov_ok, dtype=bool))
    lagged, anchors = np.zeros((k, lay.taps, 3, 3)), np.zeros(k, dtype=np.int64)
    if learn.size:
        lagged[learn], anchors[learn] = matched.block_lagged(
            late_band[:k * d.block_n].reshape(k, d.block_n, 3)[learn], covered[:k * d.block_n].reshape(k, d.block_n)[learn], lay)
    return FrontEnd(band_xyz, band_g, power_fast, power_slow, lostwarm, np.array(stills, dtype=bool),
                    np.array(covs).reshape(-1, 6), np.array(cov_ok, dtype=bool), lagged, anchors)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.concatenate(([0], flags.astype(np.int8), [0]))))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def whitened(fe: FrontEnd, d: Design, params: DetectorParams, calibration: Calibration | None,
             h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray], list]:
    """The whitened fast and slow envelopes and the threshold in force, per sample, and the
    whitening weights and matched filter (template ``h``) in force per block. Whitening, filter
    and threshold change only after each complete still block, from the blocks before."""
    n = fe.band_g.size
    baseline: list[float] = []
    covs: list[np.ndarray] = []
    if calibration is not None:
        baseline = [calibration.noise_g] * params.baseline_min_blocks
        if calibration.cov6 is not None:
            covs = [np.array(calibration.cov6)] * params.baseline_min_blocks
    level = threshold_from_baseline(params, baseline) or params.threshold_initial_g
    w = whitening.weights(np.array(covs), params) if covs else whitening.IDENTITY
    env, slow, thr = np.empty(n), np.empty(n), np.empty(n)
    in_force = []
    filters: list[matched.Filter | None] = []
    memory = matched.Memory(params, h)
    learned = 0
    for k, start in enumerate(range(0, n, d.block_n)):
        sl = slice(start, min(start + d.block_n, n))
        in_force.append(w)
        filters.append(memory.filter)
        env[sl] = whitening.envelope(fe.power_fast[sl], w)
        slow[sl] = whitening.envelope(fe.power_slow[sl], w)
        thr[sl] = level
        if sl.stop - sl.start < d.block_n or not fe.block_still[k]:
            continue
        baseline = (baseline + [float(envelope_quantile(env[sl][None], params)[0])])[-params.baseline_blocks:]
        level = threshold_from_baseline(params, baseline) or level
        if fe.block_cov_ok[k]:
            covs = (covs + [fe.block_cov[k]])[-params.baseline_blocks:]
            learned += 1
            if learned % params.whiten_every_blocks == 0:
                w = whitening.weights(np.array(covs), params)
            memory.learn(fe.block_lagged[k], int(fe.block_anchors[k]))
    return env, slow, thr, in_force, filters


def block_levels(still: np.ndarray, guard: int, settle: int, edges: bool) -> np.ndarray:
    """Per block: CORE when it, the ``settle`` blocks before it and the ``guard`` blocks after it
    (those inside the recording) are all still; EDGE (if ``edges``) when it is still and one of
    the two sides is; else 0."""
    k = still.size
    levels = np.zeros(k, dtype=np.int8)
    for b in range(k):
        before, after = still[max(b - settle, 0):b].all(), still[b + 1:min(b + guard + 1, k)].all()
        if still[b] and before and after:
            levels[b] = CORE
        elif still[b] and edges and (before or after):
            levels[b] = EDGE
    return levels


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
    lay = matched.layout(params, fs_hz)
    fe = front_end(accel_g, gyro_dps, d, params, lay)
    env, slow, thr, block_weights, filters = whitened(fe, d, params, calibration, matched.template(d, lay, fs_hz))

    def snr(onset: int, crossing: int, offset: int) -> float | None:
        """The matched filter's peak SNR over a burst (None while the filter is undecided)."""
        filt = filters[crossing // d.block_n]
        if filt is None:
            return None
        return matched.peak_snr(fe.band_xyz, 0, onset, min(offset + lay.span, n), filt, lay)

    # Where the detector monitors: still blocks whose neighbours are still (core), and still
    # blocks next to a movement on one side only (edges: twitch-shaped bursts only).
    extra = 0 if gyro_dps is not None else params.gate_no_gyro_extra_blocks
    levels = block_levels(fe.block_still, params.gate_guard_blocks + extra, params.gate_settle_blocks + extra,
                          params.gate_edges)
    level = np.repeat(levels, d.block_n)[:n]

    first = _candidates(*on_off(env, slow, thr, params), d)
    for i, (onset, crossing, offset, on_mask) in enumerate(first):
        if offset is None or not d.min_twitch_n <= offset - onset <= d.max_twitch_n:
            continue
        lowest = int(level[onset:offset].min())
        if lowest == 0:
            continue
        values = np.where(on_mask, fe.band_g[crossing:offset], -1.0)
        k = int(np.argmax(values))
        window, peak_xyz = fe.band_xyz[onset:offset], fe.band_xyz[crossing + k]
        if _tremor_like(fe, first, i, k, float(thr[crossing]), block_weights, d, params):
            continue
        if untwitch_like(window, peak_xyz, params.shape_veto_line_share, params.shape_veto_normal_share):
            continue                                   # moved the skin as no twitch does
        if lowest == EDGE and not twitch_shaped(window, peak_xyz, params.shape_min_normal_share,
                                                params.shape_min_line_share):
            continue                                   # next to a movement: twitch-shaped only
        along_z = shape_shares(window, peak_xyz)[0] >= params.shape_min_normal_share
        ratio = snr(onset, crossing, offset) if params.matched_veto_snr > 0 and along_z else None
        if ratio is not None and ratio < params.matched_veto_snr:
            continue                                   # along z, but not a twitch's waveform
        rule = "edge" if lowest == EDGE else "main"
        out.twitches.append(Twitch(onset, offset, crossing + k, float(values[k]), rule))

    # Second chance (shape.py): bursts that overlap no first-tier candidate at all, found at the
    # lower tier outside dense trains, count if they have a twitch's shape and pass the rhythm
    # test at the tier's own level.
    if params.shape_tier_share > 0:
        taken_on = np.array([a for a, _, _, _ in first], dtype=np.int64)
        taken_off = np.array([n if b is None else b for _, _, b, _ in first], dtype=np.int64)
        second: list[Twitch] = []
        found = _candidates(*on_off(env, slow, thr, params, second=True), d)
        for i, (onset, crossing, offset, on_mask) in enumerate(found):
            if offset is None or not d.min_twitch_n <= offset - onset <= d.max_twitch_n:
                continue
            if level[onset:offset].min() < CORE:
                continue                                       # (not next to a movement)
            if slow[crossing] >= params.train_slow_ratio * thr[crossing]:
                continue                                       # inside a dense train: the main test's rules hold
            j = int(np.searchsorted(taken_on, offset)) - 1     # the last first-tier one begun before the end
            if j >= 0 and taken_off[j] > onset:
                continue
            values = np.where(on_mask, fe.band_g[crossing:offset], -1.0)
            k = int(np.argmax(values))
            peak_xyz = fe.band_xyz[crossing + k]
            if not twitch_shaped(fe.band_xyz[onset:offset], peak_xyz, params.shape_min_normal_share,
                                 params.shape_min_line_share):
                continue
            if _tremor_like(fe, found, i, k, params.shape_tier_share * float(thr[crossing]), block_weights, d, params):
                continue                                       # (at the tier's own level)
            second.append(Twitch(onset, offset, crossing + k, float(values[k]), "second"))
        out.twitches = sorted(out.twitches + second, key=lambda tw: tw.onset)

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

    out.monitored = [Span(a, b) for a, b in _runs(level > 0)]
    return out


def _tremor_like(fe: FrontEnd, cands: list, i: int, k: int, threshold_g: float, block_weights: list[np.ndarray],
                 d: Design, params: DetectorParams) -> bool:
    """The rhythm test for candidate ``i`` of ``cands`` (peak ``k`` samples after its crossing),
    with swings counted past ``rhythm_level`` x ``threshold_g`` (see DetectorParams.rhythm_*)."""
    onset, crossing = cands[i][0], cands[i][1]
    end = min(onset + d.rhythm_n, fe.band_g.size)
    if i + 1 < len(cands):                             # the next twitch is not this one's rhythm
        end = min(end, cands[i + 1][0])
    metric = whitening.metric(block_weights[crossing // d.block_n])
    swings = sign_changes(fe.band_xyz[onset:end], fe.band_xyz[crossing + k], params.rhythm_level * threshold_g,
                          metric, d.rhythm_peak_share)
    return swings > params.rhythm_max_crossings


def _candidates(on: np.ndarray, off: np.ndarray, d: Design) -> list[tuple[int, int, int | None, np.ndarray]]:
    """Hysteresis segments, merged when closer than the refractory time: per candidate its
    onset (where the envelope last left the 'off' zone, at most backtrack_n before the
    crossing), crossing, offset (None if still on at the end) and, from the crossing to the
    offset, where the hysteresis was on (the peak is looked for only there)."""
    merged: list[list] = []
    for onset, offset in _hysteresis_segments(on, off):
        if merged and merged[-1][1] is not None and onset - merged[-1][1] < d.refractory_n:
            merged[-1][1] = offset
        else:
            merged.append([onset, offset])
    last_off = np.maximum.accumulate(np.where(off & ~on, np.arange(on.size), -1))
    out = []
    for crossing, offset in merged:
        onset = max(int(last_off[crossing]) + 1, crossing - d.backtrack_n)
        on_mask = np.zeros(0, dtype=bool)
        if offset is not None:
            on_mask = np.zeros(offset - crossing, dtype=bool)
            for a, b in _hysteresis_runs_within(on, off, crossing, offset):
                on_mask[a - crossing:b - crossing] = True
        out.append((onset, crossing, offset, on_mask))
    return out


def _hysteresis_runs_within(on, off, onset, offset):
    """The on-runs of the hysteresis inside a merged candidate (peaks count only there)."""
    segs = _hysteresis_segments(on[onset:offset], off[onset:offset])
    return [(onset + a, onset + (b if b is not None else offset - onset)) for a, b in segs]
