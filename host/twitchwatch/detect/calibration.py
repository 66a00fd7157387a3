"""The wearer's own rest baseline: a short still recording sets the starting threshold."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError


@dataclass(frozen=True)
class Calibration:
    """Median twitch-band envelope (g) over still one-second blocks of a rest recording."""

    noise_g: float
    still_blocks: int
    site: str = ""
    side: str = ""

    def as_dict(self) -> dict:
        return {"noise_g": self.noise_g, "still_blocks": self.still_blocks, "site": self.site, "side": self.side}

    @classmethod
    def from_dict(cls, raw: dict) -> "Calibration":
        return cls(float(raw["noise_g"]), int(raw["still_blocks"]), raw.get("site", ""), raw.get("side", ""))


def calibrate(accel_g: np.ndarray, gyro_dps: np.ndarray | None, fs_hz: float, params=None,
              site: str = "", side: str = "", min_still_s: float = 10.0) -> Calibration:
    """Build a :class:`Calibration` from a rest recording (about 30 s, hand relaxed).

    Raises ConfigError when the recording holds under ``min_still_s`` of still time, with a hint.
    """
    from .batch import front_end          # local import: batch imports this module's sibling
    from .params import DetectorParams, design

    params = params or DetectorParams()
    d = design(params, fs_hz)
    fe = front_end(np.asarray(accel_g, dtype=np.float64), gyro_dps, d, params)
    complete = fe.envelope_g.size // d.block_n
    medians = [float(q) for q, still in zip(fe.block_quantile[:complete], fe.block_still[:complete]) if still]
    still_s = len(medians) * d.block_n / fs_hz
    if still_s < min_still_s:
        raise ConfigError(
            f"only {still_s:.0f} s of the {fe.envelope_g.size / fs_hz:.0f} s calibration were still; "
            f"rest the {site or 'muscle'} on a support, relax, and calibrate again")
    return Calibration(noise_g=float(np.median(medians)), still_blocks=len(medians), site=site, side=side)
