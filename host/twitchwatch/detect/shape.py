"""Shape rules: does a burst move the skin as a twitch does?

A twitch is one muscle bulging and relaxing under the sensor, so the skin moves back and forth
along one line, close to the skin normal: the sensor's z axis when it lies flat on the skin (as
the build guide mounts it). Much of a resting hand's background in the twitch band is not like
that: on the tuning recordings, bursts of a small twitch's size had a median of 0.26 of their
peak along z and 0.83 of their energy along one line; the model twitches that only a lower
threshold finds had medians of 0.89 and 0.95 (docs/detector.md, step 6).

Two rules use it. The second chance (:func:`twitch_shaped`) counts a burst the main test passed
over if it is along one line *and* along z. The veto (:func:`untwitch_like`) drops a burst the
main test took if it is *neither* along one line *nor* along z. A twitch that moves the skin
some other way than along z (a pod worn on its side, a tendon pulling sideways) still moves it
along one line, so it is held to the main test as before 2.3.
"""

from __future__ import annotations

import numpy as np


def shape_shares(window_xyz: np.ndarray, peak_xyz: np.ndarray) -> tuple[float, float]:
    """``(normal_share, line_share)`` of a burst: how much of its band-passed acceleration at the
    peak lies along z (|cosine|), and the share of the band energy over ``window_xyz`` (n, 3)
    along its main direction (largest eigenvalue of the scatter matrix over its trace)."""
    peak_norm = float(np.sqrt(peak_xyz @ peak_xyz))
    normal = abs(float(peak_xyz[2])) / peak_norm if peak_norm > 0.0 else 0.0
    scatter = window_xyz.T @ window_xyz
    trace = float(np.trace(scatter))
    line = float(np.linalg.eigvalsh(scatter)[-1]) / trace if trace > 0.0 else 0.0
    return normal, line


def twitch_shaped(window_xyz: np.ndarray, peak_xyz: np.ndarray, min_normal_share: float,
                  min_line_share: float) -> bool:
    """Along one line and along z: the second chance's test."""
    normal, line = shape_shares(window_xyz, peak_xyz)
    return normal >= min_normal_share and line >= min_line_share


def untwitch_like(window_xyz: np.ndarray, peak_xyz: np.ndarray, max_line_share: float,
                  max_normal_share: float) -> bool:
    """Neither along one line nor along z: the veto's test (not how a twitch moves the skin)."""
    normal, line = shape_shares(window_xyz, peak_xyz)
    return line < max_line_share and normal < max_normal_share
