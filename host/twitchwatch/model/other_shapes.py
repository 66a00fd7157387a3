"""Twitch shapes other than the project's own model, for measuring how well the detector
generalises (``twitchwatch bench accuracy --twitch-model``). Never used to tune it.

- ``force``: the classic motor-unit force twitch f(t) = (t/T)·exp(1 - t/T) (Fuglevand et al.
  1993), contraction time T of 30–80 ms, taken as the skin displacement and smoothed over 10 ms
  (a real onset is not a corner); the accelerometer reads its second derivative. No tilt.
- ``biphasic``: one full sine cycle of acceleration lasting 40–120 ms (a push and a return).
  No tilt.

Each returns the (n, 3) skin acceleration in the sensor frame, scaled so its largest magnitude
is ``peak_g``, along a direction near the skin normal (sensor z).
"""

from __future__ import annotations

import numpy as np

SHAPE_MODELS = ("project", "force", "biphasic")


def _direction(rng: np.random.Generator) -> np.ndarray:
    direction = np.array([0.0, 0.0, 1.0]) + rng.normal(0.0, 0.5, 3)
    return direction / np.linalg.norm(direction)


def force_twitch(rng: np.random.Generator, peak_g: float, fs_hz: float) -> np.ndarray:
    contraction_s = float(rng.uniform(0.03, 0.08))
    sigma_n = max(0.01 * fs_hz, 1.0)
    half = int(np.ceil(3 * sigma_n))
    t_s = (np.arange(int(np.ceil(10 * contraction_s * fs_hz))) - half) / fs_hz
    force = np.where(t_s > 0, t_s / contraction_s * np.exp(1.0 - t_s / contraction_s), 0.0)
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma_n) ** 2)
    displacement = np.convolve(force, kernel / kernel.sum(), mode="same")
    accel = np.gradient(np.gradient(displacement, t_s), t_s)
    return _scaled(accel, peak_g, rng)


def biphasic(rng: np.random.Generator, peak_g: float, fs_hz: float) -> np.ndarray:
    length_s = float(rng.uniform(0.04, 0.12))
    t_s = np.arange(int(np.ceil(length_s * fs_hz)) + 1) / fs_hz
    return _scaled(np.sin(2 * np.pi * np.clip(t_s / length_s, 0.0, 1.0)), peak_g, rng)


def _scaled(accel: np.ndarray, peak_g: float, rng: np.random.Generator) -> np.ndarray:
    accel = accel * (peak_g / max(float(np.abs(accel).max()), 1e-12))
    return accel[:, None] * _direction(rng)[None, :]


RENDER = {"force": force_twitch, "biphasic": biphasic}
