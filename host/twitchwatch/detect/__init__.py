"""The twitch detector: streaming (:class:`TwitchDetector`) and batch reference (:func:`detect`).

Names are loaded on first use, so that importing ``twitchwatch.detect.events`` (as the store and
the UI do) does not pull in scipy.
"""

from importlib import import_module

_WHERE = {
    "detect": "batch", "Calibration": "calibration", "calibrate": "calibration",
    "DetectorOutput": "events", "Episode": "events", "Span": "events", "Twitch": "events",
    "DETECTOR_VERSION": "params", "DetectorParams": "params", "detector_info": "params",
    "Trace": "streaming", "TwitchDetector": "streaming",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
