"""Whitening: weigh the twitch band's three axes by the wearer's own still-time background.

A real background is not the same along every axis: on a wrist it is 2-6x stronger along one
axis than along the others (HA24, idle and reading clips). A twitch of unknown direction stands
out best against such a background in ``x' M x`` with ``M`` the inverse of the background's
covariance (the generalised likelihood-ratio statistic for a burst of unknown direction in
Gaussian noise). ``M`` is scaled so that the background's total power is unchanged, so the
envelope and the threshold keep their meaning in g.

The covariance comes from the twitch-band samples of recent still blocks, with the samples near
a transient left out and the median taken over blocks, so that a wearer's own repeated twitches
never teach the detector to ignore their direction. Shared by the streaming detector and the batch reference.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .params import DetectorParams

# The six distinct products x_i * x_j of a 3-vector, and the weight of each in x' M x.
PAIRS = ((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2))
IDENTITY = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])     # plain magnitude: x' x


def products(x: np.ndarray) -> np.ndarray:
    """(n, 3) -> (n, 6): the products x_i * x_j of ``PAIRS`` per row."""
    return np.stack([x[:, i] * x[:, j] for i, j in PAIRS], axis=1)


def plain_envelope(power6: np.ndarray) -> np.ndarray:
    """sqrt(x' x): the unwhitened envelope from low-passed products (n, 6)."""
    return np.sqrt(np.maximum(power6[:, 0] + power6[:, 1] + power6[:, 2], 0.0))


def envelope(power6: np.ndarray, weights6: np.ndarray) -> np.ndarray:
    """sqrt(x' M x) from low-passed products (n, 6) and the weights (6,) of M."""
    return envelope_rows(power6, np.broadcast_to(weights6, power6.shape))


def metric(weights6: np.ndarray) -> np.ndarray:
    """The 3x3 matrix M of the weights (6,) of x' M x."""
    w = weights6
    return np.array([[w[0], w[3] / 2, w[4] / 2], [w[3] / 2, w[1], w[5] / 2], [w[4] / 2, w[5] / 2, w[2]]])


def block_covariance(band_xyz: np.ndarray, covered: np.ndarray, params: DetectorParams) -> tuple[np.ndarray, np.ndarray]:
    """Per block (first axis) of twitch-band samples (k, n, 3): the mean products (k, 6) over the
    samples not ``covered`` by a transient, and whether enough of the block was free to use."""
    free = ~covered
    count = free.sum(axis=1)
    prods = products(band_xyz.reshape(-1, 3)).reshape(band_xyz.shape[:2] + (6,))
    mean = np.sum(prods * free[:, :, None], axis=1) / np.maximum(count, 1)[:, None]
    return mean, count >= params.whiten_min_free * band_xyz.shape[1]


def weights(block_covs: np.ndarray, params: DetectorParams) -> np.ndarray:
    """The weights (6,) of x' M x for recent block covariances (b, 6); the plain magnitude until
    baseline_min_blocks of them exist. Their element-wise median, not their mean, so that a few
    blocks with a burst in them (a twitch's tail, a knock) do not steer it."""
    if len(block_covs) < params.baseline_min_blocks or params.whiten_strength == 0:
        return IDENTITY
    return weights_of(np.median(block_covs, axis=0)[None], params)[0]


def weights_of(cov6: np.ndarray, params: DetectorParams) -> np.ndarray:
    """Vectorised core of :func:`weights`: covariances (m, 6) -> weights (m, 6). Element-wise
    arithmetic throughout, so a row gives the same bits alone or in a stack."""
    c = cov6
    cov = np.stack([np.stack([c[:, 0], c[:, 3], c[:, 4]], axis=1),
                    np.stack([c[:, 3], c[:, 1], c[:, 5]], axis=1),
                    np.stack([c[:, 4], c[:, 5], c[:, 2]], axis=1)], axis=1)
    lam, vec = np.linalg.eigh(cov)
    mean = (lam[:, 0] + lam[:, 1] + lam[:, 2]) / 3.0
    ok = mean > 0
    safe = np.where(ok, mean, 1.0)
    # A near-silent axis (a quantised or dead channel) must not get an enormous gain.
    lam = np.maximum(lam, params.whiten_floor * safe[:, None])
    gain = (safe[:, None] / lam) ** params.whiten_strength

    def m(i: int, j: int) -> np.ndarray:
        return vec[:, i, 0] * vec[:, j, 0] * gain[:, 0] + vec[:, i, 1] * vec[:, j, 1] * gain[:, 1] \
            + vec[:, i, 2] * vec[:, j, 2] * gain[:, 2]
    out = np.stack([m(0, 0), m(1, 1), m(2, 2), 2 * m(0, 1), 2 * m(0, 2), 2 * m(1, 2)], axis=1)
    return np.where(ok[:, None], out, IDENTITY[None, :])


def envelope_rows(power6: np.ndarray, weights_rows: np.ndarray) -> np.ndarray:
    """:func:`envelope` with weights per row (n, 6). Summed term by term, element by element, so
    a row gives the same bits whatever rows surround it (streaming equals batch)."""
    total = power6[:, 0] * weights_rows[:, 0]
    for k in range(1, 6):
        total = total + power6[:, k] * weights_rows[:, k]
    return np.sqrt(np.maximum(total, 0.0))


class Memory:
    """The streaming detector's whitening state: covariances of the last ``baseline_blocks``
    still blocks (seeded from a calibration's) and the weights they imply, recomputed after
    every ``whiten_every_blocks``-th block learned."""

    def __init__(self, params: DetectorParams, calibration_cov6: tuple[float, ...] | None = None) -> None:
        self.params = params
        self._covs: deque[np.ndarray] = deque(maxlen=params.baseline_blocks)
        if calibration_cov6 is not None:
            self._covs.extend([np.array(calibration_cov6)] * params.baseline_min_blocks)
        self._learned = 0
        self.weights = weights(np.array(self._covs), params) if self._covs else IDENTITY

    def learn(self, new_covs: np.ndarray) -> list[np.ndarray]:
        """Add still blocks' covariances (m, 6); returns the weights in force after each. The
        windows of a full memory are done in one vectorised step (with the same arithmetic as
        :func:`weights`, so the batch reference agrees to the bit)."""
        p = self.params
        size = p.baseline_blocks
        history = np.concatenate((np.array(self._covs).reshape(-1, 6), new_covs))
        before = history.shape[0] - new_covs.shape[0]
        self._covs.extend(new_covs)
        m = new_covs.shape[0]
        due = [q for q in range(m) if (self._learned + q + 1) % p.whiten_every_blocks == 0]
        self._learned += m
        ends = [before + q + 1 for q in due]                 # history rows the windows end at
        full = [e for e in ends if e >= size and p.whiten_strength != 0]
        new = [weights(history[max(0, e - size):e], p) for e in ends[:len(ends) - len(full)]]
        if full:
            windows = sliding_window_view(history, size, axis=0)[[e - size for e in full]]   # a copy
            new.extend(weights_of(_median_last_axis(windows), p))
        out, w, updates = [], self.weights, dict(zip(due, new))
        for q in range(m):
            w = updates.get(q, w)
            out.append(w)
        self.weights = w
        return out


def _median_last_axis(x: np.ndarray) -> np.ndarray:
    """``np.median(x, axis=-1)`` to the bit (the middle value, or the mean of the two middle
    ones), partitioning ``x`` in place: twice as fast, and the median of every window of a full
    memory is the largest cost of whitening."""
    half = x.shape[-1] // 2
    if x.shape[-1] % 2:
        x.partition(half, axis=-1)
        return x[..., half].copy()
    x.partition((half - 1, half), axis=-1)
    return (x[..., half - 1] + x[..., half]) / 2
