"""The one interface every sample source offers: the simulated sensor, a replayed recording
and the BLE sensor. The detector, the store and the app never know which is behind it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import AsyncIterator, Protocol

import numpy as np


@dataclass(frozen=True)
class SampleChunk:
    """Consecutive samples on the sensor clock.

    ``first_index`` is the sensor-clock index of the first row; chunks from one source are
    delivered in index order without overlap. Samples lost for good are NaN rows, so the
    index always advances by ``len(accel_g)``. ``wall_s`` is the wall-clock time of the
    first sample (Unix seconds) as the source best knows it.
    """

    first_index: int
    accel_g: np.ndarray              # (n, 3) float64
    gyro_dps: np.ndarray | None      # (n, 3) float64 or None
    wall_s: float

    def __len__(self) -> int:
        return int(self.accel_g.shape[0])


class Source(Protocol):
    """An async stream of :class:`SampleChunk`.

    ``fs_hz`` is known once :meth:`chunks` has produced its first chunk (for BLE, once the
    sensor reported its rate). ``state`` is a short word for the UI: "simulated", "replay",
    "scanning", "connecting", "streaming", "reconnecting", "lost", "stopped".

    A source may also say which sensor full scale its samples fit in: ``accel_range_g`` (±g)
    and ``gyro_range_dps`` (±dps), known by the first chunk, or None; see :func:`full_scale`.
    """

    name: str
    fs_hz: float
    state: str

    def chunks(self) -> AsyncIterator[SampleChunk]: ...

    async def stop(self) -> None: ...


def full_scale(source: object) -> tuple[int | None, int | None]:
    """``(accel_range_g, gyro_range_dps)``: the full scale the source's samples fit in, as the
    source states it (for a BLE sensor, its status); None where the source does not say."""
    accel = getattr(source, "accel_range_g", None)
    gyro = getattr(source, "gyro_range_dps", None)
    return (None if accel is None else int(accel)), (None if gyro is None else int(gyro))
