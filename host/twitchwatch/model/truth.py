"""Ground truth that the simulator emits beside each recording (and stores as JSON)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class TrueTwitch:
    onset_s: float
    duration_s: float          # until the skin acceleration has died down (< 10 % of peak)
    peak_g: float
    episode: int | None = None  # index into GroundTruth.episodes, None for an isolated twitch


@dataclass(frozen=True)
class TrueEpisode:
    start_s: float              # first twitch onset
    end_s: float                # last twitch's end
    twitch_count: int

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass
class GroundTruth:
    twitches: list[TrueTwitch] = field(default_factory=list)
    episodes: list[TrueEpisode] = field(default_factory=list)
    moving: list[tuple[float, float]] = field(default_factory=list)   # voluntary movement spans

    def to_json(self) -> str:
        return json.dumps(
            {
                "twitches": [asdict(t) for t in self.twitches],
                "episodes": [asdict(e) for e in self.episodes],
                "moving": [list(span) for span in self.moving],
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> "GroundTruth":
        raw = json.loads(text)
        return cls(
            twitches=[TrueTwitch(**t) for t in raw["twitches"]],
            episodes=[TrueEpisode(**e) for e in raw["episodes"]],
            moving=[(float(a), float(b)) for a, b in raw["moving"]],
        )

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> "GroundTruth":
        return cls.from_json(Path(path).read_text())
