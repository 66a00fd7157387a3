"""A second-order-sections filter with carried state, cheap enough for 50 ms chunks.

``scipy.signal.sosfilt`` spends about 70 µs per call validating and reshaping before its
compiled kernel runs; the live detector filters five signals per 10-sample chunk, so that
overhead was most of its cost. :class:`ChunkFilter` checks its arrays once and then calls the
same compiled kernel, so the numbers are bit-for-bit those of ``sosfilt`` (checked at import;
if a SciPy release changes the private kernel, it falls back to the public function).
"""

from __future__ import annotations

import numpy as np
from scipy import signal

try:
    from scipy.signal._sosfilt import _sosfilt as _kernel   # private: verified below
except ImportError:                                         # pragma: no cover - other SciPy
    _kernel = None


class ChunkFilter:
    """Filter consecutive chunks of an (n,) or (n, channels) signal along axis 0.

    ``zi`` is in ``sosfilt``'s layout for axis 0: (sections, 2) or (sections, 2, channels).
    """

    def __init__(self, sos: np.ndarray, zi: np.ndarray) -> None:
        self.sos = np.ascontiguousarray(sos, dtype=np.float64)
        zi = np.asarray(zi, dtype=np.float64)
        self.one_d = zi.ndim == 2
        # Kernel layout: (channels, sections, 2), C-contiguous, updated in place.
        self._zi = np.ascontiguousarray(zi[None] if self.one_d else np.moveaxis(zi, (0, 1), (1, 2)))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if _KERNEL_OK:
            xt = np.array(x[None] if self.one_d else x.T, dtype=np.float64, order="C")
            _kernel(self.sos, xt, self._zi)
            return xt[0] if self.one_d else xt.T
        zi = self._zi[0] if self.one_d else np.moveaxis(self._zi, (1, 2), (0, 1))
        y, zf = signal.sosfilt(self.sos, x, axis=0, zi=zi)
        self._zi = np.ascontiguousarray(zf[None] if self.one_d else np.moveaxis(zf, (0, 1), (1, 2)))
        return y


def _kernel_matches_public() -> bool:
    if _kernel is None:
        return False
    try:
        rng = np.random.default_rng(0)
        sos = signal.butter(4, [5, 40], btype="bandpass", fs=208.0, output="sos")
        x = rng.normal(size=(50, 3))
        zi = rng.normal(size=(sos.shape[0], 2, 3))
        want, want_zf = signal.sosfilt(sos, x, axis=0, zi=zi)
        f = ChunkFilter.__new__(ChunkFilter)
        f.sos, f.one_d = np.ascontiguousarray(sos), False
        f._zi = np.ascontiguousarray(np.moveaxis(zi, (0, 1), (1, 2)))
        xt = np.array(x.T, order="C")
        _kernel(f.sos, xt, f._zi)
        return bool(np.array_equal(xt.T, want) and np.array_equal(np.moveaxis(f._zi, (1, 2), (0, 1)), want_zf))
    except Exception:                                        # pragma: no cover - other SciPy
        return False


_KERNEL_OK = _kernel_matches_public()
