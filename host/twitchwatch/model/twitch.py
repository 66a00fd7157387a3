"""One twitch as an accelerometer on the skin sees it.

A twitch displaces the muscle surface in a rise-and-relax pattern: contraction time
``contraction_s`` (35–80 ms for thenar motor units) then a relaxation that halves the
displacement after ``half_relax_s`` (25–110 ms) (Thomas et al. 1990, see science.md 1.2).
The accelerometer reads the second derivative of that displacement, scaled so the largest
skin acceleration equals ``peak_g``, along a direction close to the skin normal. The bulge also
tilts the sensor a little and back, which moves gravity between the axes and shows on the gyro:
exactly what a naive motion gate would mistake for a voluntary movement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TwitchShape:
    contraction_s: float = 0.05
    half_relax_s: float = 0.06
    peak_g: float = 0.05
    tilt_deg: float = 0.3
    direction: tuple[float, float, float] = (0.0, 0.0, 1.0)   # unit vector, sensor frame
    tilt_axis: tuple[float, float, float] = (1.0, 0.0, 0.0)   # unit vector, sensor frame

    @property
    def duration_s(self) -> float:
        """Time until the displacement has relaxed to about 1 % of its peak."""
        return self.contraction_s + self.half_relax_s * float(np.sqrt(np.log(100.0) / np.log(2.0)))


def displacement(t_s: np.ndarray, contraction_s: float, half_relax_s: float) -> np.ndarray:
    """Normalised displacement (peak 1): raised-cosine rise, Gaussian-shaped relaxation that
    reaches one half ``half_relax_s`` after the peak. Smooth, so its derivatives are finite."""
    t = np.asarray(t_s, dtype=np.float64)
    d = np.zeros_like(t)
    rise = (t >= 0) & (t < contraction_s)
    d[rise] = 0.5 * (1.0 - np.cos(np.pi * t[rise] / contraction_s))
    fall = t >= contraction_s
    d[fall] = np.exp(-np.log(2.0) * ((t[fall] - contraction_s) / half_relax_s) ** 2)
    return d


def render(shape: TwitchShape, fs_hz: float, oversample: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render one twitch at ``fs_hz``.

    Returns ``(skin_accel_g, tilt_rad, tilt_rate_dps)``: the (n, 3) skin acceleration in the
    sensor frame, the tilt angle (n,) about ``tilt_axis`` and its rate in deg/s. The waveform is
    computed on a finer grid and averaged down, as the IMU's own anti-alias filter would.
    """
    n = int(np.ceil(shape.duration_s * fs_hz)) + 1
    fine_fs = fs_hz * oversample
    t_fine = np.arange(n * oversample) / fine_fs
    d = displacement(t_fine, shape.contraction_s, shape.half_relax_s)
    acc = np.gradient(np.gradient(d, t_fine), t_fine)
    acc = acc.reshape(n, oversample).mean(axis=1)
    acc *= shape.peak_g / max(np.abs(acc).max(), 1e-12)
    direction = np.asarray(shape.direction, dtype=np.float64)
    direction /= np.linalg.norm(direction)
    skin = acc[:, None] * direction[None, :]
    d_coarse = d.reshape(n, oversample).mean(axis=1)
    tilt_rad = np.deg2rad(shape.tilt_deg) * d_coarse
    tilt_rate_dps = np.rad2deg(np.gradient(tilt_rad, 1.0 / fs_hz))
    return skin, tilt_rad, tilt_rate_dps


def random_shape(rng: np.random.Generator, peak_g: float) -> TwitchShape:
    """A twitch with physiological timing, a direction near the skin normal (sensor z) and a
    small tilt that grows with the twitch's size."""
    direction = np.array([0.0, 0.0, 1.0]) + rng.normal(0.0, 0.35, 3)
    direction /= np.linalg.norm(direction)
    axis = np.array([*rng.normal(0.0, 1.0, 2), 0.0])
    axis /= max(np.linalg.norm(axis), 1e-9)
    return TwitchShape(
        contraction_s=float(rng.uniform(0.035, 0.080)),
        half_relax_s=float(rng.uniform(0.025, 0.110)),
        peak_g=float(peak_g),
        tilt_deg=float(rng.uniform(0.1, 0.5) * np.sqrt(peak_g / 0.05)),
        direction=tuple(direction),
        tilt_axis=tuple(axis),
    )
