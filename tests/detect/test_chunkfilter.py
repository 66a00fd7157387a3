"""ChunkFilter gives sosfilt's numbers exactly, through the fast kernel and the fallback alike."""

import numpy as np
import pytest
from scipy import signal

from twitchwatch.detect import chunkfilter
from twitchwatch.detect.chunkfilter import ChunkFilter


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("channels", [None, 3])
def test_chunked_equals_whole_sosfilt(monkeypatch, fast, channels):
    monkeypatch.setattr(chunkfilter, "_KERNEL_OK", fast and chunkfilter._KERNEL_OK)
    rng = np.random.default_rng(1)
    sos = signal.butter(4, [5, 40], btype="bandpass", fs=208.0, output="sos")
    x = rng.normal(size=(1000,) if channels is None else (1000, channels))
    zi = signal.sosfilt_zi(sos) if channels is None else signal.sosfilt_zi(sos)[:, :, None] * x[0]
    want = signal.sosfilt(sos, x, axis=0, zi=zi * (x[0] if channels is None else 1))[0]
    f = ChunkFilter(sos, zi * (x[0] if channels is None else 1))
    got = np.concatenate([f(x[a:a + 7]) for a in range(0, len(x), 7)])
    assert np.array_equal(got, want)


def test_the_fast_kernel_is_in_use_here():
    """If a SciPy upgrade moves the private kernel, the detector still works (fallback) but is
    slower; this test says so instead of letting it pass unnoticed."""
    assert chunkfilter._KERNEL_OK, "scipy's compiled sosfilt kernel is not usable; ChunkFilter fell back"
