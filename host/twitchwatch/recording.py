"""The in-memory recording: what every file format reads into and writes from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import RecordingError

SITES = ("thenar", "calf", "thigh", "sole", "other")
SIDES = ("left", "right")


@dataclass
class Recording:
    """Uniformly sampled IMU data, accelerometer in g (gravity included), gyroscope in deg/s.

    Lost samples (gaps from a dropped link, FIFO overruns) are rows of NaN in ``accel_g``
    (and ``gyro_dps``): the time axis stays uniform and a gap is never papered over.
    """

    fs_hz: float
    accel_g: np.ndarray                      # shape (n, 3), float64; NaN rows = lost samples
    gyro_dps: np.ndarray | None = None       # shape (n, 3) or None when the sensor had no gyro
    start_wall_s: float | None = None        # Unix time of sample 0, if known
    device: str = ""
    site: str = ""                           # one of SITES, or "" when unknown
    side: str = ""                           # one of SIDES, or ""
    meta: dict[str, str] = field(default_factory=dict)
    cut_note: str | None = None              # set by readers that had to drop a damaged tail

    def __post_init__(self) -> None:
        self.accel_g = np.asarray(self.accel_g, dtype=np.float64)
        if self.accel_g.ndim != 2 or self.accel_g.shape[1] != 3:
            raise RecordingError(f"accel_g must have shape (n, 3), got {self.accel_g.shape}")
        if self.gyro_dps is not None:
            self.gyro_dps = np.asarray(self.gyro_dps, dtype=np.float64)
            if self.gyro_dps.shape != self.accel_g.shape:
                raise RecordingError(
                    f"gyro_dps shape {self.gyro_dps.shape} differs from accel_g shape {self.accel_g.shape}"
                )
        if not (np.isfinite(self.fs_hz) and 1.0 <= self.fs_hz <= 10_000.0):
            raise RecordingError(f"sample rate {self.fs_hz!r} Hz is out of range (1 to 10000 Hz)")

    @property
    def n_samples(self) -> int:
        return int(self.accel_g.shape[0])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs_hz

    @property
    def lost_mask(self) -> np.ndarray:
        """True where a sample was lost (a NaN row)."""
        return ~np.isfinite(self.accel_g).all(axis=1)

    def lost_spans(self) -> list[tuple[int, int]]:
        """Runs of lost samples as ``[start, end)`` sample-index pairs."""
        lost = self.lost_mask.astype(np.int8)
        edges = np.diff(np.concatenate(([0], lost, [0])))
        starts = np.flatnonzero(edges == 1)
        ends = np.flatnonzero(edges == -1)
        return [(int(a), int(b)) for a, b in zip(starts, ends)]
