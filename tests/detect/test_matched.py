"""The matched filter (matched.py): its template, its calibration against the wearer's own
background, and what it tells a twitch from a burst of that background's own rhythm."""

import numpy as np
import pytest
from scipy import signal

from twitchwatch.detect import DetectorParams
from twitchwatch.detect import matched
from twitchwatch.detect.params import ConfigError, design
from twitchwatch.model.twitch import TwitchShape, render

P = DetectorParams()


@pytest.mark.parametrize("fs", [52.0, 104.0, 208.0, 416.0])
def test_template_spans_a_twitch_at_every_rate(fs):
    lay = matched.layout(P, fs)
    h = matched.template(design(P, fs), lay, fs)
    assert h.shape == (lay.taps, 3)
    assert np.isclose(np.linalg.norm(h), 1.0)
    assert np.all(h[:, :2] == 0.0)                          # along z only
    assert 0.15 <= lay.span / fs <= 0.2                     # about matched_window_s
    assert np.sum(np.diff(np.sign(h[np.abs(h[:, 2]) > 0.1, 2])) != 0) >= 2   # swings both ways


def _band(fs, x):
    return signal.sosfilt(design(P, fs).band_sos, x, axis=0)


def _learn(band, fs, lay, h, params=P):
    """Feed still blocks of band-passed background to a Memory, as the detectors do."""
    d = design(params, fs)
    k = band.shape[0] // d.block_n
    blocks = band[:k * d.block_n].reshape(k, d.block_n, 3)
    sums, counts = matched.block_lagged(blocks, np.zeros((k, d.block_n), dtype=bool), lay)
    memory = matched.Memory(params, h)
    for j in range(k):
        memory.learn(sums[j], int(counts[j]))
    return memory.filter


def _tremor_background(rng, n, fs, tremor_g=3e-3):
    """Sensor noise plus an 8-12 Hz rhythm along z (a resting hand's physiological tremor)."""
    x = rng.normal(0.0, 1e-4, (n, 3))
    b = signal.butter(4, [8.0, 12.0], btype="bandpass", fs=fs, output="sos")
    x[:, 2] += tremor_g * signal.sosfilt(b, rng.normal(0.0, 1.0, n)) / 0.3
    return x


@pytest.mark.parametrize("fs", [104.0, 208.0])
def test_snr_is_in_units_of_the_backgrounds_sigma(fs):
    rng = np.random.default_rng(1)
    lay = matched.layout(P, fs)
    h = matched.template(design(P, fs), lay, fs)
    band = _band(fs, _tremor_background(rng, int(120 * fs), fs, tremor_g=3e-4))
    filt = _learn(band, fs, lay, h)
    assert filt is not None
    fresh = _band(fs, _tremor_background(np.random.default_rng(2), int(60 * fs), fs, tremor_g=3e-4))
    per_sample = [matched.peak_snr(fresh, 0, t, t + 1, filt, lay) for t in range(lay.span, fresh.shape[0], 7)]
    rms = float(np.sqrt(np.mean(np.square(per_sample))))
    assert 0.8 <= rms <= 1.25
    assert np.mean(np.array(per_sample) >= P.matched_veto_snr) < 0.001


