"""Detector parameters, the filter designs they imply, and the detector version.

Every count twitchwatch shows or stores carries ``DETECTOR_VERSION`` and the parameters, so a
result can always be reproduced (``twitchwatch reanalyze``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
from scipy import signal

from ..errors import ConfigError

DETECTOR_VERSION = "1.2.0"


@dataclass(frozen=True)
class DetectorParams:
    """Parameters of the twitch detector. Defaults follow science.md section 5."""

    # Twitch band: a 35–80 ms contraction puts its energy mostly at 5–40 Hz.
    band_hz: tuple[float, float] = (5.0, 40.0)
    band_order: int = 4
    envelope_hz: float = 8.0            # low-pass of the squared magnitude (~20 ms RMS)
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
    min_twitch_s: float = 0.02
    max_twitch_s: float = 1.0
    refractory_s: float = 0.12          # re-crossings closer than this belong to the same twitch
    baseline_block_s: float = 1.0
    baseline_blocks: int = 120          # still blocks remembered for the baseline (2 min)
    baseline_min_blocks: int = 5
    # Motion gate: voluntary movement is sustained rotation or an orientation that changes and
    # stays changed. A twitch's own tilt is brief and returns: the signed gyro band below cancels
    # its out-and-back rotation, and the slow orientation estimate barely sees it.
    gate_band_hz: tuple[float, float] = (0.1, 1.5)     # gyro band, deg/s
    gate_gyro_dps: float = 3.0
    gate_tilt_lowpass_hz: float = 1.0                  # orientation estimate from gravity
    gate_tilt_lag_s: float = 0.5                       # compared with itself this long ago:
    gate_tilt_g: float = 0.008                         # turning faster than ~1 deg/s; slow drift
                                                       # of a resting limb makes no twitch-band noise
    min_move_s: float = 0.3             # shorter excursions are not movement
    guard_before_s: float = 1.0         # unmonitored margin before a movement ...
    guard_after_s: float = 2.0          # ... and after it (hands settle slowly)
    warmup_s: float = 1.0               # filters settle after the start and after lost samples
    episode_gap_s: float = 1.5
    episode_min_twitches: int = 2

    def validate(self, fs_hz: float) -> None:
        """Raise ConfigError if a value is out of range for this sample rate."""
        self._check_types()
        if not 50.0 <= fs_hz <= 2000.0:
            raise ConfigError(f"sample rate {fs_hz} Hz is outside 50–2000 Hz; record at 104, 208 or 416 Hz")
        lo, hi = self.band_hz
        if not 0.5 <= lo < hi:
            raise ConfigError(f"band_hz {self.band_hz} must satisfy 0.5 <= low < high")
        if lo >= 0.45 * fs_hz:
            raise ConfigError(f"band_hz low edge {lo} Hz is too high for {fs_hz} Hz sampling")
        glo, ghi = self.gate_band_hz
        if not 0.01 <= glo < ghi < lo:
            raise ConfigError(f"gate_band_hz {self.gate_band_hz} must lie below the twitch band")
        positive = ("envelope_hz", "threshold_factor", "threshold_floor_g", "threshold_initial_g",
                    "min_twitch_s", "max_twitch_s", "baseline_block_s", "gate_gyro_dps", "gate_tilt_g",
                    "min_move_s", "episode_gap_s", "gate_tilt_lowpass_hz", "gate_tilt_lag_s")
        for name in positive:
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)}")
        if not 0.0 <= self.baseline_quantile <= 1.0:
            raise ConfigError(f"baseline_quantile must be between 0 and 1, got {self.baseline_quantile}")
        if not 0.0 <= self.fall_ratio < self.rise_ratio:
            raise ConfigError("need 0 <= fall_ratio < rise_ratio")
        if self.envelope_hz >= 0.45 * fs_hz:
            raise ConfigError(f"envelope_hz {self.envelope_hz} is too high for {fs_hz} Hz sampling")
        if not 0.0 < self.slow_envelope_hz < self.envelope_hz:
            raise ConfigError("slow_envelope_hz must be positive and below envelope_hz")
        if not 0.0 < self.release_ratio < 1.0:
            raise ConfigError(f"release_ratio must be between 0 and 1, got {self.release_ratio}")
        if self.min_twitch_s >= self.max_twitch_s:
            raise ConfigError("min_twitch_s must be shorter than max_twitch_s")
        for name in ("refractory_s", "guard_before_s", "guard_after_s", "warmup_s"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.baseline_blocks < 1 or not 1 <= self.baseline_min_blocks <= self.baseline_blocks:
            raise ConfigError("need 1 <= baseline_min_blocks <= baseline_blocks")
        if self.episode_min_twitches < 1:
            raise ConfigError("episode_min_twitches must be at least 1")

    def _check_types(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type in ("int", int):
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
            raise ConfigError(f"unknown detector parameters {sorted(unknown)}; is this from a newer twitchwatch?")
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
    gate_sos: np.ndarray
    tilt_sos: np.ndarray
    tilt_lag_n: int
    block_n: int
    min_twitch_n: int
    max_twitch_n: int
    refractory_n: int
    min_move_n: int
    guard_before_n: int
    guard_after_n: int
    warmup_n: int
    episode_gap_n: int

    @property
    def decision_delay_n(self) -> int:
        """Samples after which a twitch or a span can no longer be vetoed by movement."""
        return self.guard_before_n + self.min_move_n


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
        gate_sos=signal.butter(2, list(params.gate_band_hz), btype="bandpass", fs=fs_hz, output="sos"),
        tilt_sos=signal.butter(2, params.gate_tilt_lowpass_hz, fs=fs_hz, output="sos"),
        tilt_lag_n=max(1, n(params.gate_tilt_lag_s)),
        block_n=max(1, n(params.baseline_block_s)),
        min_twitch_n=max(1, n(params.min_twitch_s)),
        max_twitch_n=max(1, n(params.max_twitch_s)),
        refractory_n=n(params.refractory_s),
        min_move_n=max(1, n(params.min_move_s)),
        guard_before_n=n(params.guard_before_s),
        guard_after_n=n(params.guard_after_s),
        warmup_n=n(params.warmup_s),
        episode_gap_n=n(params.episode_gap_s),
    )


def magnitude(x: np.ndarray) -> np.ndarray:
    """Row-wise Euclidean norm, written once so streaming and batch round identically."""
    return np.sqrt(np.sum(x * x, axis=1))


def on_off(env: np.ndarray, slow: np.ndarray, thr: np.ndarray, params: DetectorParams) -> tuple[np.ndarray, np.ndarray]:
    """Where a twitch may start (``on``) and where one must end (``off``); never both."""
    on = (env >= thr) & (env >= params.rise_ratio * slow)
    off = (env < params.release_ratio * thr) | (env < params.fall_ratio * slow)
    return on, off


def threshold_from_baseline(params: DetectorParams, baseline) -> float | None:
    """The threshold implied by recent still-block envelope quantiles, or None if too few."""
    if len(baseline) < params.baseline_min_blocks:
        return None
    ordered = sorted(baseline)                 # plain sort: cheaper than np.median on ~100 values
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    return max(params.threshold_floor_g, params.threshold_factor * median)
