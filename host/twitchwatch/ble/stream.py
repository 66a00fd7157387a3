"""The data path of the BLE source: data notifications in, SampleChunks out in index order.

Every packet is checked (sequence number, data rate, an index this sensor can have now) and
its samples are placed by index in the reorder buffer; duplicates are dropped. Missing samples
are asked for again with BACKFILL, and what the sensor can no longer send is declared lost for
good in the :class:`Ledger`. Resolved runs leave as SampleChunks stamped by the sensor-clock
fit. The connection is :mod:`.source`'s: it hands over notifications and statuses, and the
connected client (None while offline) that backfill is asked through.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable

from bleak import BleakClient
from bleak.exc import BleakError

from ..link.buffer import SampleBuffer
from ..link.clock import ClockFit
from ..link.ledger import Ledger
from ..sources.base import SampleChunk
from . import protocol as P
from .backfill import BackfillRequests
from .link_params import LinkParams

logger = logging.getLogger(__name__)


def really_cancelled() -> bool:
    """True when the running task itself is being cancelled (not a stack-internal future)."""
    task = asyncio.current_task()
    return task is None or task.cancelling() > 0


class SensorStream:
    """The samples of one session; it starts with the sensor's first status (rate, ring)."""

    def __init__(self, params: LinkParams, ledger: Ledger, emit: Callable[[SampleChunk], None],
                 on_status: Callable[[P.Status], None]) -> None:
        self.params = params
        self.ledger = ledger
        self._emit = emit
        self._on_status = on_status           # a status read here is news for the source too
        self.fs_hz = 0.0
        self._inbox: list[tuple[bytes, float]] = []     # (notification, wall arrival s) not yet placed
        self._buffer: SampleBuffer | None = None
        self._clock: ClockFit | None = None
        self._last_seq: int | None = None
        self._backfill = BackfillRequests(params.backfill_timeout_s)
        self._overrun_flags = 0               # packets that carried the OVERRUN flag
        # The sensor counts from its boot; the ledger counts from the first status seen.
        self._overrun_base: int | None = None
        self._dropped_base: int | None = None

    @property
    def configured(self) -> bool:
        """True once the sensor's first status set the rate and the reorder window."""
        return self._buffer is not None

    @property
    def started(self) -> bool:
        """True once the first live packet fixed the index where the session begins."""
        return self._buffer is not None and self._buffer.cursor is not None

    def caught_up(self) -> bool:
        """Nothing waiting to be placed and no holes below the highest sample (once started)."""
        assert self._buffer is not None
        return not self._inbox and not self._buffer.holes()

    def receive(self, packet: bytes, arrival_s: float) -> None:
        """A data notification and its wall arrival time (Unix s); placed on the next pass."""
        self._inbox.append((packet, arrival_s))

    def new_link(self) -> None:
        """A new connection: the sensor may have restarted its sequence counter."""
        self._last_seq = None

    def apply_status(self, status: P.Status) -> None:
        """The first status sizes the stream; every one brings the sensor's loss counters."""
        if self._buffer is None:
            self.fs_hz = float(status.odr_hz)
            window = int((status.ring_s + self.params.window_extra_s) * status.odr_hz)
            self._buffer = SampleBuffer(window)
            self._clock = ClockFit(status.odr_hz * self.params.time_scale)
        if self._overrun_base is None:
            self._overrun_base, self._dropped_base = status.fifo_overruns, status.dropped_notifications
        self.ledger.fifo_overruns = max(self._overrun_flags, status.fifo_overruns - self._overrun_base)
        self.ledger.dropped_at_sensor = status.dropped_notifications - (self._dropped_base or 0)

    async def run(self, client: Callable[[], BleakClient | None]) -> None:
        """Place, repair and release every ``process_interval_s`` until cancelled; ``client``
        gives the connected client, None while offline."""
        while True:
            await asyncio.sleep(self.params.process_interval_s)
            # Nothing but this task's own cancellation may end it: if it ended, notifications
            # would pile up unprocessed while the link looks healthy.
            try:
                self._ingest()
                connected = client()
                if connected is not None and self.started:
                    await self._repair(connected)
                self._release()
            except (BleakError, OSError, asyncio.TimeoutError) as err:
                logger.info("link processing: %r", err)
            except asyncio.CancelledError:
                if really_cancelled():
                    raise
                logger.info("link processing: a radio operation was cancelled by the stack")
            except Exception as err:  # noqa: BLE001 - keep the data path alive, say why
                logger.warning("link processing: unexpected %r", err, exc_info=True)

    def finish(self) -> None:
        """The link is closed for good: place what arrived, declare what is still missing
        lost, and release everything."""
        self._ingest()
        if self._buffer is None or self._buffer.cursor is None:
            return
        for lo, hi in self._buffer.holes():
            for a, b in self._buffer.declare_lost(lo, hi):
                self.ledger.add_lost(a, b)
        self._release()

    # ------------------------------------------------------------------ packets in
    def _ingest(self) -> None:
        """Decode what arrived and place it in the buffer."""
        if not self._inbox or self._buffer is None:
            return
        inbox, self._inbox = self._inbox, []
        batch = P.decode_packets([p for p, _ in inbox])
        self.ledger.bad_packets += len(batch.bad)
        starts = batch.packet_starts()
        buf, clock = self._buffer, self._clock
        assert clock is not None
        for k in range(len(batch.seq)):
            arrival = inbox[int(batch.position[k])][1]
            if not self._accept_seq(int(batch.seq[k])):
                self.ledger.bad_packets += 1
                continue
            if int(batch.odr_hz[k]) != int(self.fs_hz):
                self.ledger.bad_packets += 1        # a rate we did not set: not this session's data
                continue
            n = int(batch.n[k])
            if buf.cursor is None:
                if batch.backfill[k]:
                    continue                        # history from before the session began
                buf.start(int(batch.first_index[k]))
                first = buf.cursor
            else:
                first = self._unwrap(int(batch.first_index[k]))
                if not self._plausible(first, n, arrival):
                    self.ledger.bad_packets += 1
                    continue
            rows = slice(int(starts[k]), int(starts[k]) + n)
            new, overflow = buf.insert(first, batch.accel_g[rows], batch.gyro_dps[rows])
            for a, b in overflow:
                self.ledger.add_lost(a, b)
            fresh = int(new.sum())
            self.ledger.duplicates += n - fresh
            if batch.backfill[k]:
                self.ledger.backfilled += fresh
                if fresh:
                    self._backfill.answered(first, n)
            else:
                self.ledger.received_live += fresh
                clock.add(first + n - 1, arrival)
            if batch.overrun[k]:
                self._overrun_flags += 1
                self.ledger.fifo_overruns = max(self.ledger.fifo_overruns, self._overrun_flags)

    def _accept_seq(self, seq: int) -> bool:
        if self._last_seq is not None:
            d = (seq - self._last_seq) % P.SEQ_MODULUS
            if d == 0 or d >= P.SEQ_MODULUS // 2:
                return False                        # repeated or backwards: a stale packet
            self.ledger.notifications_missed += d - 1
        self._last_seq = seq
        return True

    def _unwrap(self, idx32: int) -> int:
        assert self._buffer is not None
        ref = self._buffer.highest
        d = (idx32 - ref) % P.INDEX_MODULUS
        if d >= P.INDEX_MODULUS // 2:
            d -= P.INDEX_MODULUS
        return ref + d

    def _plausible(self, first: int, n: int, arrival: float) -> bool:
        """Reject indices that cannot be this sensor's now (corrupt or foreign packets)."""
        buf, clock = self._buffer, self._clock
        assert buf is not None and buf.cursor is not None and clock is not None
        if first + n <= buf.cursor - buf.window_n:
            return False
        ahead_limit = buf.highest + buf.window_n
        if clock.n >= 2:
            ahead_limit = max(buf.highest, int(clock.index_at(arrival))) + int(5 * self.fs_hz * self.params.time_scale)
        return first + n <= ahead_limit

    # ------------------------------------------------------------------ backfill
    async def _repair(self, client: BleakClient) -> None:
        """Ask for missing samples; declare lost what the sensor can no longer send."""
        buf = self._buffer
        assert buf is not None
        todo = self._backfill.due(buf.holes())
        if not todo:
            return
        try:
            status = P.decode_status(bytes(await asyncio.wait_for(
                client.read_gatt_char(P.STATUS_UUID), self.params.io_timeout_s)))
            self._on_status(status)
        except (BleakError, OSError, ValueError, asyncio.TimeoutError) as err:
            logger.debug("status read: %s", err)
            return
        oldest = self._unwrap(status.oldest_index)
        for lo, hi, tries in todo:
            cut = max(lo, min(hi, oldest)) if tries < self.params.backfill_tries else hi
            if cut > lo:
                logger.info("samples %d-%d lost for good (%s)", lo, cut,
                            "asked %d times" % tries if cut == hi and oldest <= lo else "no longer in the ring")
                for a, b in buf.declare_lost(lo, cut):
                    self.ledger.add_lost(a, b)
            if cut >= hi:
                continue
            self._backfill.asked((lo, hi), cut, tries + 1)
            self.ledger.backfill_requests += 1
            try:
                await asyncio.wait_for(client.write_gatt_char(
                    P.CONTROL_UUID, P.encode_backfill(cut, hi), response=True), self.params.io_timeout_s)
            except (BleakError, OSError, asyncio.TimeoutError) as err:
                logger.debug("backfill write: %s", err)
                return

    # ------------------------------------------------------------------ samples out
    def _release(self) -> None:
        """Emit what is resolved (present or lost) in index order, stamped on the wall clock."""
        buf, clock = self._buffer, self._clock
        if buf is None or buf.cursor is None or clock is None:
            return
        for rel in buf.release():
            n = len(rel.accel_g)
            self.ledger.samples_expected += n
            wall = clock.stamp(rel.first_index) if clock.ready else time.time()
            self._emit(SampleChunk(rel.first_index, rel.accel_g, rel.gyro_dps, wall))
