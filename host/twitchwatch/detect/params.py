"""Detector parameters, the filter designs they imply, and the detector version.

Every count twitchwatch shows or stores carries ``DETECTOR_VERSION`` and the parameters, so a
result can always be reproduced (``twitchwatch reanalyze``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
from scipy import signal

from ..errors import ConfigError

DETECTOR_VERSION = "2.5.1"

# How closely a half-second block is monitored (the motion gate, DetectorParams.gate_*): CORE,
# fully; EDGE, next to a movement on one side, for twitch-shaped bursts only; 0, not at all.
CORE, EDGE = 2, 1


@dataclass(frozen=True)
class DetectorParams:
    """Parameters of the twitch detector. Defaults follow science.md section 5."""

    # Twitch band: a 35-80 ms contraction puts its skin acceleration mostly at 3-25 Hz; above that
    # a wrist or hand background (tremor harmonics, tendons, sensor noise) is all that remains.
    band_hz: tuple[float, float] = (3.0, 25.0)
    band_order: int = 4
    envelope_hz: float = 8.0            # low-pass of the squared magnitude (~20 ms RMS)
    # Whitening (whitening.py): the envelope is sqrt(x' M x), M the inverse of the wearer's own
    # twitch-band background covariance over recent still blocks (samples near transients left
    # out; a block counts if whiten_min_free of it is free of them), its total power kept.
    whiten_strength: float = 1.0        # 0: plain magnitude, 1: full whitening
    whiten_floor: float = 0.1           # background eigenvalues are raised to this share of their mean
    whiten_min_free: float = 0.5
    whiten_every_blocks: int = 2        # weights recomputed after every 2nd block learned (1 s)
    # Adaptive threshold: factor x the median, over recent still one-second blocks, of each
    # block's envelope quantile (a high quantile tracks the heavy tails of real backgrounds).
    baseline_quantile: float = 0.9
    threshold_factor: float = 2.5
    threshold_floor_g: float = 0.005    # about 5 sigma of an LSM6DSx's own noise in this band
    threshold_initial_g: float = 0.012  # until enough still time has been seen (or a calibration)
    release_ratio: float = 0.5          # hysteresis: a twitch ends below this share of the threshold
    # Twitches in a fused train never let the envelope fall below the threshold. A slow envelope
    # follows the train; a twitch starts when the fast one rises above rise_ratio x the slow one
    # and ends when it falls below fall_ratio x the slow one, so each twitch counts once.
    slow_envelope_hz: float = 2.0
    rise_ratio: float = 1.5
    fall_ratio: float = 0.8
    # Inside a dense train (slow envelope over train_slow_ratio x the threshold) the slow envelope
    # is the train's own mean, so the next twitch of a partly fused train rises only 1.2-1.4x above
    # it: there a twitch starts at train_rise_ratio x the slow envelope. (The refractory time is
    # short enough for twitches 0.2 s apart.)
    train_rise_ratio: float = 1.3
    train_slow_ratio: float = 2.0
    min_twitch_s: float = 0.02
    max_twitch_s: float = 1.0
    refractory_s: float = 0.06          # re-crossings closer than this belong to the same twitch
    onset_backtrack_s: float = 0.1      # onset: where the envelope left the 'off' zone, at most this early
    # Rhythm test: a twitch is one contraction and relaxation, so its acceleration along its own
    # direction changes sign only a few times; a burst of tremor-like oscillation (the commonest
    # false twitch in still wrist recordings) keeps changing sign. Candidates whose band-passed
    # acceleration, projected on its direction at the peak, changes sign more than
    # rhythm_max_crossings times in the rhythm_window_s after onset are not counted.
    rhythm_window_s: float = 0.3
    rhythm_max_crossings: int = 5
    rhythm_level: float = 0.2           # swings count beyond this share of the threshold
    # Below rhythm_peak_share_below_hz the sensor's Nyquist frequency lies inside a twitch's own
    # spectrum, so part of a large twitch folds back into the band as fast ringing that swings
    # past a threshold-relative level many times (at 52 Hz a quarter of 60-150 mg model twitches
    # failed the test). There swings count only beyond rhythm_peak_share of the twitch's peak too.
    rhythm_peak_share: float = 0.1
    rhythm_peak_share_below_hz: float = 80.0
    # Shape (since 2.3, shape.py): a twitch moves the skin along one line, close to the skin
    # normal (the sensor's z axis). Second chance: a burst the main test did not take at all,
    # found again at a lower threshold (shape_tier_share x the threshold, rise over
    # shape_tier_rise_ratio x the slow envelope), counts if it has that shape: shape_min_line_share
    # of its band energy along its main direction and shape_min_normal_share of its peak along z.
    # shape_tier_share 0 turns it off.
    shape_tier_share: float = 0.68
    shape_tier_rise_ratio: float = 1.2
    shape_min_normal_share: float = 0.6
    shape_min_line_share: float = 0.95
    # ... and the other way round: a burst the main test took does not count if it moved the skin
    # neither along one line (under shape_veto_line_share of its energy) nor along z (under
    # shape_veto_normal_share of its peak). shape_veto_line_share 0 turns it off.
    shape_veto_line_share: float = 0.9
    shape_veto_normal_share: float = 0.5
    # Matched filter (since 2.5, matched.py): the signal-to-noise ratio, against the wearer's own
    # still-time background (in units of its sigma), of the model twitch's waveform along z
    # (matched_taps taps over about matched_window_s) at its best fit in a burst. A burst the main
    # test took does not count if its ratio stays under matched_veto_snr (0: off): its size came
    # from some other waveform than a twitch's. The filter learns from the same still blocks as
    # whitening; it is undecided (no veto) until matched_min_blocks of them exist, then solved,
    # and re-solved after every matched_every_blocks-th block learned (40 s of still time: the
    # covariance is over the last 2 min, and solving it is much of the filter's cost).
    matched_veto_snr: float = 8.0
    matched_taps: int = 20
    matched_window_s: float = 0.19
    matched_ridge: float = 1e-3         # added to the covariance's diagonal, as a share of its mean
    matched_min_blocks: int = 10
    matched_every_blocks: int = 80
    # Half-second blocks (since 2.1): a brief movement stands out in its block instead of being
    # averaged over a second, and monitoring stops and resumes closer to a movement.
    block_s: float = 0.5                # the unit of stillness and of the baseline
    baseline_blocks: int = 240          # still blocks remembered for the baseline (2 min)
    baseline_min_blocks: int = 10
    # Motion gate, per block (science.md section 5): a block is still when its 0.2-3 Hz
    # acceleration varies by under 5 mg (SD, vector norm of the axes) and its rotation rate by
    # under 3 deg/s (SD about the block's own mean, so the gyro's zero-rate offset drops out).
    # Blocks whose neighbours are still too are monitored (and edges: see gate_edges). A twitch's
    # own tilt and rotation are hidden from the gate: around each twitch-band transient the gate's
    # input is held at its value from just before (mask_*), so a twitch, or an episode of them,
    # never unmonitors itself.
    gate_low_band_hz: tuple[float, float] = (0.2, 3.0)
    gate_accel_sd_g: float = 0.005
    gate_gyro_sd_dps: float = 3.0
    gate_smooth_hz: float = 2.0         # the held value is smoothed, so it is not one noisy sample
    gate_guard_blocks: int = 3          # still blocks needed after a monitored one (before movement)
    gate_settle_blocks: int = 4         # ... and before it (after movement: hands settle slowly)
    # Edges (since 2.4): a still block that lacks the still blocks on one side only (the settle
    # blocks after a movement, or the guard blocks before one) is monitored too, but there a burst
    # counts only if it also has a twitch's shape (shape_min_normal_share, shape_min_line_share):
    # a hand settling or getting ready makes twitch-sized bursts, and few of them move the skin
    # along one line near z. A still block between two movements closer than guard and settle
    # together stays unmonitored. False: edges are not monitored (as before 2.4).
    gate_edges: bool = True
    # Without a gyroscope the gate sees a turn of the hand only through gravity's tilt, so it
    # waits this many more blocks on each side of a movement.
    gate_no_gyro_extra_blocks: int = 1
    mask_floor_g: float = 0.005         # a transient: envelope over this and over mask_ratio x slow
    mask_ratio: float = 1.5
    # ... or over train_rise_ratio x slow within mask_chain_s of the previous transient: the later
    # twitches of a dense train, whose tilt would otherwise unmonitor the train (0: off).
    mask_chain_s: float = 0.3
    # Near a transient the gyro test sees only rotation below mask_gyro_slow_hz (a hand that
    # turns), not a twitch's quick tilt and return. Near a transient of the first kind the gyro
    # is left out altogether, unless that would leave under gate_gyro_min_seen of a block: a
    # dense run of transients (tapping, typing) must not blind the gate.
    mask_gyro_slow_hz: float = 0.6
    gate_gyro_min_seen: float = 0.1
    mask_delay_s: float = 0.1           # the gate looks this far behind, to hold before the rise
    mask_hang_s: float = 0.4            # ... and keeps holding this long after (a relaxation lasts <= 0.3 s)
    mask_gyro_hang_s: float = 0.6       # the rotation of a large twitch dies away more slowly
    warmup_s: float = 1.0               # filters settle after the start and after lost samples
    episode_gap_s: float = 1.5
    # An episode is a run of twitching (science.md: 3-5 s of them, about 0.5 s apart), so it needs
    # three twitches; two within episode_gap_s are two isolated twitches (since 2.4; was 2).
    episode_min_twitches: int = 3

    def validate(self, fs_hz: float) -> None:
        """Raise ConfigError if a value is out of range for this sample rate."""
        self._check_types()
        # Below about 50 Hz the twitch band is cut short (its top is 0.45 x the rate); 25 Hz still
        # holds a 35-80 ms contraction's main lobe, so such files are analysed, not refused.
        if not 25.0 <= fs_hz <= 2000.0:
            raise ConfigError(f"sample rate {fs_hz} Hz is outside 25–2000 Hz; record at 104, 208 or 416 Hz")
        lo, hi = self.band_hz
        if not 0.5 <= lo < hi:
            raise ConfigError(f"band_hz {self.band_hz} must satisfy 0.5 <= low < high")
        if lo >= 0.45 * fs_hz:
            raise ConfigError(f"band_hz low edge {lo} Hz is too high for {fs_hz} Hz sampling")
        glo, ghi = self.gate_low_band_hz
        if not 0.01 <= glo < ghi <= lo:
            raise ConfigError(f"gate_low_band_hz {self.gate_low_band_hz} must lie below the twitch band")
        for name in ("gate_smooth_hz", "mask_gyro_slow_hz"):
            if getattr(self, name) >= 0.45 * fs_hz:
                raise ConfigError(f"{name} {getattr(self, name)} is too high for {fs_hz} Hz sampling")
        positive = ("envelope_hz", "threshold_factor", "threshold_floor_g", "threshold_initial_g",
                    "min_twitch_s", "max_twitch_s", "block_s", "gate_accel_sd_g", "gate_gyro_sd_dps",
                    "gate_smooth_hz", "mask_gyro_slow_hz", "mask_floor_g", "mask_ratio", "episode_gap_s")
        for name in positive:
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("whiten_strength", "whiten_min_free"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be between 0 and 1, got {getattr(self, name)}")
        if not 0.0 < self.whiten_floor <= 1.0:
            raise ConfigError(f"whiten_floor must be above 0 and at most 1, got {self.whiten_floor}")
        if not 0.0 <= self.gate_gyro_min_seen <= 1.0:
            raise ConfigError(f"gate_gyro_min_seen must be between 0 and 1, got {self.gate_gyro_min_seen}")
        if not 0.0 <= self.rhythm_peak_share < 1.0:
            raise ConfigError(f"rhythm_peak_share must be at least 0 and below 1, got {self.rhythm_peak_share}")
        if not 0.0 <= self.baseline_quantile <= 1.0:
            raise ConfigError(f"baseline_quantile must be between 0 and 1, got {self.baseline_quantile}")
        if not 0.0 <= self.fall_ratio < min(self.rise_ratio, self.train_rise_ratio):
            raise ConfigError("need 0 <= fall_ratio < rise_ratio and fall_ratio < train_rise_ratio")
        if not 0.0 <= self.shape_tier_share <= 1.0:
            raise ConfigError(f"shape_tier_share must be between 0 (off) and 1, got {self.shape_tier_share}")
        if not self.fall_ratio < self.shape_tier_rise_ratio:
            raise ConfigError("need fall_ratio < shape_tier_rise_ratio")
        for name in ("shape_min_normal_share", "shape_min_line_share", "shape_veto_line_share", "shape_veto_normal_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be between 0 and 1, got {getattr(self, name)}")
        if not self.train_slow_ratio > 0:
            raise ConfigError(f"train_slow_ratio must be positive, got {self.train_slow_ratio}")
        if self.envelope_hz >= 0.45 * fs_hz:
            raise ConfigError(f"envelope_hz {self.envelope_hz} is too high for {fs_hz} Hz sampling")
        if not 0.0 < self.slow_envelope_hz < self.envelope_hz:
            raise ConfigError("slow_envelope_hz must be positive and below envelope_hz")
        if not 0.0 < self.release_ratio < 1.0:
            raise ConfigError(f"release_ratio must be between 0 and 1, got {self.release_ratio}")
        if self.min_twitch_s >= self.max_twitch_s:
            raise ConfigError("min_twitch_s must be shorter than max_twitch_s")
        for name in ("gate_guard_blocks", "gate_settle_blocks", "gate_no_gyro_extra_blocks", "rhythm_max_crossings"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative, got {getattr(self, name)}")
        for name in ("refractory_s", "onset_backtrack_s", "mask_delay_s", "mask_chain_s", "mask_gyro_hang_s", "mask_hang_s", "warmup_s"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.matched_taps < 2 or self.matched_min_blocks < 1 or self.matched_every_blocks < 1:
            raise ConfigError("need matched_taps >= 2, matched_min_blocks >= 1 and matched_every_blocks >= 1")
        if not 0.02 <= self.matched_window_s <= 1.0:
            raise ConfigError(f"matched_window_s must be 0.02 to 1 s, got {self.matched_window_s}")
        for name in ("matched_ridge", "matched_veto_snr"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.whiten_every_blocks < 1:
            raise ConfigError(f"whiten_every_blocks must be at least 1, got {self.whiten_every_blocks}")
        if self.baseline_blocks < 1 or not 1 <= self.baseline_min_blocks <= self.baseline_blocks:
            raise ConfigError("need 1 <= baseline_min_blocks <= baseline_blocks")
        if self.episode_min_twitches < 1:
            raise ConfigError("episode_min_twitches must be at least 1")

    def _check_types(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type in ("bool", bool):
                if not isinstance(value, bool):
                    raise ConfigError(f"{f.name} must be true or false, got {value!r}")
            elif f.type in ("int", int):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ConfigError(f"{f.name} must be a whole number, got {value!r}")
            elif "tuple" in str(f.type):
                if (not isinstance(value, (tuple, list)) or len(value) != 2
                        or not all(_is_number(v) for v in value)):
                    raise ConfigError(f"{f.name} must be a pair of numbers [low, high], got {value!r}")
            elif not _is_number(value):
                raise ConfigError(f"{f.name} must be a number, got {value!r}")
        if not 1 <= self.band_order <= 8:
            raise ConfigError(f"band_order must be 1 to 8, got {self.band_order}")
        if self.baseline_blocks > 100_000:
            raise ConfigError(f"baseline_blocks must be at most 100000, got {self.baseline_blocks}")

    def as_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, raw: dict) -> "DetectorParams":
        """Inverse of :meth:`as_dict`; unknown keys are an error (they mean another version)."""
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ConfigError(f"unknown detector parameters {sorted(unknown)}: they belong to another detector "
                              f"version (this is {DETECTOR_VERSION}); remove them or start from "
                              "'twitchwatch analyze --json' output of this version")
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in raw.items()})


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and bool(np.isfinite(value))


def detector_info(params: DetectorParams) -> dict:
    """The version and parameters, as embedded in every output."""
    return {"version": DETECTOR_VERSION, "params": params.as_dict()}


@dataclass(frozen=True)
class Design:
    """Filters and sample counts derived from params at one sample rate (shared by the
    streaming detector and the batch reference, which must agree on them)."""

    band_sos: np.ndarray
    envelope_sos: np.ndarray
    slow_sos: np.ndarray
    smooth_sos: np.ndarray      # gate input smoothing (before the hold)
    low_sos: np.ndarray         # gate band (0.2-3 Hz)
    gyro_slow_sos: np.ndarray   # gyro low-pass near transients (mask_gyro_slow_hz)
    block_n: int
    min_twitch_n: int
    max_twitch_n: int
    refractory_n: int
    backtrack_n: int
    mask_delay_n: int
    mask_hang_n: int
    mask_gyro_hang_n: int
    mask_chain_n: int
    rhythm_n: int
    rhythm_peak_share: float    # 0 at rates where a twitch does not fold back into the band
    warmup_n: int
    episode_gap_n: int


def design(params: DetectorParams, fs_hz: float) -> Design:
    params.validate(fs_hz)
    lo, hi = params.band_hz
    hi = min(hi, 0.45 * fs_hz)

    def n(seconds: float) -> int:
        return int(round(seconds * fs_hz))

    return Design(
        band_sos=signal.butter(params.band_order, [lo, hi], btype="bandpass", fs=fs_hz, output="sos"),
        envelope_sos=signal.butter(1, params.envelope_hz, fs=fs_hz, output="sos"),
        slow_sos=signal.butter(1, params.slow_envelope_hz, fs=fs_hz, output="sos"),
        smooth_sos=signal.butter(2, params.gate_smooth_hz, fs=fs_hz, output="sos"),
        low_sos=signal.butter(2, list(params.gate_low_band_hz), btype="bandpass", fs=fs_hz, output="sos"),
        gyro_slow_sos=signal.butter(2, params.mask_gyro_slow_hz, fs=fs_hz, output="sos"),
        block_n=max(1, n(params.block_s)),
        min_twitch_n=max(1, n(params.min_twitch_s)),
        max_twitch_n=max(1, n(params.max_twitch_s)),
        refractory_n=n(params.refractory_s),
        backtrack_n=n(params.onset_backtrack_s),
        mask_delay_n=n(params.mask_delay_s),
        mask_hang_n=n(params.mask_hang_s),
        mask_gyro_hang_n=n(params.mask_gyro_hang_s),
        mask_chain_n=n(params.mask_chain_s),
        rhythm_n=max(1, n(params.rhythm_window_s)),
        rhythm_peak_share=params.rhythm_peak_share if fs_hz < params.rhythm_peak_share_below_hz else 0.0,
        warmup_n=n(params.warmup_s),
        episode_gap_n=n(params.episode_gap_s),
    )


def lost_rows(x: np.ndarray) -> np.ndarray:
    """Rows of an (n, 3) array holding any non-finite value (a lost sample). Column by column:
    ``np.isfinite(x).all(axis=1)`` reduces over the short axis and costs 15x as much."""
    return ~(np.isfinite(x[:, 0]) & np.isfinite(x[:, 1]) & np.isfinite(x[:, 2]))


def magnitude(x: np.ndarray) -> np.ndarray:
    """Row-wise Euclidean norm, written once so streaming and batch round identically."""
    return np.sqrt(np.sum(x * x, axis=1))


def on_off(env: np.ndarray, slow: np.ndarray, thr: np.ndarray, params: DetectorParams,
           second: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Where a twitch may start (``on``) and where one must end (``off``); never both.
    ``second``: the second-chance tier's levels (``shape_tier_*``)."""
    rise = params.rise_ratio
    if second:
        thr = thr * params.shape_tier_share
        rise = params.shape_tier_rise_ratio
    in_train = slow >= params.train_slow_ratio * thr
    on = (env >= thr) & (env >= np.where(in_train, min(params.train_rise_ratio, rise), rise) * slow)
    off = (env < params.release_ratio * thr) | (env < params.fall_ratio * slow)
    return on, off


