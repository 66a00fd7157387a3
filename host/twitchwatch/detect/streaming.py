"""The real-time twitch detector: causal, chunk-size invariant, no I/O.

Pipeline per sample: lost samples are held at the last value (and marked); a Butterworth
band-pass (twitch band) per axis, an RMS envelope whitened by the wearer's own background
(whitening.py) and a plain one for the gate's transients (these filters and the gate's input:
front_end.py); hysteresis, refractory merging (candidates.py), minimum/maximum duration, the
rhythm test, the matched filter's veto (matched.py), and a second chance for small bursts shaped
like a twitch (shape.py). Per half-second
block: the envelope quantile (for the adaptive threshold) and stillness (the motion gate),
computed on a gate input that is held around twitch-band transients so that a twitch's own
tilt never counts as movement. A block is monitored when it and its neighbours are still (and,
for twitch-shaped bursts only, when it is still next to a movement on one side: an edge), so a
twitch is reported once the guard blocks after it are complete (about 1.5-2 s later).
``batch.detect`` is the separately written reference.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from dataclasses import dataclass

import numpy as np

from .calibration import Calibration
from .candidates import Candidate, CandidateFinder
from .events import DetectorOutput, Episode, Span, Twitch
from .front_end import StreamingFrontEnd, hold
from .shape import shape_shares, twitch_shaped, untwitch_like
from . import matched, whitening
from .params import (CORE, EDGE, DetectorParams, block_still, design, detector_info, envelope_quantile, lost_rows,
                     sign_changes, threshold_from_baseline, threshold_from_sorted)


@dataclass
class Trace:
    """Per-sample internals of one ``process`` call, for live plotting."""

    first_index: int
    band_g: np.ndarray          # band-passed acceleration magnitude
    envelope_g: np.ndarray
    threshold_g: np.ndarray
    quiet: np.ndarray           # provisional: no loss or warm-up, and the last complete block was still


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
        self._front = StreamingFrontEnd(self._d, params)   # filters, envelopes, transients, delays
        self._first_good: int | None = None      # index of the first sample that was not lost
        self._last_lost = -1                     # index of the latest lost sample (start counts)
        # Baseline.
        self._baseline: deque[float] = deque(maxlen=params.baseline_blocks)
        if calibration is not None:
            self._baseline.extend([calibration.noise_g] * params.baseline_min_blocks)
        self.threshold_g = threshold_from_baseline(params, self._baseline) or params.threshold_initial_g
        self._sorted = sorted(self._baseline)
        self._whitening = whitening.Memory(params, None if calibration is None else calibration.cov6)
        self._lay = matched.layout(params, self.fs_hz)
        self._matched = matched.Memory(params, matched.template(self._d, self._lay, self.fs_hz))
        # The open (incomplete) block: per-sample inputs of the block statistics.
        self._open: dict[str, np.ndarray] = {}
        # Block stillness and the monitored decision (block k is monitored when blocks
        # k-settle..k+guard are still, or an edge when block k and one side are; decided once
        # block k+guard is complete).
        self._still: list[bool] = []             # still flags of the complete blocks from _still_base on
        self._still_base = 0
        self._mon: list[int] = []                # levels (CORE, EDGE, 0) of blocks [_mon_base, _mon_done)
        self._mon_base = 0
        self._mon_done = 0
        self._spanned = 0                        # blocks already turned into spans
        self._last_still = False
        # Candidates of the main test and of the second chance (shape.py), complete but not yet
        # decided, and the main test's candidates a second-chance one must not overlap.
        self._first = CandidateFinder(self._d, params)
        self._second = CandidateFinder(self._d, params, second=True) if params.shape_tier_share > 0 else None
        self._to_confirm: list[tuple[Candidate, bool]] = []     # (candidate, from the second chance)
        self._taken: deque[tuple[int, int]] = deque()           # (onset, offset) of main-test candidates
        self._span_start: int | None = None
        self._episode: list[Twitch] = []
        self._band_hist = np.zeros((0, 3))       # band-passed samples from _band_base on
        self._band_base = 0

    # ---- public -------------------------------------------------------------------------
    @property
    def is_monitoring(self) -> bool:
        """Whether the newest samples look still (provisional; the final say comes a block later)."""
        return self._last_still and self.samples_seen > self._last_lost + self._d.warmup_n

    @property
    def open_monitored_samples(self) -> int:
        """Samples of the still span decided so far but not yet closed (not yet in any output)."""
        if self._span_start is None:
            return 0
        return min(self._mon_done * self._d.block_n, self.samples_seen) - self._span_start

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
        if accel.shape[0] == 0:
            return DetectorOutput()
        lost = lost_rows(accel)
        if gyro is not None:
            lost |= lost_rows(gyro)
        if self._first_good is None and not lost.all():
            # The first good sample: a new front end starts its filters and delays in steady
            # state on it, as if the lost start had held its value (batch.front_end), so a lost
            # start is no 1 g step.
            j = int(np.argmax(~lost))
            out = self._process(accel[:j], None if gyro is None else gyro[:j], lost[:j])
            self._first_good = j + self.samples_seen
            self._front = StreamingFrontEnd(self._d, self.params)
            rest = self._process(accel[j:], None if gyro is None else gyro[j:], lost[j:])
            out.extend(rest)
            out.trace = _join_traces(out.trace, rest.trace)
            return out
        return self._process(accel, gyro, lost)

    def _process(self, accel: np.ndarray, gyro: np.ndarray | None, lost: np.ndarray) -> DetectorOutput:
        out = DetectorOutput()
        n = accel.shape[0]
        if n == 0:
            return out
        i0 = self.samples_seen
        accel, self._hold_a = hold(accel, lost, self._hold_a)
        if gyro is not None:
            gyro, self._hold_g = hold(gyro, lost, self._hold_g)
        idx = np.arange(i0, i0 + n)
        fe = self._front.process(idx, accel, gyro)
        self._band_hist = np.concatenate((self._band_hist, fe.band_xyz))   # for the rhythm test

        # Lost samples and the warm-up after them (and after the start).
        last_lost = np.maximum.accumulate(np.where(lost, idx, self._last_lost))
        self._last_lost = int(last_lost[-1])
        lostwarm = idx <= last_lost + self._d.warmup_n

        env, slow, thr, quiet, segments = self._blocks(fe.late_band, fe.power_fast, fe.power_slow, fe.covered,
                                                       fe.low, fe.gyro_late, fe.gyro_covered, lostwarm)
        self.samples_seen = i0 + n
        self._complete(self._first.feed(i0, fe.band_g, env, slow, thr, segments), second=False)
        if self._second is not None:
            self._complete(self._second.feed(i0, fe.band_g, env, slow, thr, segments), second=True)
        self._decide(out, final=False)
        if self.keep_trace:
            out.trace = Trace(i0, fe.band_g, env, thr, quiet)
        return out

    def finish(self) -> DetectorOutput:
        """Close the stream: decide everything still pending (the last, partial block included)."""
        out = DetectorOutput()
        done, rising = self._first.close()    # a twitch still rising at the end is incomplete,
        self._complete(done, second=False)
        if rising is not None:                # ... but a second-chance one must not overlap it
            self._taken.append((rising.onset, self.samples_seen))
        if self._second is not None:
            self._complete(self._second.close()[0], second=True)
        if self._open and self._open["env"].size:
            o = self._open
            still = block_still(o["low"][None], None if o["gyro"] is None else o["gyro"][None], o["gcov"][None],
                                o["lw"][None], self.params)
            self._still.append(bool(still[0]))
            self._open = {}
        self._decide(out, final=True)
        return out

    # ---- stages -------------------------------------------------------------------------
    def _blocks(self, band_xyz, power_fast, power_slow, covered, low, gyro, gyro_covered, lostwarm):
        """Complete blocks: stillness (gate), whitening and baseline. Returns the whitened fast
        and slow envelopes, the per-sample threshold in force and the provisional per-sample
        'quiet' flag for live display."""
        block_n = self._d.block_n
        parts = {"band": band_xyz, "cov": covered, "low": low, "gyro": gyro, "gcov": gyro_covered, "lw": lostwarm}
        open_env = np.zeros(0)
        if self._open:
            open_env = self._open["env"]
            parts = {k: (None if v is None else np.concatenate((self._open[k], v))) for k, v in parts.items()}
        n = lostwarm.size
        fill = open_env.size
        k = (fill + n) // block_n                   # blocks completed in this chunk
        m = k * block_n
        ends = [(j + 1) * block_n - fill for j in range(k)]   # chunk-relative ends of the blocks
        still = np.zeros(0, dtype=bool)
        if k:
            def shaped(x):
                return None if x is None else x[:m].reshape((k, block_n) + x.shape[1:])
            still = block_still(shaped(parts["low"]), shaped(parts["gyro"]), shaped(parts["gcov"]),
                                shaped(parts["lw"]), self.params)
            cov, cov_ok = whitening.block_covariance(shaped(parts["band"]), shaped(parts["cov"]), self.params)
        # Whitening and matched filter in force during each block (they learn from the complete
        # still blocks before).
        accepted = np.flatnonzero(still & cov_ok) if k else np.zeros(0, dtype=int)
        if accepted.size:
            lagged, anchors = matched.block_lagged(shaped(parts["band"])[accepted], shaped(parts["cov"])[accepted],
                                                   self._lay)
        weights, w = [], self._whitening.weights
        filters, f = [], self._matched.filter
        learned = iter(self._whitening.learn(cov[accepted]) if accepted.size else [])
        q = 0                                       # accepted blocks learned so far
        learns = np.zeros(k, dtype=bool)
        learns[accepted] = True
        for j in range(k):
            weights.append(w)
            filters.append(f)
            if learns[j]:
                w = next(learned)
                f = self._matched.learn(lagged[q], int(anchors[q]))
                q += 1
        # (chunk-relative start, whitening weights and matched filter in force from there)
        segments = list(zip([0] + ends, weights + [w], filters + [f]))
        lengths = np.diff([0] + ends + [n])
        rows = np.repeat(np.array([sw for _, sw, _ in segments]), lengths, axis=0)
        env = whitening.envelope_rows(power_fast, rows)
        slow = whitening.envelope_rows(power_slow, rows)
        # Baseline and threshold, block by block.
        thr = np.empty(n)
        quiet = ~lostwarm
        both_env = np.concatenate((open_env, env))
        values = envelope_quantile(both_env[:m].reshape(k, block_n), self.params) if k else []
        pos = 0
        for j in range(k):
            thr[pos:ends[j]] = self.threshold_g
            quiet[pos:ends[j]] &= self._last_still
            pos = ends[j]
            self._last_still = bool(still[j])
            if still[j]:
                self._remember(float(values[j]))
        self._still.extend(bool(v) for v in still)
        thr[pos:] = self.threshold_g
        quiet[pos:] &= self._last_still
        self._open = {key: (None if v is None else v[m:].copy()) for key, v in parts.items()}
        self._open["env"] = both_env[m:].copy()
        return env, slow, thr, quiet, segments

    def _remember(self, value: float) -> None:
        """Add a still block's envelope quantile to the baseline and update the threshold. The
        baseline is also kept sorted (insert and remove, not a sort per block)."""
        if len(self._baseline) == self._baseline.maxlen:
            del self._sorted[bisect_left(self._sorted, self._baseline[0])]
        self._baseline.append(value)
        insort(self._sorted, value)
        if len(self._sorted) >= self.params.baseline_min_blocks:
            self.threshold_g = threshold_from_sorted(self.params, self._sorted)

    def _complete(self, cands: list[Candidate], second: bool) -> None:
        """Queue complete candidates of a plausible length for the decision; remember the main
        test's (all of them) for the second chance's overlap test."""
        for cand in cands:
            assert cand.offset is not None
            if not second:
                self._taken.append((cand.onset, cand.offset))
            if second and cand.in_train:
                continue                     # inside a dense train the main test's rules hold
            if self._d.min_twitch_n <= cand.offset - cand.onset <= self._d.max_twitch_n:
                insort(self._to_confirm, (cand, second), key=lambda item: item[0].onset)

    def _decide(self, out: DetectorOutput, final: bool) -> None:
        """Decide monitored blocks, then confirm twitches and emit spans up to that frontier."""
        d = self._d
        extra = 0 if self._has_gyro else self.params.gate_no_gyro_extra_blocks
        guard, settle = self.params.gate_guard_blocks + extra, self.params.gate_settle_blocks + extra
        known = self._still_base + len(self._still)          # blocks whose stillness is known
        upto = known if final else max(known - guard, 0)     # blocks that can be decided now
        for blk in range(self._mon_done, upto):
            here = blk - self._still_base
            before = all(self._still[max(blk - settle, 0) - self._still_base:here])
            after = all(self._still[here + 1:min(blk + guard + 1, known) - self._still_base])
            level = 0
            if self._still[here] and before and after:
                level = CORE
            elif self._still[here] and self.params.gate_edges and (before or after):
                level = EDGE
            self._mon.append(level)
        self._mon_done = max(self._mon_done, upto)
        frontier = self.samples_seen if final else min(upto * d.block_n, self.samples_seen)

        # In onset order: a candidate waits for any earlier one (of either test) still undecided.
        opened = [f.open.onset for f in (self._first, self._second) if f is not None and f.open is not None]
        barrier = min(opened, default=self.samples_seen + 1)
        decided = 0
        for cand, second in self._to_confirm:
            assert cand.offset is not None
            if cand.onset >= barrier or cand.offset > frontier or not (final or self._knowable(cand, second)):
                break
            decided += 1
            first, last = cand.onset // d.block_n, (cand.offset - 1) // d.block_n
            assert first >= self._mon_base and cand.onset >= self._band_base
            lowest = min(self._mon[first - self._mon_base:last + 1 - self._mon_base])
            if lowest == 0 or (second and lowest < CORE):
                continue                     # unmonitored; or a second chance next to a movement
            if second:
                counts = self._second_chance(cand)
            else:                            # next to a movement only twitch-shaped bursts count
                counts = (self._steady(cand) and not self._vetoed(cand)
                          and (lowest == CORE or self._shaped(cand)) and not self._unmatched(cand))
            if counts:
                rule = "second" if second else ("main" if lowest == CORE else "edge")
                self._add_twitch(out, Twitch(cand.onset, cand.offset, cand.peak, cand.peak_g, rule))
        del self._to_confirm[:decided]
        ep = self._episode
        if ep and (final or frontier > ep[-1].offset + d.episode_gap_n + d.max_twitch_n + d.refractory_n):
            self._close_episode(out)

        # Monitored spans over the newly decided blocks.
        for blk in range(self._spanned, self._mon_done):
            if self._mon[blk - self._mon_base] > 0:
                if self._span_start is None:
                    self._span_start = blk * d.block_n
            elif self._span_start is not None:
                out.monitored.append(Span(self._span_start, blk * d.block_n))
                self._span_start = None
        self._spanned = self._mon_done
        if final and self._span_start is not None:
            out.monitored.append(Span(self._span_start, min(self._mon_done * d.block_n, self.samples_seen)))
            self._span_start = None

        # Forget flags no pending decision can read.
        pending = [c.onset for c, _ in self._to_confirm] + opened
        band_from = min([self.samples_seen - d.backtrack_n] + pending) - self._lay.span   # (the filter looks back)
        while self._taken and self._taken[0][1] <= band_from:
            self._taken.popleft()
        if band_from > self._band_base:
            self._band_hist = self._band_hist[band_from - self._band_base:]
            self._band_base = band_from
        earliest = [self._mon_done, (self.samples_seen - d.backtrack_n) // d.block_n]
        mon_from = min(earliest + [p // d.block_n for p in pending])
        drop = max(mon_from - self._mon_base, 0)
        if drop:
            del self._mon[:drop]
            self._mon_base += drop
        still_from = max(self._mon_done - settle, 0)
        drop = max(still_from - self._still_base, 0)
        if drop:
            del self._still[:drop]
            self._still_base += drop

    def _knowable(self, cand: Candidate, second: bool) -> bool:
        """Whether the samples a decision reads have all arrived: the rhythm test's window, for
        the main test the matched filter's windows, and for the second chance every main-test
        candidate that could overlap (a later one's onset lies at most backtrack_n before its
        crossing; the one under way must have ended before it)."""
        assert cand.offset is not None
        if not second:
            return max(cand.onset + self._d.rhythm_n, cand.offset + self._lay.span) <= self.samples_seen
        if max(cand.offset + self._d.backtrack_n, cand.onset + self._d.rhythm_n) > self.samples_seen:
            return False
        o = self._first.open
        return o is None or o.onset >= cand.offset or o.offset is None or o.offset > cand.onset

    def _second_chance(self, cand: Candidate) -> bool:
        """A second-chance candidate counts if no main-test candidate overlaps it, it has a
        twitch's shape (shape.py) and it passes the rhythm test (at the tier's level)."""
        assert cand.offset is not None
        spans = list(self._taken)
        o = self._first.open
        if o is not None:                   # under way: it lasts at least until now
            spans.append((o.onset, self.samples_seen if o.offset is None else o.offset))
        if any(a < cand.offset and cand.onset < b for a, b in spans):
            return False
        return self._shaped(cand) and self._steady(cand)

    def _snr(self, cand: Candidate) -> float | None:
        """The matched filter's peak SNR over the candidate (None while the filter is undecided)."""
        assert cand.offset is not None
        if cand.matched is None:
            return None
        stop = min(cand.offset + self._lay.span, self.samples_seen)
        return matched.peak_snr(self._band_hist, self._band_base, cand.onset, stop, cand.matched, self._lay)

    def _unmatched(self, cand: Candidate) -> bool:
        """A main-test candidate along z in which the matched filter finds no twitch's waveform
        (the template is along z: a burst along some other direction is not held to it)."""
        assert cand.offset is not None
        if self.params.matched_veto_snr <= 0:
            return False
        base = self._band_base
        normal, _ = shape_shares(self._band_hist[cand.onset - base:cand.offset - base], self._band_hist[cand.peak - base])
        if normal < self.params.shape_min_normal_share:
            return False
        ratio = self._snr(cand)
        return ratio is not None and ratio < self.params.matched_veto_snr

    def _shaped(self, cand: Candidate) -> bool:
        """Along one line and along z (shape.py): a twitch's shape."""
        assert cand.offset is not None
        base = self._band_base
        return twitch_shaped(self._band_hist[cand.onset - base:cand.offset - base], self._band_hist[cand.peak - base],
                             self.params.shape_min_normal_share, self.params.shape_min_line_share)

    def _vetoed(self, cand: Candidate) -> bool:
        """A main-test candidate that moved the skin as no twitch does (shape.py)."""
        assert cand.offset is not None
        base = self._band_base
        return untwitch_like(self._band_hist[cand.onset - base:cand.offset - base], self._band_hist[cand.peak - base],
                             self.params.shape_veto_line_share, self.params.shape_veto_normal_share)

    def _steady(self, cand: Candidate) -> bool:
        """The rhythm test: not a tremor-like oscillation (see DetectorParams.rhythm_*)."""
        base = self._band_base
        end = min(cand.onset + self._d.rhythm_n, self.samples_seen)
        if cand.next_onset is not None:          # the next twitch is not this one's rhythm
            end = min(end, cand.next_onset)
        window = self._band_hist[cand.onset - base:end - base]
        level = self.params.rhythm_level * cand.threshold_g
        metric = whitening.metric(cand.weights)
        return (sign_changes(window, self._band_hist[cand.peak - base], level, metric, self._d.rhythm_peak_share)
                <= self.params.rhythm_max_crossings)

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


def _join_traces(a: Trace | None, b: Trace | None) -> Trace | None:
    """The trace of two consecutive pieces of one chunk."""
    if a is None or b is None:
        return b if a is None else a
    return Trace(a.first_index, *(np.concatenate((getattr(a, f), getattr(b, f)))
                                  for f in ("band_g", "envelope_g", "threshold_g", "quiet")))

