"""The BLE sensor as a :class:`~twitchwatch.sources.base.Source`: the connection.

Connects with bleak (the OS's stack, or a Bumble virtual radio when ``bumble=`` is given),
subscribes, and hands the notifications to a :class:`~.stream.SensorStream`, which turns
them into SampleChunks in sensor-index order (backfill, duplicates, NaN rows for what is lost
for good, all recorded in the :class:`Ledger`). This module is the connection's state machine:
it reconnects by itself, forever, with a bounded backoff, resumes streaming with no user
action, and on :meth:`BleSensorSource.stop` lets pending backfill finish before it hangs up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, AsyncIterator

from bleak import BleakClient
from bleak.exc import BleakError

from ..errors import LinkError
from ..link.ledger import Ledger
from ..sources.base import SampleChunk
from . import protocol as P
from .discovery import backend_kwargs, choose_sensor
from .link_params import LinkParams
from .stream import SensorStream, really_cancelled

# LinkParams lives in link_params.py; callers import it from here, with the source.
__all__ = ["BleSensorSource", "LinkParams"]

logger = logging.getLogger(__name__)


_STOP_SETTLE_S = 0.1    # a control write takes effect at the sensor's next FIFO read (~50 ms)


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
        self._stream = SensorStream(params, self.ledger, self._queue.put_nowait, self._apply_status)
        self._client: BleakClient | None = None
        self._disconnected = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[Any]] = []
        self._t_disconnect: float | None = None
        self._t_last_data = 0.0               # monotonic time of the last notification
        self._live_wanted = False             # START sent and not yet STOPped
        self._stop_requested = False          # stop() began: finish backfill, no new START
        self._stopped = asyncio.Event()

    # ------------------------------------------------------------------ public
    @property
    def accel_range_g(self) -> int | None:
        """The sensor's accelerometer full scale (±g) from its status; None before the first."""
        return None if self.status is None else self.status.accel_range_g

    @property
    def gyro_range_dps(self) -> int | None:
        """The sensor's gyroscope full scale (±dps) from its status; None before the first."""
        return None if self.status is None else self.status.gyro_range_dps

    async def chunks(self) -> AsyncIterator[SampleChunk]:
        """Sample chunks in index order until :meth:`stop`."""
        device = await self._find_device()
        self._tasks = [asyncio.create_task(self._link_loop(device)),
                       asyncio.create_task(self._stream.run(lambda: self._client))]
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
        while (self._client is not None and self._client.is_connected and self._stream.started
               and time.monotonic() < deadline):
            if self._stream.caught_up() and time.monotonic() - self._t_last_data > settle_s:
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
        self._stream.finish()
        self._mark_connected(False)
        self.state = "stopped"
        self._queue.put_nowait(None)

    # ------------------------------------------------------------------ connection
    async def _find_device(self) -> Any:
        self.state = "scanning"
        if self._target is not None and not isinstance(self._target, str):
            return self._target                 # a BLEDevice: connect without a scan
        found = await choose_sensor(self._target, self.params.scan_timeout_s, self.bumble, self.params.remember)
        self.name = found.name
        return found.device

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
                if really_cancelled():
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
        elif not connected and self._t_disconnect is None and self._stream.configured:
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
        self._stream.new_link()             # the sensor may have restarted its counter
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
        self._stream.apply_status(status)
        self.fs_hz = self._stream.fs_hz         # set by the first status, then fixed
        if status.battery_pct != 255:
            self.battery_pct = status.battery_pct

    def _on_status(self, _char: Any, data: bytearray) -> None:
        try:
            self._apply_status(P.decode_status(bytes(data)))
        except ValueError:
            self.ledger.bad_packets += 1

    def _on_data(self, _char: Any, data: bytearray) -> None:
        self._stream.receive(bytes(data), time.time())
        self._t_last_data = time.monotonic()