def threshold_from_baseline(params: DetectorParams, baseline) -> float | None:
    """The threshold implied by recent still-block envelope quantiles, or None if too few."""
    if len(baseline) < params.baseline_min_blocks:
        return None
    return threshold_from_sorted(params, sorted(baseline))


def threshold_from_sorted(params: DetectorParams, ordered: list[float]) -> float:
    """:func:`threshold_from_baseline` of an already sorted baseline (at least one value)."""
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    return max(params.threshold_floor_g, params.threshold_factor * median)


def transient_levels(env: np.ndarray, slow: np.ndarray, params: DetectorParams) -> tuple[np.ndarray, np.ndarray]:
    """Where a twitch-band transient is under way (``strict``; the gate holds its input around
    these), and where one is if it continues a train (``loose``: a transient only within
    ``mask_chain_s`` of the previous transient). Disjoint."""
    loud = env >= params.mask_floor_g
    strict = loud & (env >= params.mask_ratio * slow)
    loose = loud & ~strict & (env >= params.train_rise_ratio * slow)
    if params.mask_chain_s <= 0:
        loose[:] = False
    return strict, loose


def envelope_quantile(env: np.ndarray, params: DetectorParams) -> np.ndarray:
    """Per complete block (first axis of ``env`` (k, n)): the envelope quantile for the baseline."""
    return np.quantile(env, params.baseline_quantile, axis=1)


