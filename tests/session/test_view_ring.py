"""The plot view's ring buffer returns exactly the newest window, oldest first, whatever the
chunk sizes (including chunks longer than the window)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twitchwatch.session import View


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(1, 260), min_size=1, max_size=25))
def test_view_snapshot_is_the_newest_window(sizes):
    rng = np.random.default_rng(len(sizes))
    view = View(100.0, 1.0)
    pushed = []
    index = 0
    for n in sizes:
        band = rng.normal(size=n)
        view.push(index, band, 2 * band, band > 0, np.c_[band, -band, band])
        pushed.append(band)
        index += n
    want = np.concatenate([np.full(view.size, np.nan)] + pushed)[-view.size:]
    snap = view.snapshot()
    assert np.array_equal(snap["band_g"], want, equal_nan=True)
    assert np.array_equal(snap["threshold_g"], 2 * want, equal_nan=True)
    assert np.array_equal(snap["raw_g"][:, 1], -want, equal_nan=True)
    assert snap["t_s"][-1] == (index - 1) / 100.0 and len(snap["t_s"]) == view.size
