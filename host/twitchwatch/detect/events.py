"""What the detector reports: twitches, episodes and monitored spans.

All times are integer sample indices from the start of the stream, so streaming and batch
results compare exactly; ``*_s`` helpers convert with the sample rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Twitch:
    """One detected twitch: the envelope crossed the threshold at ``onset`` and fell back
    below the release level at ``offset`` (exclusive). ``peak_g`` is the largest band-passed
    acceleration magnitude between them, at sample ``peak``. ``rule`` says which test counted
    it (docs/detector.md): "main", the main test; "edge", the main test next to a movement
    (twitch-shaped bursts only); "second", the second chance at a lower threshold."""

    onset: int
    offset: int
    peak: int
    peak_g: float
    rule: str = "main"

    def as_dict(self, fs_hz: float) -> dict:
        return {
            "onset_s": round(self.onset / fs_hz, 4),
            "offset_s": round(self.offset / fs_hz, 4),
            "peak_g": round(self.peak_g, 5),
            "rule": self.rule,
        }


@dataclass(frozen=True)
class Episode:
    """A run of twitches whose gaps are all at most the episode gap (see DetectorParams).

    ``start`` is the first twitch's onset and ``end`` the last twitch's offset.
    """

    start: int
    end: int
    onsets: tuple[int, ...]          # onset of every twitch in the episode, ascending
    peak_g: float

    @property
    def twitch_count(self) -> int:
        return len(self.onsets)

    def intervals_s(self, fs_hz: float) -> list[float]:
        """Onset-to-onset intervals inside the episode, in seconds."""
        return [(b - a) / fs_hz for a, b in zip(self.onsets, self.onsets[1:])]

    def as_dict(self, fs_hz: float) -> dict:
        return {
            "start_s": round(self.start / fs_hz, 4),
            "end_s": round(self.end / fs_hz, 4),
            "duration_s": round((self.end - self.start) / fs_hz, 4),
            "twitch_count": self.twitch_count,
            "peak_g": round(self.peak_g, 5),
            "intervals_s": [round(v, 4) for v in self.intervals_s(fs_hz)],
        }


@dataclass(frozen=True)
class Span:
    """A ``[start, end)`` run of samples during which the detector was monitoring (still)."""

    start: int
    end: int


@dataclass
class DetectorOutput:
    """Everything the detector completed during one ``process()`` or ``finish()`` call."""

    twitches: list[Twitch] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    monitored: list[Span] = field(default_factory=list)
    trace: object | None = None      # streaming.Trace of this call, when the detector keeps one

    def extend(self, other: "DetectorOutput") -> None:
        self.twitches.extend(other.twitches)
        self.episodes.extend(other.episodes)
        self.monitored.extend(other.monitored)
