"""The BACKFILL requests still being answered, and which holes are due to be asked (again).

The sensor answers requests one after another, in the order they were made, so a request is
overdue only when nothing has answered it (or anything made after it) for
``backfill_timeout_s``. How often each range was asked decides when :mod:`.stream` gives it
up as lost for good. Bookkeeping only: the radio and the buffer are the stream's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np


@dataclass
class _Request:
    lo: int
    hi: int
    t_s: float          # monotonic time it was made or last answered; -inf: overdue
    tries: int
    order: int = 0      # the sensor answers requests in this order


class BackfillRequests:
    """Outstanding requests over unwrapped sensor-clock indices ``[lo, hi)``."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._requests: list[_Request] = []
        self._n_requests = 0

    def due(self, holes: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
        """The holes to ask for now, each with how often it was asked, ``(lo, hi, tries)``;
        requests for what is no longer missing are forgotten."""
        now = time.monotonic()
        self._requests = [r for r in self._requests if any(lo < r.hi and r.lo < hi for lo, hi in holes)]
        todo: list[tuple[int, int, int]] = []
        for lo, hi in holes:
            overlapping = [r for r in self._requests if lo < r.hi and r.lo < hi]
            if any(now - r.t_s < self.timeout_s for r in overlapping):
                continue
            tries = max((r.tries for r in overlapping), default=0)
            todo.append((lo, hi, tries))
        return todo

    def asked(self, hole: tuple[int, int], lo: int, tries: int) -> None:
        """A BACKFILL of ``[lo, hole end)`` goes out, the ``tries``-th for that hole; it
        replaces the requests over the hole."""
        self._requests = [r for r in self._requests if not (hole[0] < r.hi and r.lo < hole[1])]
        self._n_requests += 1
        self._requests.append(_Request(lo, hole[1], time.monotonic(), tries, self._n_requests))

    def answered(self, first: int, n: int) -> None:
        """A backfill answer with new samples ``[first, first + n)`` arrived. Requests made
        before the one being answered are finished (what is still missing of them was lost on
        the way and may be asked again now); those made after it are queued, not overdue."""
        answering = [r for r in self._requests if r.lo < first + n and first < r.hi]
        if not answering:
            return
        order = max(r.order for r in answering)
        now = time.monotonic()
        for r in self._requests:
            if r.order < order:
                r.t_s = -np.inf
            else:
                r.t_s = now
