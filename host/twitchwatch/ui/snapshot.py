"""Plain, immutable snapshots the controller hands to the widgets (no Qt)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Counts:
    """Today's tallies as shown in the counters row."""

    twitches_today: int = 0
    episodes_today: int = 0
    last_episode_s: float | None = None
    monitored_s: float = 0.0
    scope: str = "today"              # "today" for real data; "simulated" or "replay" otherwise

    @property
    def twitches_per_monitored_h(self) -> float | None:
        # Under five minutes of monitoring a rate would mislead; show a dash instead
        # (the same rule as LiveSession's counts).
        if self.monitored_s < 300.0:
            return None
        return self.twitches_today / (self.monitored_s / 3600.0)


@dataclass(frozen=True)
class LinkStatus:
    """Where the samples come from and how healthy the link is (from the link's ledger)."""

    source_name: str = ""
    kind: str = "none"                # "simulated", "replay", "ble", "none"
    state: str = "stopped"
    device: str = ""
    battery_pct: float | None = None
    loss_pct: float | None = None
    reconnects: int = 0


@dataclass(frozen=True)
class EpisodeRow:
    """One row of today's episode table."""

    start_wall_s: float               # Unix time of the first twitch
    duration_s: float
    twitch_count: int
    site: str
    side: str
    first_index: int                  # sample indices into the live stream (for the trace)
    end_index: int
    key: str = ""                     # store id when the episode came from the store
