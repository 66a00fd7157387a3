"""The wearer's own rest baseline: a short still recording sets the starting threshold."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError


@dataclass(frozen=True)
class Calibration:
    """Median twitch-band envelope (g) over still one-second blocks of a rest recording, and the
    twitch-band covariance of that rest (the six products of ``whitening.PAIRS``, g^2), which
    starts the whitening; None in calibrations made before detector 2.1."""

    noise_g: float
    still_blocks: int
    site: str = ""
    side: str = ""
    cov6: tuple[float, ...] | None = None
    block_s: float = 1.0            # the detector's block length when it was made (1 s before 2.1)

    @property
    def still_s(self) -> float:
        return self.still_blocks * self.block_s

    def as_dict(self) -> dict:
        return {"noise_g": self.noise_g, "still_blocks": self.still_blocks, "site": self.site, "side": self.side,
                "cov6": None if self.cov6 is None else list(self.cov6), "block_s": self.block_s}

    @classmethod
    def from_dict(cls, raw: dict) -> "Calibration":
        cov = raw.get("cov6")
        return cls(float(raw["noise_g"]), int(raw["still_blocks"]), raw.get("site", ""), raw.get("side", ""),
                   None if cov is None else tuple(float(v) for v in cov), float(raw.get("block_s", 1.0)))


def calibrate(accel_g: np.ndarray, gyro_dps: np.ndarray | None, fs_hz: float, params=None,
              site: str = "", side: str = "", min_still_s: float = 10.0) -> Calibration:
    """Build a :class:`Calibration` from a rest recording (about 30 s, hand relaxed).

    Raises ConfigError when the recording holds under ``min_still_s`` of still time, with a hint.
    """
    from . import matched, whitening
    from .batch import front_end          # local import: batch imports this module's sibling
    from .params import DetectorParams, design, envelope_quantile

    params = params or DetectorParams()
    d = design(params, fs_hz)
    fe = front_end(np.asarray(accel_g, dtype=np.float64), gyro_dps, d, params, matched.layout(params, fs_hz))
    n = fe.band_g.size
    still = np.flatnonzero(fe.block_still[:n // d.block_n])
    still_s = still.size * d.block_n / fs_hz
    if still_s < min_still_s:
        raise ConfigError(
            f"only {still_s:.0f} s of the {n / fs_hz:.0f} s calibration were still; "
            f"rest the {site or 'muscle'} on a support, relax, and calibrate again")
    # The whole rest at once (no need to be causal here): its covariance, then the whitened
    # envelope's quantile in each still block.
    usable = [k for k in still if fe.block_cov_ok[k]]
    cov6 = np.median(fe.block_cov[usable], axis=0) if usable else None
    w = whitening.IDENTITY if cov6 is None else whitening.weights(fe.block_cov[usable], params)
    env = whitening.envelope(fe.power_fast[:still.max() * d.block_n + d.block_n], w)
    quantiles = [float(envelope_quantile(env[k * d.block_n:(k + 1) * d.block_n][None], params)[0]) for k in still]
    return Calibration(noise_g=float(np.median(quantiles)), still_blocks=int(still.size), site=site, side=side,
                       cov6=None if cov6 is None else tuple(float(v) for v in cov6), block_s=params.block_s)
