"""The twitch detector: streaming (:class:`TwitchDetector`) and batch reference (:func:`detect`)."""

from .batch import detect
from .calibration import Calibration, calibrate
from .events import DetectorOutput, Episode, Span, Twitch
from .params import DETECTOR_VERSION, DetectorParams, detector_info
from .streaming import Trace, TwitchDetector

__all__ = [
    "Calibration", "calibrate", "detect", "DetectorOutput", "DetectorParams", "DETECTOR_VERSION",
    "detector_info", "Episode", "Span", "Trace", "Twitch", "TwitchDetector",
]
