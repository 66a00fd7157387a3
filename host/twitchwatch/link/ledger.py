"""The data-quality ledger of one session: what was expected, what arrived, what was lost."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Ledger:
    """Counts for one recording session; ``as_dict()`` is what gets stored and shown.

    Every emitted sample is exactly one of: received live, backfilled, lost for good, so
    ``samples_expected == received_live + backfilled + lost``. ``lost_ranges`` holds
    ``[start, end)`` sensor-clock indices of the samples lost for good.
    """

    samples_expected: int = 0
    received_live: int = 0
    backfilled: int = 0
    lost: int = 0
    lost_ranges: list[tuple[int, int]] = field(default_factory=list)
    duplicates: int = 0               # samples that arrived twice (dropped)
    reconnects: int = 0
    disconnected_s: float = 0.0       # wall seconds without a link, summed
    fifo_overruns: int = 0            # reported by the sensor (status counter / OVERRUN flags)
    dropped_at_sensor: int = 0        # notifications the sensor could not send (status)
    bad_packets: int = 0              # malformed, wrong version, implausible or backwards
    notifications_missed: int = 0     # gaps in the notification sequence number
    backfill_requests: int = 0

    def add_lost(self, start: int, end: int) -> None:
        """Record ``[start, end)`` as lost for good, kept sorted and merged with neighbours."""
        if end <= start:
            return
        self.lost += end - start
        ranges = sorted(self.lost_ranges + [(int(start), int(end))])
        merged: list[tuple[int, int]] = []
        for lo, hi in ranges:
            if merged and lo <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
            else:
                merged.append((lo, hi))
        self.lost_ranges = merged

    @property
    def complete_fraction(self) -> float:
        return 1.0 if not self.samples_expected else 1.0 - self.lost / self.samples_expected

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["lost_ranges"] = [list(r) for r in self.lost_ranges]
        d["disconnected_s"] = round(self.disconnected_s, 3)
        d["complete_fraction"] = self.complete_fraction
        return d

    def summary(self) -> str:
        """One line for the CLI."""
        return (f"expected {self.samples_expected}, live {self.received_live}, "
                f"backfilled {self.backfilled}, lost {self.lost} in {len(self.lost_ranges)} gaps, "
                f"reconnects {self.reconnects}, offline {self.disconnected_s:.1f} s, "
                f"overruns {self.fifo_overruns}, bad packets {self.bad_packets}")