@pytest.mark.parametrize("every", [7, 45])
def test_each_solve_uses_exactly_the_last_baseline_blocks(every):
    """The memory is a ring of baseline_blocks blocks: once it has wrapped, a solve must see the
    newest blocks alone (here a memory of 30 blocks, re-solved every 7th block, or every 45th,
    so more often and less often than it turns over)."""
    fs = 104.0
    params = DetectorParams(baseline_blocks=30, baseline_min_blocks=5, matched_min_blocks=5, matched_every_blocks=every)
    lay = matched.layout(params, fs)
    h = matched.template(design(params, fs), lay, fs)
    d = design(params, fs)
    band = _band(fs, _tremor_background(np.random.default_rng(5), 200 * d.block_n, fs))
    # Louder as time goes on, so that a solve over any other blocks gives another filter.
    band *= np.repeat(np.linspace(1.0, 3.0, 200), d.block_n)[:, None]
    sums, counts = matched.block_lagged(band.reshape(200, d.block_n, 3), np.zeros((200, d.block_n), dtype=bool), lay)
    memory = matched.Memory(params, h)
    after = [memory.learn(sums[j], int(counts[j])) for j in range(200)]
    assert after[3] is None and after[4] is not None                  # solved at the 5th block
    for last in range(every, 201, every):                             # ... then at every multiple of `every`
        first = max(0, last - 30)
        want = matched.solve(sums[first:last].sum(axis=0), int(counts[first:last].sum()), h, params)
        got = after[last - 1]
        assert got is not None and got is not after[last - 2]
        assert np.allclose(got.weights, want.weights, rtol=1e-9) and np.isclose(got.sigma, want.sigma, rtol=1e-9)


def test_undecided_until_enough_still_blocks():
    fs = 104.0
    lay = matched.layout(P, fs)
    h = matched.template(design(P, fs), lay, fs)
    band = _band(fs, _tremor_background(np.random.default_rng(3), int(4 * fs), fs))   # 8 blocks
    assert _learn(band, fs, lay, h) is None


def test_a_twitch_scores_far_above_a_burst_of_tremor_of_equal_size():
    """Against a tremor background (2.6 mg SD along z), a burst of that tremor and a model twitch
    with the same band-passed peak (4 mg): the twitch's waveform scores over the veto level and
    over five times the tremor burst's (whose rhythm the background already has)."""
    fs = 104.0
    rng = np.random.default_rng(4)
    lay = matched.layout(P, fs)
    h = matched.template(design(P, fs), lay, fs)
    filt = _learn(_band(fs, _tremor_background(rng, int(120 * fs), fs)), fs, lay, h)
    assert filt is not None
    quiet = _tremor_background(rng, int(4 * fs), fs)
    at = int(2 * fs)
    skin, _, _ = render(TwitchShape(contraction_s=0.045, half_relax_s=0.08, peak_g=1.0), fs)
    t = np.arange(int(0.3 * fs)) / fs
    tremor = np.sin(2 * np.pi * 10.0 * t) * np.hanning(t.size)
    twitch_band = _band(fs, np.concatenate((np.zeros(at), skin[:, 2], np.zeros(int(fs)))))
    tremor_band = _band(fs, np.concatenate((np.zeros(at), tremor, np.zeros(int(fs)))))
    size = 0.004                                             # 4 mg band-passed peak, each
    results = {}
    for name, burst in (("twitch", twitch_band), ("tremor", tremor_band)):
        x = _band(fs, quiet)
        x[:burst.size, 2] += size * burst[:x.shape[0]] / np.abs(burst).max()
        results[name] = matched.peak_snr(x, 0, at, at + int(0.4 * fs), filt, lay)
    assert results["twitch"] >= P.matched_veto_snr
    assert results["twitch"] > 5 * results["tremor"]


def test_peak_snr_reads_only_its_windows():
    """Streaming keeps only recent samples: the result must not depend on what lies before
    the first window or after the last."""
    fs = 104.0
    lay = matched.layout(P, fs)
    h = matched.template(design(P, fs), lay, fs)
    band = _band(fs, _tremor_background(np.random.default_rng(5), int(60 * fs), fs))
    filt = _learn(band, fs, lay, h)
    a, b = 3000, 3050
    whole = matched.peak_snr(band, 0, a, b, filt, lay)
    part = matched.peak_snr(band[a - lay.span:b], a - lay.span, a, b, filt, lay)
    assert whole == part


@pytest.mark.parametrize("field,value", [("matched_taps", 1), ("matched_window_s", 2.0),
                                         ("matched_veto_snr", -1.0), ("matched_every_blocks", 0)])
def test_bad_matched_parameters_are_refused(field, value):
    with pytest.raises(ConfigError, match="matched"):
        DetectorParams(**{field: value}).validate(104.0)
