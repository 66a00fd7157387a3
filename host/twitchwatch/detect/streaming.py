"""The real-time twitch detector: causal, chunk-size invariant, no I/O.

Pipeline per sample: lost samples are held at the last value (and marked); a Butterworth
band-pass (twitch band) per axis, vector magnitude, RMS envelope; a motion gate on low-frequency
rotation and tilt; an adaptive threshold from recent still blocks; hysteresis, refractory
merging, minimum/maximum duration. A twitch is only reported once ``decision_delay`` has passed
without sustained movement around it, so the gate can veto by *sustained* movement rather than
by the twitch's own brief tilt. ``batch.detect`` is the separately written reference.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from scipy import signal

from .calibration import Calibration
from .chunkfilter import ChunkFilter
from .events import DetectorOutput, Episode, Span, Twitch
from .params import DetectorParams, design, detector_info, magnitude, on_off, threshold_from_baseline


@dataclass
class Trace:
    """Per-sample internals of one ``process`` call, for live plotting."""

    first_index: int
    band_g: np.ndarray          # band-passed acceleration magnitude
    envelope_g: np.ndarray
    threshold_g: np.ndarray
    quiet: np.ndarray           # True where no movement, loss or warm-up was seen


@dataclass
class _Candidate:
    onset: int
    offset: int | None          # None while the envelope is still above the release level
    peak: int
    peak_g: float


class TwitchDetector:
    """Streaming twitch detector. ``process(accel_g, gyro_dps)`` takes the next samples,
    ``finish()`` closes the stream. Both return a :class:`DetectorOutput` holding what was
    completed; concatenating all outputs equals ``batch.detect`` on the whole recording."""

    def __init__(self, fs_hz: float, params: DetectorParams = DetectorParams(),
                 calibration: Calibration | None = None, keep_trace: bool = False) -> None:
        self.fs_hz = float(fs_hz)
        self.params = params
        self.calibration = calibration
        self.keep_trace = keep_trace
        self._d = design(params, self.fs_hz)
        self.samples_seen = 0
        self._has_gyro: bool | None = None
        self._hold_a = np.zeros(3)
        self._hold_g = np.zeros(3)
        self._filters: dict[str, ChunkFilter] | None = None
        self._last_lost = -1                     # index of the latest lost sample (start counts)
        # Baseline blocks.
        self._baseline: deque[float] = deque(maxlen=params.baseline_blocks)
        if calibration is not None:
            self._baseline.extend([calibration.noise_g] * params.baseline_min_blocks)
        self.threshold_g = threshold_from_baseline(params, self._baseline) or params.threshold_initial_g
        self._blk_env = np.empty(self._d.block_n)
        self._blk_fill = 0
        self._blk_quiet = True
        # Hysteresis and candidates.
        self._on = False
        self._cand: _Candidate | None = None
        self._to_confirm: list[_Candidate] = []
        # Motion gate: a raw movement run in progress, and the per-sample 'bad' mask kept for
        # the undecided tail [bad_start, samples_seen).
        self._run_start: int | None = None
        self._bad_until = 0
        self._bad = np.zeros(0, dtype=bool)
        self._bad_start = 0
        self._decided = 0
        self._span_start: int | None = None
        self._episode: list[Twitch] = []

    # ---- public -------------------------------------------------------------------------
    @property
    def is_monitoring(self) -> bool:
        """Whether the newest samples look still (instantaneous; the final say is delayed)."""
        return self._run_start is None and self.samples_seen >= self._bad_until and \
            self.samples_seen > self._last_lost + self._d.warmup_n

    @property
    def open_monitored_samples(self) -> int:
        """Samples of the still span decided so far but not yet closed (not yet in any output)."""
        return 0 if self._span_start is None else self._decided - self._span_start

    def params_dict(self) -> dict:
        return detector_info(self.params)

    def process(self, accel_g: np.ndarray, gyro_dps: np.ndarray | None = None) -> DetectorOutput:
        accel = np.asarray(accel_g, dtype=np.float64).reshape(-1, 3)
        gyro = None if gyro_dps is None else np.asarray(gyro_dps, dtype=np.float64).reshape(-1, 3)
        if self._has_gyro is None:
            self._has_gyro = gyro is not None
        elif self._has_gyro != (gyro is not None):
            raise ValueError("gyro_dps must be given in every chunk or in none")
        if gyro is not None and gyro.shape != accel.shape:
            raise ValueError(f"gyro_dps shape {gyro.shape} differs from accel_g shape {accel.shape}")
        out = DetectorOutput()
        n = accel.shape[0]
        if n == 0:
            return out
        i0 = self.samples_seen
        lost = ~np.isfinite(accel).all(axis=1)
        if gyro is not None:
            lost |= ~np.isfinite(gyro).all(axis=1)
        accel, self._hold_a = _hold(accel, lost, self._hold_a)
        if gyro is not None:
            gyro, self._hold_g = _hold(gyro, lost, self._hold_g)
        band_g, env, slow, moving = self._front_end(accel, gyro)

        # Lost samples and the warm-up after them (and after the start).
        idx = np.arange(i0, i0 + n)
        last_lost = np.maximum.accumulate(np.where(lost, idx, self._last_lost))
        self._last_lost = int(last_lost[-1])
        lostwarm = idx <= last_lost + self._d.warmup_n
        quiet = ~moving & ~lostwarm

        thr = self._thresholds(env, quiet)
        self.samples_seen = i0 + n
        self._mark_bad(idx, lostwarm, moving)
        self._find_candidates(i0, band_g, env, slow, thr)
        self._decide(out, final=False)
        if self.keep_trace:
            out.trace = Trace(i0, band_g, env, thr, quiet)
        return out

    def finish(self) -> DetectorOutput:
        """Close the stream: decide everything still pending."""
        out = DetectorOutput()
        if self._cand is not None and self._cand.offset is not None:
            self._finalize(self._cand)
        self._cand = None                    # a twitch still rising at the end is incomplete
        self._decide(out, final=True)
        return out

    # ---- stages -------------------------------------------------------------------------
    def _front_end(self, accel, gyro):
        d = self._d
        if self._filters is None:
            self._filters = {
                "band": ChunkFilter(d.band_sos, signal.sosfilt_zi(d.band_sos)[:, :, None] * accel[0][None, None, :]),
                "env": ChunkFilter(d.envelope_sos, np.zeros((d.envelope_sos.shape[0], 2))),
                "slow": ChunkFilter(d.slow_sos, np.zeros((d.slow_sos.shape[0], 2))),
                "tilt": ChunkFilter(d.tilt_sos, signal.sosfilt_zi(d.tilt_sos)[:, :, None] * accel[0][None, None, :]),
            }
            if gyro is not None:
                self._filters["gyro"] = ChunkFilter(
                    d.gate_sos, signal.sosfilt_zi(d.gate_sos)[:, :, None] * gyro[0][None, None, :])
            self._tilt_hist = np.full((d.tilt_lag_n, 3), np.nan)   # no comparison before lag
        f = self._filters
        band_g = magnitude(f["band"](accel))
        power = band_g * band_g
        env = np.sqrt(np.maximum(f["env"](power), 0.0))
        slow = np.sqrt(np.maximum(f["slow"](power), 0.0))
        both = np.concatenate((self._tilt_hist, f["tilt"](accel)))
        with np.errstate(invalid="ignore"):
            moving = magnitude(both[d.tilt_lag_n:] - both[:-d.tilt_lag_n]) > self.params.gate_tilt_g
        self._tilt_hist = both[-d.tilt_lag_n:]
        if gyro is not None:
            moving |= magnitude(f["gyro"](gyro)) > self.params.gate_gyro_dps
        return band_g, env, slow, moving

    def _thresholds(self, env: np.ndarray, quiet: np.ndarray) -> np.ndarray:
        """Per-sample threshold; a completed still block updates it for the samples after it."""
        n, block_n, fill = env.size, self._d.block_n, self._blk_fill
        first_end = block_n - fill                 # samples that complete the open block
        if n < first_end:
            self._blk_env[fill:fill + n] = env
            self._blk_quiet = self._blk_quiet and bool(quiet.all())
            self._blk_fill += n
            return np.full(n, self.threshold_g)
        k = 1 + (n - first_end) // block_n         # blocks completed in this chunk
        stop = first_end + (k - 1) * block_n
        # Quantiles of all completed blocks in one call (long chunks complete thousands).
        blocks = np.empty((k, block_n))
        blocks[0, :fill] = self._blk_env[:fill]
        blocks[0, fill:] = env[:first_end]
        blocks[1:] = env[first_end:stop].reshape(k - 1, block_n)
        values = np.quantile(blocks, self.params.baseline_quantile, axis=1)
        still = np.empty(k, dtype=bool)
        still[0] = self._blk_quiet and bool(quiet[:first_end].all())
        still[1:] = quiet[first_end:stop].reshape(k - 1, block_n).all(axis=1)
        thr = np.empty(n)
        pos = 0
        for j in range(k):
            end = first_end + j * block_n
            thr[pos:end] = self.threshold_g
            pos = end
            if still[j]:
                self._baseline.append(float(values[j]))
                new = threshold_from_baseline(self.params, self._baseline)
                if new is not None:
                    self.threshold_g = new
        thr[pos:] = self.threshold_g
        rest = n - pos
        self._blk_env[:rest] = env[pos:]
        self._blk_quiet = bool(quiet[pos:].all())
        self._blk_fill = rest
        return thr

    def _mark_bad(self, idx: np.ndarray, lostwarm: np.ndarray, moving: np.ndarray) -> None:
        """Extend the undecided 'bad' mask: loss, warm-up, and sustained movement with guards."""
        d = self._d
        i0 = int(idx[0])
        self._bad = np.concatenate((self._bad, lostwarm | (idx < self._bad_until)))
        carried = self._run_start
        self._run_start = None
        for a, b in _runs(moving, carried is not None):
            start = carried if a < 0 else i0 + a
            assert start is not None
            end = self.samples_seen if b is None else i0 + b
            if end - start >= d.min_move_n:            # sustained: voluntary movement
                lo = max(start - d.guard_before_n, self._bad_start)
                self._bad[lo - self._bad_start:end - self._bad_start] = True
                if b is not None:
                    self._bad_until = max(self._bad_until, end + d.guard_after_n)
                    self._bad[end - self._bad_start:min(self._bad_until, self.samples_seen) - self._bad_start] = True
            if b is None:
                self._run_start = start

    def _find_candidates(self, i0: int, band_g: np.ndarray, env: np.ndarray, slow: np.ndarray,
                         thr: np.ndarray) -> None:
        """Hysteresis on the envelope, then refractory merging into candidate twitches."""
        n = env.size
        on_mask, off_mask = on_off(env, slow, thr, self.params)
        code = np.where(on_mask, 1, np.where(off_mask, 0, -1))
        last = np.maximum.accumulate(np.where(code >= 0, np.arange(n), -1))
        on = np.where(last >= 0, code[np.maximum(last, 0)] == 1, self._on)
        carried = self._on
        self._on = bool(on[-1])
        for a, b in _runs(on, carried):
            cand = self._cand
            if a >= 0:                                   # an on-run starts in this chunk
                onset = i0 + a
                if cand is not None and cand.offset is not None and onset - cand.offset < self._d.refractory_n:
                    cand.offset = None                   # a re-crossing: same twitch
                else:
                    if cand is not None and cand.offset is not None:
                        self._finalize(cand)
                    cand = self._cand = _Candidate(onset, None, onset, -1.0)
            assert cand is not None
            lo, stop = max(a, 0), (n if b is None else b)
            if stop > lo:
                k = lo + int(np.argmax(band_g[lo:stop]))
                if band_g[k] > cand.peak_g:
                    cand.peak, cand.peak_g = i0 + k, float(band_g[k])
            if b is not None:
                cand.offset = i0 + b
        cand = self._cand
        if cand is not None and cand.offset is not None and self.samples_seen >= cand.offset + self._d.refractory_n:
            self._finalize(cand)
            self._cand = None

    def _finalize(self, cand: _Candidate) -> None:
        assert cand.offset is not None
        length = cand.offset - cand.onset
        if self._d.min_twitch_n <= length <= self._d.max_twitch_n:
            self._to_confirm.append(cand)

    def _decide(self, out: DetectorOutput, final: bool) -> None:
        """Confirm twitches and emit monitored spans up to the decision frontier."""
        d = self._d
        frontier = self.samples_seen if final else max(self.samples_seen - d.decision_delay_n, 0)
        keep = []
        for cand in self._to_confirm:
            assert cand.offset is not None
            if cand.offset > frontier:
                keep.append(cand)
                continue
            lo = cand.onset - self._bad_start
            if lo >= 0 and not self._bad[lo:cand.offset - self._bad_start].any():
                self._add_twitch(out, Twitch(cand.onset, cand.offset, cand.peak, cand.peak_g))
        self._to_confirm = keep
        ep = self._episode
        if ep and (final or frontier > ep[-1].offset + d.episode_gap_n + d.max_twitch_n + d.refractory_n):
            self._close_episode(out)
        # Monitored spans over [decided, frontier).
        if frontier > self._decided:
            good = ~self._bad[self._decided - self._bad_start:frontier - self._bad_start]
            carried = self._span_start
            self._span_start = None
            for a, b in _runs(good, carried is not None):
                start = carried if a < 0 else self._decided + a
                assert start is not None
                if b is None:
                    self._span_start = start
                else:
                    out.monitored.append(Span(start, self._decided + b))
            self._decided = frontier
        if final and self._span_start is not None:
            out.monitored.append(Span(self._span_start, self.samples_seen))
            self._span_start = None
        # Keep only the tail of the mask that a pending decision may still read.
        pending = [c.onset for c in self._to_confirm] + ([self._cand.onset] if self._cand else [])
        keep_from = min([frontier - d.max_twitch_n - d.refractory_n - 2] + pending)
        keep_from = max(self._bad_start, keep_from)
        self._bad = self._bad[keep_from - self._bad_start:]
        self._bad_start = keep_from

    def _add_twitch(self, out: DetectorOutput, tw: Twitch) -> None:
        out.twitches.append(tw)
        ep = self._episode
        if ep and tw.onset - ep[-1].offset > self._d.episode_gap_n:
            self._close_episode(out)
        self._episode.append(tw)

    def _close_episode(self, out: DetectorOutput) -> None:
        ep = self._episode
        if len(ep) >= self.params.episode_min_twitches:
            out.episodes.append(Episode(ep[0].onset, ep[-1].offset, tuple(t.onset for t in ep),
                                        max(t.peak_g for t in ep)))
        self._episode = []


def _runs(flags: np.ndarray, carried: bool) -> list[tuple[int, int | None]]:
    """Runs of True in ``flags`` as chunk-relative ``(start, end)`` pairs. ``start`` is -1 for
    a run carried in from the previous chunk, ``end`` is None for a run still open at the end."""
    edges = np.flatnonzero(np.diff(np.concatenate(([carried], flags, [False])).astype(np.int8)))
    if carried:
        edges = np.concatenate(([-1], edges))
    n = flags.size
    return [(int(a), None if b == n else int(b)) for a, b in zip(edges[::2], edges[1::2])]


def _hold(x: np.ndarray, lost: np.ndarray, hold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Replace lost rows by the last good row (``hold`` carries it across chunks)."""
    if not lost.any():
        return x, x[-1].copy()
    idx = np.where(~lost, np.arange(lost.size), -1)
    last = np.maximum.accumulate(idx)
    filled = np.where((last >= 0)[:, None], x[np.maximum(last, 0)], hold[None, :])
    return filled, filled[-1].copy()
