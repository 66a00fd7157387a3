"""Matched filter: how much a burst looks like a twitch's waveform against the wearer's background.

A twitch's skin acceleration has a known time course (model/twitch.py: a quick inward-outward
swing, then a slower return) along the skin normal (sensor z). The generalised likelihood-ratio
statistic for a known waveform ``h`` in Gaussian background of covariance ``C`` is
``(w' x)^2 / (h' C^-1 h)`` with ``w = C^-1 h`` and ``x`` the last few band-passed samples of all
three axes; its square root is a signal-to-noise ratio in units of the background's own sigma.
It separates twitches from the bursts of a resting hand better than the envelope's size and the
burst's direction do, because it uses the waveform and because ``C`` spans time and axes: it
cancels background that moves the three axes together, and the background's own rhythms.

* The template is rendered from the project's own twitch model (its default, mid-range shape),
  band-passed as the detector sees it, ``matched_taps`` samples spaced ``stride`` apart (about
  ``matched_window_s`` at every rate). Nothing is learned from recordings.
* ``C`` is the wearer's own, from recent still blocks: per block, the lagged products of its
  band-passed samples (away from transients, as for whitening.py), summed over the last
  ``baseline_blocks`` still blocks and laid out in block-Toeplitz form (a stationary background),
  re-solved after every ``matched_every_blocks``-th block learned (both detectors feed it the
  same blocks in the same order, so they agree to the bit). Until ``matched_min_blocks``
  exist the filter is undecided (``None``).
* The statistic is evaluated only where a decision needs it (:func:`peak_snr`), as a fixed-order
  sum of element-wise products, so streaming and batch agree to the bit.

Shared by the streaming detector and the batch reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from ..model.twitch import TwitchShape, render
from .params import Design, DetectorParams


@dataclass(frozen=True)
class Layout:
    """Where the filter's taps sit: ``taps`` samples, ``stride`` apart (``span`` from first to last)."""

    taps: int
    stride: int

    @property
    def span(self) -> int:
        return (self.taps - 1) * self.stride


@dataclass(frozen=True)
class Filter:
    """A solved filter: weights (taps, 3), oldest tap first, and the background sigma of w' x."""

    weights: np.ndarray
    sigma: float


def layout(params: DetectorParams, fs_hz: float) -> Layout:
    """``matched_taps`` taps spread over about ``matched_window_s`` (fewer taps at low rates)."""
    window_n = max(2, int(round(params.matched_window_s * fs_hz)))
    taps = min(params.matched_taps, window_n)
    return Layout(taps, max(1, int(round(window_n / taps))))


def template(d: Design, lay: Layout, fs_hz: float) -> np.ndarray:
    """The model's default twitch along z, band-passed (causally, as the detector does), at the
    taps of ``lay`` where it carries the most energy; unit norm; (taps, 3), oldest tap first."""
    shape = TwitchShape(peak_g=1.0)
    skin, _, _ = render(shape, fs_hz)
    pad = np.zeros(int(round(fs_hz)))
    band = signal.sosfilt(d.band_sos, np.concatenate((pad, skin[:, 2], pad)))
    energy = np.convolve(band * band, np.ones(lay.span + 1), mode="valid")
    start = int(np.argmax(energy))
    h = band[start:start + lay.span + 1:lay.stride]
    out = np.zeros((lay.taps, 3))
    out[:, 2] = h / np.linalg.norm(h)
    return out


