"""Timing parameters of the BLE link: scanning, connecting, reconnect backoff, backfill
retries and stall detection. Shared by the connection (:mod:`.source`) and the sample stream
(:mod:`.stream`); ``twitchwatch.ble.source.LinkParams`` is the same class.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LinkParams:
    """Timing of the link (wall seconds). ``time_scale`` > 1 only for sped-up simulators."""

    scan_timeout_s: float = 10.0
    connect_timeout_s: float = 10.0
    backoff_min_s: float = 0.25
    backoff_max_s: float = 5.0        # never wait longer than this between tries
    process_interval_s: float = 0.02
    backfill_timeout_s: float = 2.0   # no progress for this long: ask again
    # Then the samples are lost for good. Each try is lost only if its answer is lost in the
    # air, so at 5 % packet loss 6 tries give up on a recoverable packet with odds 0.05**6.
    backfill_tries: int = 6
    window_extra_s: float = 30.0      # reorder window = sensor ring + this
    io_timeout_s: float = 5.0         # a GATT read/write that takes longer has failed
    stall_timeout_s: float = 5.0      # streaming but no notification this long: reconnect
    time_scale: float = 1.0           # sensor seconds per wall second
    remember: bool = True