def block_still(low: np.ndarray, gyro: np.ndarray | None, covered: np.ndarray, lostwarm: np.ndarray,
                params: DetectorParams) -> np.ndarray:
    """Per complete block (first axis): whether the motion gate calls it still.

    ``low`` (k, n, 3) gate-band acceleration, ``gyro`` (k, n, 3) or None, ``covered`` (k, n)
    samples left out of the gyro test (near a transient), ``lostwarm`` (k, n).
    """
    still = (np.sqrt(np.sum(low.var(axis=1), axis=1)) < params.gate_accel_sd_g) & ~lostwarm.any(axis=1)
    if gyro is not None:
        weight = ~covered
        weight[weight.mean(axis=1) < params.gate_gyro_min_seen] = True   # too little left: use it all
        count = np.maximum(weight.sum(axis=1), 1)
        mean = np.sum(gyro * weight[:, :, None], axis=1) / count[:, None]
        dev = np.sum((gyro - mean[:, None, :]) ** 2, axis=2)
        still &= np.sqrt(np.sum(dev * weight, axis=1) / count) < params.gate_gyro_sd_dps
    return still


def sign_changes(window: np.ndarray, direction: np.ndarray, level_g: float, metric: np.ndarray | None = None,
                 peak_share: float = 0.0) -> int:
    """How often the (n, 3) band-passed ``window``, projected on the unit vector along
    ``direction``, swings from above ``+level_g`` to below ``-level_g`` or back (a Schmitt
    trigger: wiggles of the background below the level do not count). With a ``metric`` M
    (whitening) the projection and its unit are those of x' M x, as the envelope's. The level
    is at least ``peak_share`` of ``direction``'s own length (the twitch's peak)."""
    md = direction if metric is None else metric @ direction
    norm = float(np.sqrt(max(float(direction @ md), 0.0)))
    if norm == 0.0:
        return 0
    proj = window @ (md / norm)
    level_g = max(level_g, peak_share * norm)
    state = np.where(proj > level_g, 1, np.where(proj < -level_g, -1, 0))
    state = state[state != 0]
    return int(np.count_nonzero(state[1:] != state[:-1]))
