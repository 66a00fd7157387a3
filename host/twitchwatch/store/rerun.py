"""Run the detector over a stored recording: for crash recovery and ``reanalyze``."""

from __future__ import annotations

from typing import Any

from ..detect.events import DetectorOutput
from ..errors import ConfigError
from ..recording import Recording


def current_detector_info() -> dict[str, Any]:
    """``{"version": ..., "params": {...}}`` of the detector this install runs by default."""
    from ..detect.params import DetectorParams, detector_info

    return detector_info(DetectorParams())


def params_from_info(info: dict[str, Any] | None) -> tuple[Any, bool]:
    """Detector parameters stored with a session, if this detector version can use them.

    Returns ``(params, same_version)``; ``params`` is the current default set when the
    stored version differs or its parameters no longer fit this version.
    """
    from ..detect.params import DETECTOR_VERSION, DetectorParams

    info = info or {}
    if str(info.get("version", "")) != str(DETECTOR_VERSION):
        return DetectorParams(), False
    try:
        return DetectorParams.from_dict(dict(info.get("params") or {})), True
    except (ConfigError, TypeError, ValueError):
        return DetectorParams(), False


def run_detector(rec: Recording, params: Any = None) -> tuple[DetectorOutput, dict[str, Any]]:
    """Batch detection over ``rec``; returns the output and the detector info to store."""
    from ..detect import detect
    from ..detect.params import DetectorParams, detector_info

    params = DetectorParams() if params is None else params
    out = detect(rec.accel_g, rec.gyro_dps, rec.fs_hz, params)
    return out, detector_info(params)
