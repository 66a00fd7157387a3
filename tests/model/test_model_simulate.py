"""Simulated days and their ground truth; twitch injection into real backgrounds; resampling."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twitchwatch.model.simulate import SimConfig, inject_twitches, resample, simulate, still_mask
from twitchwatch.model.truth import GroundTruth, TrueEpisode, TrueTwitch

BUSY = dict(episodes_per_hour=240.0, isolated_per_hour=240.0)
MAX_RENDER_S = 0.08 + 0.11 * np.sqrt(np.log(100) / np.log(2)) + 2 / 208   # longest rendered twitch


@pytest.fixture(scope="module")
def day():
    cfg = SimConfig(duration_s=600.0, seed=21, movement_fraction=0.3, **BUSY)
    rec, truth = simulate(cfg)
    return cfg, rec, truth


def test_same_seed_same_day_other_seed_other_day():
    cfg = SimConfig(duration_s=30.0, seed=4, **BUSY)
    a, ta = simulate(cfg)
    b, tb = simulate(cfg)
    assert np.array_equal(a.accel_g, b.accel_g) and np.array_equal(a.gyro_dps, b.gyro_dps)
    assert ta == tb
    c, tc = simulate(SimConfig(duration_s=30.0, seed=5, **BUSY))
    assert not np.allclose(a.accel_g, c.accel_g)
    assert ta != tc


def test_recording_fields(day):
    cfg, rec, _ = day
    assert rec.fs_hz == cfg.fs_hz and rec.n_samples == int(cfg.duration_s * cfg.fs_hz)
    assert rec.gyro_dps is not None and np.isfinite(rec.accel_g).all() and np.isfinite(rec.gyro_dps).all()
    assert (rec.site, rec.side, rec.start_wall_s) == (cfg.site, cfg.side, cfg.start_wall_s)
    # Gravity is there and stays 1 g in magnitude through the orientation changes (low-passed).
    g = np.linalg.norm(rec.accel_g.reshape(-1, 208, 3).mean(axis=1), axis=1)
    assert np.median(g) == pytest.approx(1.0, abs=0.01)
    assert simulate(SimConfig(duration_s=5.0, with_gyro=False))[0].gyro_dps is None


def test_truth_twitches_and_episodes_are_consistent(day):
    cfg, rec, truth = day
    assert len(truth.episodes) >= 10 and len(truth.twitches) >= 40
    onsets = [t.onset_s for t in truth.twitches]
    assert onsets == sorted(onsets)
    lo, hi = cfg.peak_g_range
    for tw in truth.twitches:
        assert lo <= tw.peak_g <= hi
        assert 0 <= tw.onset_s and tw.onset_s + tw.duration_s <= rec.duration_s
        assert 0.02 <= tw.duration_s <= 0.3
    for i, ep in enumerate(truth.episodes):
        members = [t for t in truth.twitches if t.episode == i]
        assert len(members) == ep.twitch_count >= 3
        assert ep.start_s == members[0].onset_s
        assert ep.end_s == pytest.approx(members[-1].onset_s + members[-1].duration_s)
        assert ep.duration_s <= cfg.episode_s_range[1] + 0.3
        gaps = np.diff([t.onset_s for t in members])
        assert (gaps >= 0.3 - 1.0 / rec.fs_hz).all()          # onsets fall on samples
    assert all(t.episode is None or 0 <= t.episode < len(truth.episodes) for t in truth.twitches)
    durations = [e.duration_s for e in truth.episodes]
    assert 3.0 <= np.median(durations) <= 5.0


def test_every_true_episode_lasts_3_to_5_s():
    """Episodes fill their 3–5 s window: the last twitch starts 0.15 s before the window ends and
    lasts 30–250 ms, so the span from first onset to last twitch end is within ±0.15 s of it."""
    durations = []
    for seed in range(4):
        _, truth = simulate(SimConfig(duration_s=600.0, seed=seed, episodes_per_hour=120.0))
        durations += [e.duration_s for e in truth.episodes]
    assert len(durations) >= 40
    assert 3.0 - 0.15 <= min(durations) and max(durations) <= 5.0 + 0.15
    assert np.percentile(durations, 10) >= 3.0 and np.percentile(durations, 90) <= 5.0


def test_twitches_never_inside_movement(day):
    cfg, rec, truth = day
    assert truth.moving
    moved = sum(b - a for a, b in truth.moving) / rec.duration_s
    assert 0.8 * cfg.movement_fraction <= moved <= cfg.movement_fraction + 40.0 / rec.duration_s
    for (a1, b1), (a2, _) in zip(truth.moving, truth.moving[1:]):
        assert b1 <= a2
    for tw in truth.twitches:
        end = tw.onset_s + tw.duration_s
        assert all(end <= a or tw.onset_s >= b for a, b in truth.moving), tw
    # The twitches are in the signal where the truth says: the still background is quiet, and
    # each twitch adds its peak (high-passed, so gravity drops out).
    from scipy import signal
    hp = signal.sosfiltfilt(signal.butter(4, 5.0, "highpass", fs=rec.fs_hz, output="sos"), rec.accel_g, axis=0)
    mag = np.linalg.norm(hp, axis=1)
    for tw in truth.twitches[:30]:
        i = int(round(tw.onset_s * rec.fs_hz))
        assert mag[i:i + int(0.3 * rec.fs_hz)].max() >= 0.5 * tw.peak_g


def test_truth_json_round_trip(day, tmp_path):
    _, _, truth = day
    assert GroundTruth.from_json(truth.to_json()) == truth
    path = tmp_path / "t.truth.json"
    truth.save(path)
    assert GroundTruth.load(path) == truth


finite = st.floats(0.0, 1e6, allow_nan=False)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.builds(TrueTwitch, finite, finite, finite, st.none() | st.integers(0, 100)), max_size=8),
       st.lists(st.builds(TrueEpisode, finite, finite, st.integers(0, 1000)), max_size=5),
       st.lists(st.tuples(finite, finite), max_size=5))
def test_truth_json_round_trip_any(twitches, episodes, moving):
    truth = GroundTruth(twitches, episodes, moving)
    assert GroundTruth.from_json(truth.to_json()) == truth


@pytest.fixture(scope="module")
def background():
    """A twitch-free 'real' background: movement bouts and stillness, no twitches."""
    rec, truth = simulate(SimConfig(duration_s=120.0, seed=8, movement_fraction=0.4, episodes_per_hour=0,
                                    isolated_per_hour=0))
    assert not truth.twitches
    return rec


def test_inject_twitches_only_in_still_windows_and_background_untouched(background):
    rec, truth = inject_twitches(background, SimConfig(seed=3, fs_hz=background.fs_hz, **BUSY))
    fs = rec.fs_hz
    still = still_mask(background)
    assert 0.2 < still.mean() < 0.9, "the background must have both still and moving time"
    assert len(truth.twitches) >= 5
    touched = np.zeros(rec.n_samples, dtype=bool)
    for tw in truth.twitches:
        a = int(round(tw.onset_s * fs))
        assert still[a:a + int(np.ceil(tw.duration_s * fs))].all(), tw
        touched[a:a + int(np.ceil(MAX_RENDER_S * fs))] = True
    changed = (rec.accel_g != background.accel_g).any(axis=1) | (rec.gyro_dps != background.gyro_dps).any(axis=1)
    assert changed.any()
    assert not (changed & ~touched).any(), "samples away from every injected twitch were modified"
    # Truth 'moving' is exactly the background's non-still spans.
    moving = np.zeros(rec.n_samples, dtype=bool)
    for a, b in truth.moving:
        moving[int(round(a * fs)):int(round(b * fs))] = True
    assert np.array_equal(moving, ~still)
    assert rec.meta["injected"].startswith("model twitches") and rec.fs_hz == background.fs_hz


def test_inject_is_deterministic_and_keeps_gyro_absence(background):
    cfg = SimConfig(seed=3, **BUSY)
    a, ta = inject_twitches(background, cfg)
    b, tb = inject_twitches(background, cfg)
    assert np.array_equal(a.accel_g, b.accel_g) and ta == tb
    from dataclasses import replace
    c, tc = inject_twitches(replace(background, gyro_dps=None), cfg)
    assert c.gyro_dps is None and tc.twitches


@pytest.mark.parametrize("fs_hz", [104.0, 100.0, 416.0])
def test_resample_keeps_duration_and_signal(background, fs_hz):
    out = resample(background, fs_hz)
    assert out.fs_hz == pytest.approx(fs_hz)
    assert abs(out.duration_s - background.duration_s) <= 1.0 / min(fs_hz, background.fs_hz)
    assert out.gyro_dps is not None and out.gyro_dps.shape == out.accel_g.shape
    # Slow content (gravity, orientation) survives: compare 1 s means.
    k = int(background.duration_s) - 1
    m_in = background.accel_g[: int(k * background.fs_hz)].reshape(k, -1, 3).mean(axis=1)
    m_out = out.accel_g[: int(k * fs_hz)].reshape(k, -1, 3).mean(axis=1)
    np.testing.assert_allclose(m_out[1:-1], m_in[1:-1], atol=2e-3)


def test_twitch_tilt_scale_scales_only_the_tilt(background):
    # Same seed: the same twitches at the same places; only their tilt (so the gyro's added
    # rotation rate) grows with the scale, and the skin acceleration's twitch part stays.
    cfg = SimConfig(seed=3, fs_hz=background.fs_hz, **BUSY)
    from dataclasses import replace
    base, t1 = inject_twitches(background, cfg)
    same, _ = inject_twitches(background, replace(cfg, twitch_tilt_scale=1.0))
    big, t3 = inject_twitches(background, replace(cfg, twitch_tilt_scale=3.0))
    flat, t0 = inject_twitches(background, replace(cfg, twitch_tilt_scale=0.0))
    assert t1 == t3 == t0 and len(t1.twitches) >= 5
    assert np.array_equal(base.accel_g, same.accel_g) and np.array_equal(base.gyro_dps, same.gyro_dps)
    added = base.gyro_dps - background.gyro_dps
    assert np.abs(added).max() > 0.5, "the model's twitches must rotate the sensor"
    np.testing.assert_allclose(big.gyro_dps - background.gyro_dps, 3.0 * added, atol=1e-9)
    np.testing.assert_array_equal(flat.gyro_dps, background.gyro_dps)
