import numpy as np

from twitchwatch.model.motion import rotate, sensor_noise
from twitchwatch.model.twitch import TwitchShape, random_shape, render

FS = 208.0


def still_background(seconds: float, fs: float = FS, seed: int = 0, noise_ug: float = 70.0):
    """A still sensor: gravity along a fixed direction, IMU noise, a constant gyro bias."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    g0 = np.array([0.1, -0.2, 0.97])
    g0 /= np.linalg.norm(g0)
    noise_a, noise_g = sensor_noise(rng, n, fs, noise_ug, 3.8)
    return np.tile(g0, (n, 1)) + noise_a, noise_g + np.array([0.4, -0.3, 0.2])


NORMAL = (0.2, 0.1, 1.0)       # close to the skin normal (the sensor's z axis), as most twitches
IN_PLANE = (1.0, 0.3, 0.1)     # in the skin's plane: along one line, but not along z


def add_twitch(accel, gyro, t_s, peak_g, tilt_deg, fs=FS, contraction_s=0.05, half_relax_s=0.07,
               direction=NORMAL):
    """Add one model twitch (with its tilt and rotation) at t_s; returns its onset index."""
    shape = TwitchShape(contraction_s=contraction_s, half_relax_s=half_relax_s, peak_g=peak_g,
                        tilt_deg=tilt_deg, direction=direction, tilt_axis=(1.0, 0.0, 0.0))
    skin, tilt_rad, rate = render(shape, fs)
    i = int(t_s * fs)
    k = min(len(skin), len(accel) - i)
    rot = np.zeros((k, 3))
    rot[:, 0] = tilt_rad[:k]
    accel[i:i + k] = rotate(accel[i:i + k], -rot) + skin[:k]
    gyro[i:i + k, 0] += rate[:k]
    return i


def add_random_twitch(accel, gyro, rng, t_s, peak_g, fs=FS):
    """Add one model twitch of random shape, direction, tilt and tilt axis at t_s."""
    shape = random_shape(rng, peak_g)
    skin, tilt_rad, rate_dps = render(shape, fs)
    i = int(t_s * fs)
    axis = np.asarray(shape.tilt_axis)
    accel[i:i + len(skin)] = rotate(accel[i:i + len(skin)], -tilt_rad[:, None] * axis[None, :]) + skin
    gyro[i:i + len(skin)] += rate_dps[:, None] * axis[None, :]


def dense_train(seed: int):
    """16 model twitches (random shapes, tilts and axes), 0.2-0.3 s apart, on a still sensor."""
    rng = np.random.default_rng(seed)
    accel, gyro = still_background(30.0)
    times = 10.0 + np.cumsum(rng.uniform(0.2, 0.3, 16))
    for t_s in times:
        add_random_twitch(accel, gyro, rng, t_s, rng.uniform(0.05, 0.15))
    return accel, gyro, times


def streamed(det, accel, gyro, bounds):
    """Feed ``det`` the pieces ``accel[a:b]`` (and gyro) between consecutive ``bounds``, then
    finish; returns everything it output as ``(twitches, episodes, monitored)``."""
    tw, ep, mon = [], [], []
    for a, b in zip(bounds, bounds[1:]):
        out = det.process(accel[a:b], None if gyro is None else gyro[a:b])
        tw, ep, mon = tw + out.twitches, ep + out.episodes, mon + out.monitored
    out = det.finish()
    return tw + out.twitches, ep + out.episodes, mon + out.monitored