def block_lagged(band_xyz: np.ndarray, covered: np.ndarray, lay: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Per block (first axis) of twitch-band samples (k, n, 3): the sums (k, taps, 3, 3) over its
    free anchor samples ``a`` of ``x[a] x[a - l * stride]'`` for each lag ``l``, and the number of
    anchors. Anchors are every ``2 * stride``-th sample (enough for 180 numbers over 2 min, at
    half the cost of every ``stride``-th; the filter reads no others); one is free when neither it
    nor the first sample of its window is near a transient. Only windows inside the block are
    used, so a block's sums depend on it alone."""
    k, n, _ = band_xyz.shape
    anchors = np.arange(lay.span, n, 2 * lay.stride)
    free = ~covered[:, anchors] & ~covered[:, anchors - lay.span]
    now_t = (band_xyz[:, anchors, :] * free[:, :, None]).transpose(0, 2, 1)     # (k, 3, m)
    sums = np.empty((k, lay.taps, 3, 3))
    for lag in range(lay.taps):          # (one stacked matmul per lag: 3x faster than one per block)
        sums[:, lag] = np.matmul(now_t, band_xyz[:, anchors - lag * lay.stride, :])
    return sums, free.sum(axis=1)


def solve(lagged_sum: np.ndarray, count: int, h: np.ndarray, params: DetectorParams) -> Filter:
    """The filter for summed lagged products (taps, 3, 3) over ``count`` anchors."""
    taps = h.shape[0]
    r = lagged_sum / max(count, 1)
    # Slot j is later than slot i by (j - i) strides: E[x_i x_j'] = R[j - i]' (and R[i - j] when
    # j < i), with R[l] = E[x[a] x[a - l * stride]'].
    later = np.subtract.outer(np.arange(taps), np.arange(taps)) <= 0          # (i, j): j >= i
    lag = np.abs(np.subtract.outer(np.arange(taps), np.arange(taps)))
    blocks = np.where(later[:, :, None, None], r.transpose(0, 2, 1)[lag], r[lag])   # (i, j, 3, 3)
    cov = blocks.transpose(0, 2, 1, 3).reshape(taps * 3, taps * 3)
    cov = (cov + cov.T) / 2
    ridge = params.matched_ridge * max(float(np.trace(cov)) / (taps * 3), 1e-30)
    regularised = cov + ridge * np.eye(taps * 3)
    try:
        np.linalg.cholesky(regularised)               # positive definite: the usual case
        w = np.linalg.solve(regularised, h.ravel())
    except np.linalg.LinAlgError:
        # Lagged sums over windows inside blocks, some anchors left out, need not make a
        # positive-definite Toeplitz matrix: then its eigenvalues are raised to the ridge.
        # (Sums that are positive semi-definite by construction, the biased autocorrelation of
        # whole blocks, underestimate a 0.5 s block's longer lags and misjudged sigma by 25 %.)
        lam, vec = np.linalg.eigh(cov)
        w = vec @ ((vec.T @ h.ravel()) / np.maximum(lam, ridge))
    sigma = float(np.sqrt(max(float(h.ravel() @ w), 1e-30)))
    return Filter(w.reshape(taps, 3), sigma)


class Memory:
    """The lagged sums of the last ``baseline_blocks`` still blocks and the filter they imply,
    solved at the ``matched_min_blocks``-th block learned (None before) and re-solved after every
    ``matched_every_blocks``-th. Both detectors feed it block by block, in order."""

    def __init__(self, params: DetectorParams, h: np.ndarray) -> None:
        self.params = params
        self.h = h
        # A ring of the last baseline_blocks blocks' sums (a block's slot is overwritten when it
        # falls out of memory): summing it costs one reduction, not a stack of 240 arrays.
        self._ring = np.zeros((params.baseline_blocks,) + h.shape + (3,))
        self._counts = np.zeros(params.baseline_blocks, dtype=np.int64)
        self._learned = 0
        self.filter: Filter | None = None

    def learn(self, lagged: np.ndarray, count: int) -> Filter | None:
        """Add one still block's sums; returns the filter in force after it. (Summed only when
        solved: most blocks cost one copy.)"""
        p = self.params
        slot = self._learned % p.baseline_blocks
        self._ring[slot] = lagged
        self._counts[slot] = count
        self._learned += 1
        if self._learned == p.matched_min_blocks or (
                self._learned > p.matched_min_blocks and self._learned % p.matched_every_blocks == 0):
            self.filter = solve(self._ring.sum(axis=0), int(self._counts.sum()), self.h, p)
        return self.filter


def peak_snr(band_xyz: np.ndarray, base: int, first: int, stop: int, filt: Filter, lay: Layout) -> float:
    """The largest |SNR| of the filter over windows ending at samples [first, stop) (absolute
    indices; ``band_xyz`` holds the band-passed samples from absolute index ``base`` on, at
    least up to ``stop``). Windows reaching before ``base`` are left out (the stream's start)."""
    first = max(first, base + lay.span)
    if stop <= first:
        return 0.0
    m = stop - first
    y = np.zeros(m)
    w = filt.weights
    for j in range(lay.taps):
        at = first - base - (lay.taps - 1 - j) * lay.stride
        for c in range(3):
            y = y + w[j, c] * band_xyz[at:at + m, c]
    return float(np.max(np.abs(y))) / filt.sigma
