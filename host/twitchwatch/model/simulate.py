"""Simulated wear with ground truth: the default sensor, the test fixture and the benchmark.

:func:`simulate` builds a whole recording (orientation, voluntary movement, noise, twitches);
:func:`inject_twitches` adds model twitches to a real background recording, only where that
background is still, so real hand-use clips can be scored for sensitivity as well as for false
twitches.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Iterator

import numpy as np
from scipy import signal

from ..recording import Recording
from .motion import body_micromotion, movement_segment, rotate, sensor_noise
from .other_shapes import RENDER as OTHER_SHAPES
from .truth import GroundTruth, TrueEpisode, TrueTwitch
from .twitch import random_shape, render

DEFAULT_START_WALL_S = 1_795_000_000.0   # a fixed Unix time, so simulated files are reproducible


@dataclass(frozen=True)
class SimConfig:
    """What to simulate. Rates are per hour of still time; peaks are log-uniform in the range."""

    duration_s: float = 600.0
    fs_hz: float = 208.0
    seed: int = 0
    episodes_per_hour: float = 12.0
    isolated_per_hour: float = 30.0
    peak_g_range: tuple[float, float] = (0.015, 0.2)
    episode_s_range: tuple[float, float] = (3.0, 5.0)
    mean_interval_s: float = 0.55           # mean onset-to-onset interval inside an episode
    min_interval_s: float = 0.3             # ... and the shortest one
    movement_fraction: float = 0.2          # share of time in voluntary movement
    walking_share: float = 0.2              # share of movement bouts that are walking
    accel_density_ug: float = 70.0          # LSM6DSO high-performance mode, per sqrt(Hz)
    gyro_density_mdps: float = 3.8
    tremor_mg: float = 1.0                  # RMS of physiological tremor
    with_gyro: bool = True
    site: str = "thenar"
    side: str = "right"
    start_wall_s: float = DEFAULT_START_WALL_S
    initial_gravity: tuple[float, float, float] = (0.15, -0.25, 0.95)   # sensor frame, any length
    gyro_bias_dps: tuple[float, float, float] | None = None              # None: random, within ±1
    twitch_model: str = "project"           # or another shape from model.other_shapes (checks only)
    # The project model's tilt times this (checks only): how much a twitch that tilts the sensor
    # more than the model assumes costs the motion gate.
    twitch_tilt_scale: float = 1.0


def demo_config(seed: int, **fields) -> SimConfig:
    """A lively demo day (more twitches than the defaults), so a first run of the app or of the
    simulated BLE sensor shows episodes within a few minutes."""
    return SimConfig(seed=seed, **{"episodes_per_hour": 40.0, "isolated_per_hour": 90.0, **fields})


def _free_slot(rng: np.random.Generator, busy: np.ndarray, length: int, margin: int) -> int | None:
    """A random start index where ``[start - margin, start + length + margin)`` is all free."""
    n = busy.size
    span = length + 2 * margin
    if span >= n:
        return None
    # Windowed sum of busy samples via a cumulative sum: zero means the whole window is free.
    csum = np.concatenate(([0], np.cumsum(busy, dtype=np.int64)))
    free = np.flatnonzero(csum[span:] - csum[:-span] == 0)
    if free.size == 0:
        return None
    return int(rng.choice(free)) + margin


def _episode_onsets(rng: np.random.Generator, cfg: SimConfig) -> np.ndarray:
    """Irregular onsets (s, from 0) of one episode lasting 3–5 s."""
    length_s = rng.uniform(*cfg.episode_s_range)
    onsets = [0.0]
    while True:
        gap = max(cfg.min_interval_s, rng.gamma(4.0, cfg.mean_interval_s / 4.0))
        if onsets[-1] + gap > length_s - 0.2:
            break
        onsets.append(onsets[-1] + gap)
    if len(onsets) < 3:   # an episode is a run of twitches; keep at least three
        onsets = [0.0, length_s / 2, length_s - 0.2]
    # Stretch the (irregular) intervals so the last twitch ends near the episode's length.
    stretch = (length_s - 0.15) / onsets[-1]
    return np.asarray(onsets) * max(stretch, 1.0)


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _add_twitch(accel: np.ndarray, gyro: np.ndarray, rotvec: np.ndarray, start: int,
                rng: np.random.Generator, peak_g: float, fs_hz: float, model: str = "project",
                tilt_scale: float = 1.0) -> TrueTwitch | None:
    if model == "project":
        shape = random_shape(rng, peak_g)
        if tilt_scale != 1.0:
            shape = replace(shape, tilt_deg=shape.tilt_deg * tilt_scale)
        skin, tilt_rad, tilt_rate = render(shape, fs_hz)
        axis = np.asarray(shape.tilt_axis)
    else:                                   # another model, for generalisation checks (no tilt)
        skin = OTHER_SHAPES[model](rng, peak_g, fs_hz)
        tilt_rad = tilt_rate = np.zeros(skin.shape[0])
        axis = np.zeros(3)
    end = min(start + skin.shape[0], accel.shape[0])
    k = end - start
    if k <= 0:
        return None
    accel[start:end] += skin[:k]
    gyro[start:end] += tilt_rate[:k, None] * axis[None, :]
    rotvec[start:end] += tilt_rad[:k, None] * axis[None, :]
    mag = np.linalg.norm(skin, axis=1)
    active = np.flatnonzero(mag >= 0.1 * mag.max())
    return TrueTwitch(onset_s=float(start) / fs_hz, duration_s=float(active[-1] + 1) / fs_hz, peak_g=float(peak_g))


def _place_twitches(rng: np.random.Generator, cfg: SimConfig, still_s: float, busy: np.ndarray,
                    accel: np.ndarray, gyro: np.ndarray, rotvec: np.ndarray, fs_hz: float) -> GroundTruth:
    """Place episodes and isolated twitches in free (still) time; mark what they occupy busy."""
    truth = GroundTruth()
    margin = int(2.0 * fs_hz)
    n_episodes = rng.poisson(cfg.episodes_per_hour * still_s / 3600.0)
    n_isolated = rng.poisson(cfg.isolated_per_hour * still_s / 3600.0)
    kinds = ["episode"] * n_episodes + ["isolated"] * n_isolated
    rng.shuffle(kinds)
    for kind in kinds:
        onsets_s = _episode_onsets(rng, cfg) if kind == "episode" else np.zeros(1)
        length = int((onsets_s[-1] + 0.5) * fs_hz)
        start = _free_slot(rng, busy, length, margin)
        if start is None:
            continue
        busy[start:start + length] = True
        base_g = _log_uniform(rng, *cfg.peak_g_range)
        members = []
        for onset_s in onsets_s:
            peak = base_g if kind == "isolated" else float(
                np.clip(base_g * rng.uniform(0.75, 1.3), *cfg.peak_g_range))
            tw = _add_twitch(accel, gyro, rotvec, start + int(round(onset_s * fs_hz)), rng, peak, fs_hz,
                             cfg.twitch_model, cfg.twitch_tilt_scale)
            if tw is not None:
                members.append(tw)
        if kind == "episode" and len(members) >= 2:
            idx = len(truth.episodes)
            members = [replace(tw, episode=idx) for tw in members]
            last = members[-1]
            truth.episodes.append(TrueEpisode(members[0].onset_s, last.onset_s + last.duration_s, len(members)))
        truth.twitches.extend(members)
    truth.twitches.sort(key=lambda tw: tw.onset_s)
    return truth


def simulate(cfg: SimConfig = SimConfig()) -> tuple[Recording, GroundTruth]:
    """A whole simulated recording and its ground truth. Same config and seed, same result."""
    rng = np.random.default_rng(cfg.seed)
    fs = cfg.fs_hz
    n = int(round(cfg.duration_s * fs))
    linear = np.zeros((n, 3))
    gyro = np.zeros((n, 3))
    busy = np.zeros(n, dtype=bool)
    moving: list[tuple[float, float]] = []

    # Voluntary movement bouts, placed until they fill the wanted share of time.
    target = cfg.movement_fraction * n
    tries = 0
    while busy.sum() < target and tries < 1000:
        tries += 1
        length = int(min(rng.uniform(3.0, 40.0), cfg.duration_s / 4) * fs)
        start = _free_slot(rng, busy, length, int(3.0 * fs))
        if start is None or length < fs:
            continue
        kind = "walking" if rng.random() < cfg.walking_share else "hand_use"
        acc_m, gyr_m = movement_segment(rng, length, fs, kind)
        linear[start:start + length] += acc_m
        gyro[start:start + length] += gyr_m
        busy[start:start + length] = True
        moving.append((start / fs, (start + length) / fs))
    moving.sort()
    still_s = (n - busy.sum()) / fs

    rotvec = np.cumsum(np.deg2rad(gyro) / fs, axis=0)     # orientation follows the movement
    truth = _place_twitches(rng, cfg, still_s, busy, linear, gyro, rotvec, fs)
    truth.moving = moving

    g0 = np.asarray(cfg.initial_gravity, dtype=np.float64)
    g0 /= np.linalg.norm(g0)
    gravity = rotate(np.broadcast_to(g0, (n, 3)).copy(), -rotvec)
    noise_a, noise_g = sensor_noise(rng, n, fs, cfg.accel_density_ug, cfg.gyro_density_mdps)
    accel = gravity + linear + noise_a + body_micromotion(rng, n, fs, cfg.tremor_mg)
    gyro_bias = rng.uniform(-1.0, 1.0, 3) if cfg.gyro_bias_dps is None else np.asarray(cfg.gyro_bias_dps)
    rec = Recording(
        fs_hz=fs,
        accel_g=accel,
        gyro_dps=(gyro + noise_g + gyro_bias) if cfg.with_gyro else None,
        start_wall_s=cfg.start_wall_s,
        device="simulated",
        site=cfg.site,
        side=cfg.side,
        meta={"source": "twitchwatch simulator", "seed": str(cfg.seed)},
    )
    return rec, truth


def simulate_stream(cfg: SimConfig = SimConfig(), segment_s: float = 300.0,
                    duration_s: float | None = None) -> Iterator[tuple[Recording, GroundTruth, float]]:
    """Simulated wear without end (or ``duration_s`` long), in consecutive segments of
    ``segment_s``, continuous in orientation and gyro bias across their boundaries: yields
    ``(segment, its truth with times from the segment's start, offset_s of the segment)``.
    The simulated sensor and the simulated BLE sensor both stream this."""
    rng = np.random.default_rng(cfg.seed)
    bias = tuple(rng.uniform(-1.0, 1.0, 3))
    gravity = cfg.initial_gravity
    offset_s = 0.0
    k = 0
    while duration_s is None or offset_s < duration_s:
        length = segment_s if duration_s is None else min(segment_s, duration_s - offset_s)
        seg_cfg = replace(cfg, duration_s=length, seed=cfg.seed * 100_003 + k,
                          initial_gravity=gravity, gyro_bias_dps=bias)
        rec, truth = simulate(seg_cfg)
        tail = rec.accel_g[-int(0.5 * rec.fs_hz):].mean(axis=0)
        gravity = tuple(tail / np.linalg.norm(tail))
        yield rec, truth, offset_s
        offset_s += rec.duration_s
        k += 1


def still_mask(rec: Recording, window_s: float = 1.0, gyro_rms_dps: float = 3.0,
               low_sd_g: float = 0.005) -> np.ndarray:
    """Per-sample mask of 'still' windows by the science notes' rule: gyro RMS (bias removed)
    below 3 dps and 0.2–3 Hz acceleration SD below 5 mg over each ``window_s`` window."""
    fs = rec.fs_hz
    n = rec.n_samples
    w = max(int(round(window_s * fs)), 1)
    acc = np.nan_to_num(rec.accel_g)
    sos = signal.butter(2, [0.2, 3.0], btype="bandpass", fs=fs, output="sos")
    low = signal.sosfiltfilt(sos, acc, axis=0)
    still = np.zeros(n, dtype=bool)
    gyro = None if rec.gyro_dps is None else np.nan_to_num(rec.gyro_dps - np.nanmedian(rec.gyro_dps, axis=0))
    for start in range(0, n - w + 1, w):
        sl = slice(start, start + w)
        ok = np.linalg.norm(low[sl].std(axis=0)) < low_sd_g and rec.lost_mask[sl].sum() == 0
        if ok and gyro is not None:
            ok = np.sqrt(np.mean(np.sum(gyro[sl] ** 2, axis=1))) < gyro_rms_dps
        still[sl] = ok
    return still


def inject_twitches(background: Recording, cfg: SimConfig) -> tuple[Recording, GroundTruth]:
    """Add model twitches to a real recording, only inside its still windows.

    The twitch's small tilt moves the background's own gravity vector, and its rotation adds to
    the background gyro, so the result carries the same confounds as the simulator's days.
    Ground truth ``moving`` lists the background's non-still spans.
    """
    rng = np.random.default_rng(cfg.seed)
    fs = background.fs_hz
    still = still_mask(background)
    busy = ~still
    accel = np.array(background.accel_g, dtype=np.float64)
    gyro = np.zeros_like(accel) if background.gyro_dps is None else np.array(background.gyro_dps)
    extra = np.zeros_like(accel)
    rotvec = np.zeros_like(accel)
    truth = _place_twitches(rng, cfg, still.sum() / fs, busy.copy(), extra, gyro, rotvec, fs)
    sos = signal.butter(2, 1.0, fs=fs, output="sos")
    g_est = signal.sosfiltfilt(sos, np.nan_to_num(accel), axis=0)
    # A small rotation by rotvec moves gravity by rotvec x g (first order).
    accel = accel + extra + np.cross(-rotvec, g_est) * (np.abs(rotvec).sum(axis=1, keepdims=True) > 0)
    edges = np.diff(np.concatenate(([0], (~still).astype(np.int8), [0])))
    truth.moving = [(a / fs, b / fs) for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))]
    rec = replace(background, accel_g=accel, gyro_dps=None if background.gyro_dps is None else gyro,
                  meta={**background.meta, "injected": f"model twitches, seed {cfg.seed}"})
    return rec, truth


def resample(rec: Recording, fs_hz: float) -> Recording:
    """The same recording at another sample rate (polyphase, anti-aliased)."""
    ratio = Fraction(fs_hz / rec.fs_hz).limit_denominator(1000)
    up, down = ratio.numerator, ratio.denominator

    def conv(x: np.ndarray | None) -> np.ndarray | None:
        return None if x is None else signal.resample_poly(np.nan_to_num(x), up, down, axis=0, padtype="line")

    return replace(rec, fs_hz=rec.fs_hz * up / down, accel_g=conv(rec.accel_g), gyro_dps=conv(rec.gyro_dps))
