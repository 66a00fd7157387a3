"""Twitch physics: timing, amplitude, and the small tilt that comes back."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twitchwatch.model.twitch import TwitchShape, displacement, random_shape, render

FS = 208.0
contraction = st.floats(0.035, 0.080)
half_relax = st.floats(0.025, 0.110)
peak = st.floats(0.005, 0.5)
tilt = st.floats(0.05, 1.0)


def _active_s(skin: np.ndarray, fs: float) -> float:
    """From onset until the skin acceleration has died below 10 % of its peak."""
    mag = np.linalg.norm(skin, axis=1)
    active = np.flatnonzero(mag >= 0.1 * mag.max())
    return (active[-1] + 1) / fs


@settings(max_examples=40, deadline=None)
@given(contraction, half_relax)
def test_physiological_timing_gives_60_to_250_ms_twitches(c_s, h_s):
    """Contraction 35–80 ms and half-relaxation 25–110 ms: the muscle surface is displaced (above
    10 % of its peak) for ~60–270 ms, peaks at the contraction time, and the skin acceleration's
    energy lies within that twitch."""
    shape = TwitchShape(contraction_s=c_s, half_relax_s=h_s, tilt_deg=1.0)
    skin, tilt_rad, _ = render(shape, FS)
    up = np.flatnonzero(tilt_rad >= 0.1 * tilt_rad.max())     # tilt follows the displacement
    width_s = (up[-1] + 1 - up[0]) / FS
    assert 0.06 <= width_s <= 0.27
    assert abs(np.argmax(tilt_rad) / FS - c_s) <= 1.5 / FS
    assert 0.06 <= c_s + h_s <= 0.19                           # time to half relaxation
    energy = np.sum(skin ** 2, axis=1)
    assert energy[: int(np.ceil((c_s + 2 * h_s) * FS)) + 1].sum() >= 0.97 * energy.sum()
    assert 0.03 <= _active_s(skin, FS) <= 0.25


@settings(max_examples=40, deadline=None)
@given(contraction, half_relax, peak, st.sampled_from([104.0, 208.0, 416.0]))
def test_rendered_peak_equals_requested(c_s, h_s, peak_g, fs):
    skin, _, _ = render(TwitchShape(contraction_s=c_s, half_relax_s=h_s, peak_g=peak_g,
                                    direction=(0.3, -0.2, 0.93)), fs)
    assert np.linalg.norm(skin, axis=1).max() == np.float64(peak_g) or \
        abs(np.linalg.norm(skin, axis=1).max() - peak_g) <= 1e-9 * peak_g


@settings(max_examples=40, deadline=None)
@given(contraction, half_relax, tilt)
def test_tilt_returns_to_zero_and_gyro_integrates_to_zero(c_s, h_s, tilt_deg):
    shape = TwitchShape(contraction_s=c_s, half_relax_s=h_s, tilt_deg=tilt_deg)
    _, tilt_rad, rate_dps = render(shape, FS)
    top = np.deg2rad(tilt_deg)
    assert tilt_rad.max() <= top * (1 + 1e-9) and tilt_rad.max() >= 0.8 * top
    assert tilt_rad[0] <= 0.03 * top                 # starts level (first sample averages 4.8 ms of rise) ...
    assert tilt_rad[-1] <= 0.02 * top                # ... and comes back
    # The gyro sees the tilt going and coming: its integral is the (near zero) net tilt.
    angle_deg = np.cumsum(rate_dps) / FS
    assert abs(angle_deg[-1]) <= 0.05 * tilt_deg
    assert abs(angle_deg.max() - tilt_deg) <= 0.1 * tilt_deg   # but on the way it saw the tilt


def test_displacement_shape():
    t = np.linspace(0, 0.5, 5001)
    d = displacement(t, 0.05, 0.06)
    assert d.max() == 1.0 and abs(t[np.argmax(d)] - 0.05) < 1e-3
    assert abs(np.interp(0.5, d[t > 0.05][::-1], t[t > 0.05][::-1]) - 0.11) < 1e-3   # half at c + h
    assert np.all(np.diff(d[t <= 0.05]) >= 0) and np.all(np.diff(d[t >= 0.05]) <= 0)
    assert displacement(np.array([-0.1]), 0.05, 0.06)[0] == 0.0


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), peak)
def test_random_shape_is_physiological(seed, peak_g):
    shape = random_shape(np.random.default_rng(seed), peak_g)
    assert 0.035 <= shape.contraction_s <= 0.080 and 0.025 <= shape.half_relax_s <= 0.110
    assert shape.peak_g == peak_g
    assert abs(np.linalg.norm(shape.direction) - 1) < 1e-9 and abs(np.linalg.norm(shape.tilt_axis) - 1) < 1e-9
    assert shape.tilt_axis[2] == 0.0                 # tilts about an axis in the skin plane
    assert 0 < shape.tilt_deg <= 0.5 * np.sqrt(peak_g / 0.05) + 1e-12
