import numpy as np

from twitchwatch.model.motion import rotate, sensor_noise
from twitchwatch.model.twitch import TwitchShape, render

FS = 208.0


def still_background(seconds: float, fs: float = FS, seed: int = 0, noise_ug: float = 70.0):
    """A still sensor: gravity along a fixed direction, IMU noise, a constant gyro bias."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    g0 = np.array([0.1, -0.2, 0.97])
    g0 /= np.linalg.norm(g0)
    noise_a, noise_g = sensor_noise(rng, n, fs, noise_ug, 3.8)
    return np.tile(g0, (n, 1)) + noise_a, noise_g + np.array([0.4, -0.3, 0.2])


def add_twitch(accel, gyro, t_s, peak_g, tilt_deg, fs=FS, contraction_s=0.05, half_relax_s=0.07):
    """Add one model twitch (with its tilt and rotation) at t_s; returns its onset index."""
    shape = TwitchShape(contraction_s=contraction_s, half_relax_s=half_relax_s, peak_g=peak_g,
                        tilt_deg=tilt_deg, direction=(0.2, 0.1, 1.0), tilt_axis=(1.0, 0.0, 0.0))
    skin, tilt_rad, rate = render(shape, fs)
    i = int(t_s * fs)
    k = min(len(skin), len(accel) - i)
    rot = np.zeros((k, 3))
    rot[:, 0] = tilt_rad[:k]
    accel[i:i + k] = rotate(accel[i:i + k], -rot) + skin[:k]
    gyro[i:i + k, 0] += rate[:k]
    return i


