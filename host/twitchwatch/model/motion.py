"""Everything on the sensor that is not a twitch: sensor noise, body micro-motion, voluntary
movement (hand use, walking) and the slow orientation changes that come with it."""

from __future__ import annotations

import numpy as np
from scipy import signal

G_PER_MG = 1e-3


def band_noise(rng: np.random.Generator, n: int, fs_hz: float, lo_hz: float, hi_hz: float,
               rms: float, channels: int = 3) -> np.ndarray:
    """Gaussian noise band-limited to ``[lo_hz, hi_hz]`` with the given RMS per channel."""
    if n == 0:
        return np.zeros((0, channels))
    hi_hz = min(hi_hz, 0.45 * fs_hz)
    sos = signal.butter(2, [lo_hz, hi_hz], btype="bandpass", fs=fs_hz, output="sos")
    x = signal.sosfilt(sos, rng.normal(size=(n + int(fs_hz), channels)), axis=0)[int(fs_hz):]
    std = x.std(axis=0)
    return x * (rms / np.where(std > 0, std, 1.0))


def sensor_noise(rng: np.random.Generator, n: int, fs_hz: float,
                 accel_density_ug: float, gyro_density_mdps: float) -> tuple[np.ndarray, np.ndarray]:
    """White noise at the IMU's datasheet noise densities over the Nyquist band."""
    accel_sigma_g = accel_density_ug * 1e-6 * np.sqrt(fs_hz / 2.0)
    gyro_sigma_dps = gyro_density_mdps * 1e-3 * np.sqrt(fs_hz / 2.0)
    return rng.normal(0.0, accel_sigma_g, (n, 3)), rng.normal(0.0, gyro_sigma_dps, (n, 3))


def body_micromotion(rng: np.random.Generator, n: int, fs_hz: float, tremor_mg: float) -> np.ndarray:
    """Physiological tremor (8–12 Hz) and the pulse's ballistic kick (~1.1 Hz, harmonics)."""
    tremor = band_noise(rng, n, fs_hz, 8.0, 12.0, tremor_mg * G_PER_MG)
    t = np.arange(n) / fs_hz
    heart_hz = rng.uniform(0.9, 1.3)
    pulse = 0.5 * tremor_mg * G_PER_MG * np.sin(2 * np.pi * heart_hz * t) ** 15
    return tremor + pulse[:, None] * rng.normal(0.0, 1.0, 3)[None, :]


def rotate(vectors: np.ndarray, rotvec_rad: np.ndarray) -> np.ndarray:
    """Rotate each row of ``vectors`` by the matching rotation vector (Rodrigues' formula)."""
    angle = np.linalg.norm(rotvec_rad, axis=1, keepdims=True)
    axis = rotvec_rad / np.where(angle > 0, angle, 1.0)
    cos, sin = np.cos(angle), np.sin(angle)
    dot = np.sum(axis * vectors, axis=1, keepdims=True)
    return vectors * cos + np.cross(axis, vectors) * sin + axis * dot * (1.0 - cos)


def movement_segment(rng: np.random.Generator, n: int, fs_hz: float, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Linear acceleration (g) and angular rate (dps) of one bout of voluntary movement.

    ``hand_use``: typing, clicking, reaching: a slowly wandering wrist rotation plus a train of
    sharp finger taps at 2–7 per second. ``walking``: ~1.8 Hz steps with heel-strike impacts and
    a swinging limb.
    """
    window = signal.windows.tukey(n, alpha=min(1.0, 2.0 * fs_hz / max(n, 1))) if n > 2 else np.ones(n)
    t = np.arange(n) / fs_hz
    if kind == "walking":
        step_hz = rng.uniform(1.6, 2.0)
        swing = np.sin(2 * np.pi * step_hz / 2 * t)[:, None] * rng.uniform(40, 90) * np.array([1.0, 0.3, 0.2])
        gyro = swing + band_noise(rng, n, fs_hz, 0.5, 6.0, 15.0)
        accel = band_noise(rng, n, fs_hz, 0.5, 4.0, 0.08)
        impacts = np.zeros(n)
        impacts[(np.arange(0.3, t[-1] if n else 0, 1 / step_hz) * fs_hz).astype(int)] = 1.0
        kernel = np.exp(-np.arange(int(0.06 * fs_hz)) / (0.012 * fs_hz)) * np.sin(
            2 * np.pi * 18.0 * np.arange(int(0.06 * fs_hz)) / fs_hz)
        accel += np.convolve(impacts, kernel)[:n, None] * rng.uniform(0.3, 0.8) * np.array([0.4, 0.3, 1.0])
    else:
        gyro = band_noise(rng, n, fs_hz, 0.2, 3.0, rng.uniform(8.0, 50.0))
        accel = band_noise(rng, n, fs_hz, 0.3, 3.0, rng.uniform(0.01, 0.05))
        taps = np.zeros(n)
        rate_hz = rng.uniform(2.0, 7.0)
        t_tap = np.cumsum(rng.exponential(1.0 / rate_hz, int(t[-1] * rate_hz * 2) + 2)) if n else np.zeros(0)
        idx = (t_tap[t_tap < t[-1]] * fs_hz).astype(int) if n else np.zeros(0, int)
        taps[idx] = rng.uniform(0.02, 0.3, idx.size)
        k_n = max(int(0.05 * fs_hz), 3)
        kernel = np.exp(-np.arange(k_n) / (0.01 * fs_hz)) * np.sin(2 * np.pi * 25.0 * np.arange(k_n) / fs_hz)
        accel += np.convolve(taps, kernel)[:n, None] * rng.normal(0.0, 1.0, 3)[None, :]
        gyro += np.convolve(taps, kernel)[:n, None] * 30.0 * rng.normal(0.0, 1.0, 3)[None, :]
    return accel * window[:, None], gyro * window[:, None]
