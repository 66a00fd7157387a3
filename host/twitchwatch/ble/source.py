"""The BLE sensor as a :class:`~twitchwatch.sources.base.Source`.

Connects with bleak (the OS's stack, or a Bumble virtual radio when ``bumble=`` is given),
subscribes, and turns notifications into SampleChunks in sensor-index order: every sample is
placed by its index, gaps are found from sample indices (and sequence numbers), missing
samples are asked for again with BACKFILL and merged in order, duplicates are dropped, and
what is lost for good becomes NaN rows recorded in the :class:`Ledger`. It reconnects by
itself, forever, with a bounded backoff, and resumes streaming with no user action.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator

import numpy as np
from bleak import BleakClient
from bleak.exc import BleakError

from ..errors import LinkError
from ..link.buffer import SampleBuffer
from ..link.clock import ClockFit
from ..link.ledger import Ledger
from ..sources.base import SampleChunk
from . import protocol as P
from .discovery import backend_kwargs, remember_device, remembered_device, scan_sensors

logger = logging.getLogger(__name__)


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


_STOP_SETTLE_S = 0.1    # a control write takes effect at the sensor's next FIFO read (~50 ms)


def _really_cancelled() -> bool:
    """True when the running task itself is being cancelled (not a stack-internal future)."""
    task = asyncio.current_task()
    return task is None or task.cancelling() > 0


@dataclass
class _Request:
    lo: int
    hi: int
    t_s: float
    tries: int
    order: int = 0


class BleSensorSource:
    """Source for a real (or Bumble-simulated) twitchwatch sensor."""

    def __init__(self, device: Any = None, *, bumble: Any = None,
                 params: LinkParams = LinkParams()) -> None:
        self.params = params
        self.bumble = bumble
        self._target = device                 # BLEDevice, name, address or None (remembered)
        self.name = str(getattr(device, "name", None) or device or "sensor")
        self.fs_hz = 0.0
        self.state = "scanning"
        self.ledger = Ledger()
        self.device_info: dict[str, str] = {}
        self.battery_pct: int | None = None
        self.status: P.Status | None = None
        self._queue: asyncio.Queue[SampleChunk | None] = asyncio.Queue()
        self._inbox: list[tuple[bytes, float]] = []
        self._client: BleakClient | None = None
        self._disconnected = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[Any]] = []
        self._buffer: SampleBuffer | None = None
        self._clock: ClockFit | None = None
        self._last_seq: int | None = None
        self._requests: list[_Request] = []
        self._n_requests = 0
        self._overrun_flags = 0
        self._overrun_base: int | None = None
        self._dropped_base: int | None = None
        self._t_disconnect: float | None = None
        self._t_last_data = 0.0               # monotonic time of the last notification
        self._live_wanted = False             # START sent and not yet STOPped
        self._stop_requested = False          # stop() began: finish backfill, no new START
        self._stopped = asyncio.Event()

    # ------------------------------------------------------------------ public
    async def chunks(self) -> AsyncIterator[SampleChunk]:
        """Sample chunks in index order until :meth:`stop`."""
        device = await self._find_device()
        self._tasks = [asyncio.create_task(self._link_loop(device)),
                       asyncio.create_task(self._process_loop())]
        while True:
            chunk = await self._queue.get()
            if chunk is None:
                return
            yield chunk

    async def stop(self) -> None:
        """Stop streaming, resolve what is pending (lost for good), end :meth:`chunks`."""
        if self._stop_requested:
            await self._stopped.wait()         # a second caller waits for the first
            return
        self._stop_requested = True
        try:
            await self._stop()
        finally:
            self._stopped.set()

    async def _stop(self) -> None:
        client = self._client
        io_s = self.params.io_timeout_s
        # Halt the live stream first (the sensor's ring keeps filling and it keeps answering
        # BACKFILL), so no new holes open while the known ones are filled; then give pending
        # backfill as long as its retries take, so the last seconds are not lost.
        self._live_wanted = False
        if client is not None and client.is_connected:
            try:
                await asyncio.wait_for(client.write_gatt_char(P.CONTROL_UUID, P.encode_stop(), response=True), io_s)
            except (BleakError, OSError, asyncio.TimeoutError) as err:
                logger.debug("stop: %s", err)
        # Live packets sent before the sensor applied STOP (within ~50 ms) are still arriving
        # and may reveal holes: wait until the link has been quiet that long with no holes.
        settle_s = max(_STOP_SETTLE_S, 2 * self.params.process_interval_s)
        deadline = time.monotonic() + settle_s + (self.params.backfill_tries + 1) * self.params.backfill_timeout_s
        while (self._client is not None and self._client.is_connected and self._buffer is not None
               and self._buffer.cursor is not None and time.monotonic() < deadline):
            if not self._inbox and not self._buffer.holes() and time.monotonic() - self._t_last_data > settle_s:
                break
            await asyncio.sleep(self.params.process_interval_s)
        self._stopping = True
        if client is not None and client.is_connected:
            try:
                await asyncio.wait_for(client.disconnect(), io_s)
            except (BleakError, OSError, asyncio.TimeoutError) as err:
                logger.debug("stop: %s", err)
        self._disconnected.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception) as err:  # noqa: BLE001 - shutting down
                if not isinstance(err, asyncio.CancelledError):
                    logger.warning("link task ended with %r", err)
        self._ingest()
        if self._buffer is not None and self._buffer.cursor is not None:
            for lo, hi in self._buffer.holes():
                for a, b in self._buffer.declare_lost(lo, hi):
                    self.ledger.add_lost(a, b)
            self._release()
        self._mark_connected(False)
        self.state = "stopped"
        self._queue.put_nowait(None)

    # ------------------------------------------------------------------ connection
    async def _find_device(self) -> Any:
        self.state = "scanning"
        target = self._target
        if target is not None and not isinstance(target, str):
            return target
        if target is None:
            saved = remembered_device()
            target = saved["address"] if saved else None
        sensors = await scan_sensors(self.params.scan_timeout_s, self.bumble)
        for s in sensors:
            if target is None or target in (s.name, s.address) or target.upper() == s.address.upper():
                if target is None and len(sensors) > 1:
                    listing = ", ".join(f"{x.name} ({x.address}, {x.rssi} dBm)" for x in sensors)
                    raise LinkError(f"several sensors found: {listing}; choose one with --sensor NAME")
                if self.params.remember:
                    remember_device(s.name, s.address)
                self.name = s.name
                return s.device
        what = f"sensor {target!r}" if target else "twitchwatch sensor"
        raise LinkError(f"no {what} found in {self.params.scan_timeout_s:g} s; switch it on, "
                        "bring it close and try again (twitchwatch scan lists sensors)")

    async def _link_loop(self, device: Any) -> None:
        backoff = self.params.backoff_min_s
        first = True
        while not self._stopping:
            self.state = "connecting" if first else self._offline_state()
            streamed = False
            try:
                streamed = await self._session(device)
            except (BleakError, OSError, asyncio.TimeoutError, EOFError) as err:
                logger.info("link: %r", err)
            except asyncio.CancelledError:
                if _really_cancelled():
                    raise
                # A stack that cancels its own futures when the link drops: a lost link.
                logger.info("link: a radio operation was cancelled by the stack")
            except Exception as err:  # noqa: BLE001 - a stack error must not end the app's link
                logger.warning("link: unexpected %r", err)
            if self._stopping:
                return
            first = False
            self._mark_connected(False)
            backoff = self.params.backoff_min_s if streamed else min(backoff * 2, self.params.backoff_max_s)
            self.state = self._offline_state()
            await asyncio.sleep(backoff)

    def _offline_state(self) -> str:
        ring_s = self.status.ring_s if self.status else 60
        if self._t_disconnect is not None and \
                (time.monotonic() - self._t_disconnect) * self.params.time_scale > ring_s:
            return "lost"           # the sensor's ring no longer holds the start of the gap
        return "reconnecting"

    def _mark_connected(self, connected: bool) -> None:
        now = time.monotonic()
        if connected and self._t_disconnect is not None:
            self.ledger.disconnected_s += now - self._t_disconnect
            self.ledger.reconnects += 1
            self._t_disconnect = None
        elif not connected and self._t_disconnect is None and self._buffer is not None:
            self._t_disconnect = now

    async def _session(self, device: Any) -> bool:
        """One connection: returns True if it reached streaming before it ended."""
        self._disconnected.clear()
        client = BleakClient(device, disconnected_callback=lambda _c: self._disconnected.set(),
                             timeout=self.params.connect_timeout_s, **backend_kwargs(self.bumble, False))
        try:
            # Every step is bounded: a link that drops mid-request must not stall reconnecting.
            await asyncio.wait_for(client.connect(), self.params.connect_timeout_s + self.params.io_timeout_s)
            await asyncio.wait_for(self._setup(client), 4 * self.params.io_timeout_s)
            self.state = "streaming"
            self._mark_connected(True)
            await self._watch(client)
            return True
        finally:
            self._client = None
            if client.is_connected and not self._stopping:
                try:
                    await asyncio.wait_for(client.disconnect(), self.params.io_timeout_s)
                except (BleakError, OSError, asyncio.TimeoutError) as err:
                    logger.debug("disconnect: %s", err)

    async def _watch(self, client: BleakClient) -> None:
        """Until the link drops; a link that stays up but carries nothing is dropped too
        (a sensor streams at least every 100 ms, so silence means the link is dead)."""
        self._t_last_data = time.monotonic()
        while not self._disconnected.is_set():
            try:
                await asyncio.wait_for(self._disconnected.wait(), self.params.stall_timeout_s / 4)
            except asyncio.TimeoutError:
                pass
            silent_s = time.monotonic() - self._t_last_data
            if self._live_wanted and not self._stopping and silent_s > self.params.stall_timeout_s:
                raise BleakError(f"no data for {silent_s:.1f} s on a connected link; reconnecting")

    async def _setup(self, client: BleakClient) -> None:
        await self._read_info(client)
        self._last_seq = None              # the sensor may have restarted its counter
        await client.start_notify(P.STATUS_UUID, self._on_status)
        await client.start_notify(P.DATA_UUID, self._on_data)
        self._client = client
        if not self._stop_requested:        # while stopping, reconnect only to finish backfill
            await client.write_gatt_char(P.CONTROL_UUID, P.encode_start(), response=True)
            self._live_wanted = True

    async def _read_info(self, client: BleakClient) -> None:
        for key, uuid in (("manufacturer", P.MANUFACTURER_UUID), ("model", P.MODEL_UUID),
                          ("firmware", P.FIRMWARE_REV_UUID)):
            try:
                self.device_info[key] = bytes(await client.read_gatt_char(uuid)).decode(errors="replace")
            except (BleakError, OSError, KeyError) as err:
                logger.debug("DIS %s: %s", key, err)
        try:
            self.battery_pct = int((await client.read_gatt_char(P.BATTERY_LEVEL_UUID))[0])
        except (BleakError, OSError, KeyError, IndexError) as err:
            logger.debug("battery: %s", err)
        try:
            status = P.decode_status(bytes(await client.read_gatt_char(P.STATUS_UUID)))
        except ValueError as err:
            raise LinkError(f"the sensor speaks another protocol ({err}); update its firmware") from err
        self._apply_status(status)

    def _apply_status(self, status: P.Status) -> None:
        self.status = status
        if self._buffer is None:
            self.fs_hz = float(status.odr_hz)
            window = int((status.ring_s + self.params.window_extra_s) * status.odr_hz)
            self._buffer = SampleBuffer(window)
            self._clock = ClockFit(status.odr_hz * self.params.time_scale)
        if self._overrun_base is None:
            self._overrun_base, self._dropped_base = status.fifo_overruns, status.dropped_notifications
        self.ledger.fifo_overruns = max(self._overrun_flags, status.fifo_overruns - self._overrun_base)
        self.ledger.dropped_at_sensor = status.dropped_notifications - (self._dropped_base or 0)
        if status.battery_pct != 255:
            self.battery_pct = status.battery_pct

    def _on_status(self, _char: Any, data: bytearray) -> None:
        try:
            self._apply_status(P.decode_status(bytes(data)))
        except ValueError:
            self.ledger.bad_packets += 1

    def _on_data(self, _char: Any, data: bytearray) -> None:
        self._inbox.append((bytes(data), time.time()))
        self._t_last_data = time.monotonic()

    # ------------------------------------------------------------------ data path
    async def _process_loop(self) -> None:
        while True:
            await asyncio.sleep(self.params.process_interval_s)
            # Nothing but this task's own cancellation may end it: if it ended, notifications
            # would pile up unprocessed while the link looks healthy.
            try:
                self._ingest()
                if self._client is not None and self._buffer is not None and self._buffer.cursor is not None:
                    await self._repair()
                self._release()
            except (BleakError, OSError, asyncio.TimeoutError) as err:
                logger.info("link processing: %r", err)
            except asyncio.CancelledError:
                if _really_cancelled():
                    raise
                logger.info("link processing: a radio operation was cancelled by the stack")
            except Exception as err:  # noqa: BLE001 - keep the data path alive, say why
                logger.warning("link processing: unexpected %r", err, exc_info=True)

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
                    self._progress(first, n)
            else:
                self.ledger.received_live += fresh
                clock.add(first + n - 1, arrival)
            if batch.overrun[k]:
                self._overrun_flags += 1
                self.ledger.fifo_overruns = max(self.ledger.fifo_overruns, self._overrun_flags)

    def _progress(self, first: int, n: int) -> None:
        """A backfill answer arrived. The sensor answers requests in the order they were
        made: requests made before the one being answered are finished (what is still missing
        of them was lost on the way and may be asked again now); those made after it are
        queued, not overdue."""
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

    async def _repair(self) -> None:
        """Ask for missing samples; declare lost what the sensor can no longer send."""
        buf, client = self._buffer, self._client
        assert buf is not None and client is not None
        holes = buf.holes()
        now = time.monotonic()
        self._requests = [r for r in self._requests if any(lo < r.hi and r.lo < hi for lo, hi in holes)]
        todo: list[tuple[int, int, int]] = []
        for lo, hi in holes:
            overlapping = [r for r in self._requests if lo < r.hi and r.lo < hi]
            if any(now - r.t_s < self.params.backfill_timeout_s for r in overlapping):
                continue
            tries = max((r.tries for r in overlapping), default=0)
            todo.append((lo, hi, tries))
        if not todo:
            return
        try:
            status = P.decode_status(bytes(await asyncio.wait_for(
                client.read_gatt_char(P.STATUS_UUID), self.params.io_timeout_s)))
            self._apply_status(status)
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
            self._requests = [r for r in self._requests if not (lo < r.hi and r.lo < hi)]
            self._n_requests += 1
            self._requests.append(_Request(cut, hi, time.monotonic(), tries + 1, self._n_requests))
            self.ledger.backfill_requests += 1
            try:
                await asyncio.wait_for(client.write_gatt_char(
                    P.CONTROL_UUID, P.encode_backfill(cut, hi), response=True), self.params.io_timeout_s)
            except (BleakError, OSError, asyncio.TimeoutError) as err:
                logger.debug("backfill write: %s", err)
                return

    def _release(self) -> None:
        buf, clock = self._buffer, self._clock
        if buf is None or buf.cursor is None or clock is None:
            return
        for rel in buf.release():
            n = len(rel.accel_g)
            self.ledger.samples_expected += n
            wall = clock.stamp(rel.first_index) if clock.ready else time.time()
            self._queue.put_nowait(SampleChunk(rel.first_index, rel.accel_g, rel.gyro_dps, wall))
