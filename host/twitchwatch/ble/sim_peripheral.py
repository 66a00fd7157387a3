"""A simulated twitchwatch sensor: a Bumble virtual BLE peripheral speaking protocol v1.

It streams the project's simulated wear (:func:`twitchwatch.model.simulate.simulate_stream`,
the model the in-process simulated sensor streams too: stillness, hand use, twitches and
episodes) from its first sample on, in raw LSB at its full scale. It models the firmware's
observable behaviour: a sample ring (60 s by default) that keeps
filling whether or not anyone listens, live notifications of up to ``samples_per_packet(MTU)``
samples after START, BACKFILL answered from the ring, the status characteristic, Battery and
Device Information services. Its sensor clock may run ``speed`` times faster than the wall
clock (tests) and off by ``clock_ppm``. :class:`Faults` injects what real links do: notifications
lost in the air (randomly and in bursts), forced disconnects followed by time out of range,
FIFO overruns.

With ``record=True`` it keeps every sample it produced and which indices reached the host,
which is the ground truth the link tests compare against.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable

import numpy as np
from bumble import hci
from bumble.controller import Controller
from bumble.core import UUID, AdvertisingData
from bumble.device import Device
from bumble.gatt import Characteristic, CharacteristicValue, Service

from . import protocol as P

if TYPE_CHECKING:
    from ..model.simulate import SimConfig

logger = logging.getLogger(__name__)

SignalFn = Callable[[int, int], np.ndarray]     # (first_index, n) -> (n, 6) int16 raw LSB

#: The simulated day the sensor streams unless told otherwise: the lively demo day (demo_config)
#: (a few episodes within minutes) and a seed whose first 15 s, from any start up to 8 s in,
#: hold a twitch the detector counts, so even a short demo recording shows one.
DEMO_DAY_SEED = 146


@dataclass(frozen=True)
class Faults:
    """Faults on the sensor's side of the link; times are sensor seconds."""

    loss_p: float = 0.0              # chance that any one notification is lost in the air
    burst_every_s: float = 0.0       # a burst of loss this often (0 = never)
    burst_packets: int = 0           # each burst lasts as long as this many live notifications
                                     # take to send: interference is a span of time, so a burst
                                     # also swallows every backfill answer sent meanwhile
    disconnect_every_s: float = 0.0  # drop the connection this often (0 = never)
    disconnect_for_s: float = 0.0    # ... and stay out of range this long
    overrun_every_s: float = 0.0     # a FIFO overrun this often (0 = never)
    overrun_samples: int = 0         # samples each overrun costs
    seed: int = 0


@dataclass(frozen=True)
class PeripheralConfig:
    name: str = "TWW-SIM"
    address: str = "F0:77:77:00:00:01"
    fs_hz: int = 208
    accel_range_g: int = 8
    gyro_range_dps: int = 1000
    ring_s: int = 60
    speed: float = 1.0               # sensor seconds per wall second
    clock_ppm: float = 0.0           # sensor crystal error (the host must fit it)
    start_index: int = 0             # the sensor has been running this many samples
    adv_interval_ms: float = 20.0
    tick_s: float = 0.005            # wall seconds between sampler wake-ups
    # 0: the sensor clock follows the wall clock. > 0: it advances by at most this many wall
    # seconds per wake-up, so a simulation starved of CPU slows down with the host it shares
    # the event loop with instead of running ahead of it (sped-up tests on a loaded machine).
    max_step_s: float = 0.0
    battery_pct: int = 87
    firmware: tuple[int, int, int] = (1, 0, 0)
    record: bool = False
    faults: Faults = field(default_factory=Faults)
    # The simulated wear streamed (its rate is the sensor's); None: the demo day (demo_day()).
    day: SimConfig | None = None


def demo_day() -> SimConfig:
    """The simulated day the sensor streams by default."""
    from ..model.simulate import demo_config

    return demo_config(DEMO_DAY_SEED)


def simulated_day_signal(fs_hz: float, accel_range_g: int = 8, gyro_range_dps: int = 1000,
                         day: SimConfig | None = None, segment_s: float = 60.0) -> SignalFn:
    """The project's simulated wear (``day``, default :func:`demo_day`) as the sensor's raw
    samples at these full scales, saturating beyond them as the IMU does.

    The day begins at the first index asked for (the sensor's first sample); later calls
    must go forward (indices an overrun skipped skip that part of the day). It is generated
    ``segment_s`` at a time, as the samples are asked for.
    """
    from ..model.simulate import simulate_stream

    cfg = replace(day or demo_day(), fs_hz=float(fs_hz), with_gyro=True)
    segments = simulate_stream(cfg, segment_s)
    lsb = np.array([P.ACCEL_G_PER_LSB[P.ACCEL_RANGES_G.index(accel_range_g)]] * 3
                   + [P.GYRO_DPS_PER_LSB[P.GYRO_RANGES_DPS.index(gyro_range_dps)]] * 3)
    start: int | None = None
    buf = np.zeros((0, 6), np.int16)       # generated samples not yet handed out ...
    buf_first = 0                          # ... from this position in the day

    def signal(first_index: int, n: int) -> np.ndarray:
        nonlocal start, buf, buf_first
        if start is None:
            start = first_index
        pos = first_index - start
        if pos < buf_first:
            raise ValueError(f"the simulated day only goes forward: asked for {pos} after {buf_first}")
        parts = [buf]
        have = buf_first + len(buf)
        while have < pos + n:
            rec, _truth, _offset = next(segments)
            assert rec.gyro_dps is not None
            values = np.hstack([rec.accel_g, rec.gyro_dps]) / lsb
            parts.append(np.clip(np.round(values), -32768, 32767).astype(np.int16))
            have += rec.n_samples
        buf = np.concatenate(parts) if len(parts) > 1 else buf
        out = buf[pos - buf_first: pos - buf_first + n].copy()
        buf, buf_first = buf[pos - buf_first + n:], pos + n
        return out

    return signal


def pattern_signal(fs_hz: float, accel_range_g: int = 8) -> SignalFn:
    """A test pattern, not a wear: gravity on z, a sway no stillness detector accepts, and
    deterministic noise; a pure function of the index (link benchmarks)."""
    lsb_g = float(P.ACCEL_G_PER_LSB[P.ACCEL_RANGES_G.index(accel_range_g)])

    def signal(first_index: int, n: int) -> np.ndarray:
        k = np.arange(first_index, first_index + n, dtype=np.int64)
        t = k / fs_hz
        noise = ((k[:, None] * np.array([2654435761, 40503, 2246822519, 3266489917, 668265263,
                                         374761393]) >> 7) % 61) - 30
        out = noise.astype(np.float64)
        out[:, 2] += 1.0 / lsb_g
        out[:, 0] += 0.02 / lsb_g * np.sin(2 * np.pi * 0.3 * t)
        out[:, 3] += 800 * np.sin(2 * np.pi * 1.1 * t)
        return np.clip(np.round(out), -32768, 32767).astype(np.int16)

    return signal


class SimPeripheral:
    """The simulated sensor on a Bumble controller; ``await start()``, ``await stop()``."""

    def __init__(self, controller: Controller, config: PeripheralConfig = PeripheralConfig(),
                 signal: SignalFn | None = None) -> None:
        self.cfg = config
        self.controller = controller
        self.fs_hz = config.fs_hz
        self.signal = signal or simulated_day_signal(config.fs_hz, config.accel_range_g, config.gyro_range_dps,
                                                     config.day)
        self._rng = random.Random(config.faults.seed)
        self.ring_n = int(config.ring_s * config.fs_hz)
        self.ring = np.zeros((self.ring_n, 6), np.int16)
        self.ring_ok = np.zeros(self.ring_n, bool)        # False where an overrun cost the sample
        self.next_index = config.start_index
        self.live_cursor = config.start_index
        self.seq = 0
        self.streaming = False
        self.subscribed = False
        self.last_error = P.ERR_NONE
        self.fifo_overruns = 0
        self.overrun_pending = False
        self.backfills: list[tuple[int, int]] = []
        self.out_of_range_until: float | None = None
        self.connection = None
        # counters for tests
        self.sent_packets = 0
        self.lost_packets = 0
        self.disconnects = 0
        self.history: list[np.ndarray] = []               # raw samples, record=True only
        self.delivered = np.zeros(0, bool)                # by index - start_index
        self._burst_until_s = -1.0
        self._now_s = 0.0
        self._adv_task: asyncio.Task[None] | None = None
        self._next_burst = config.faults.burst_every_s or None
        self._next_disconnect = config.faults.disconnect_every_s or None
        self._next_overrun = config.faults.overrun_every_s or None
        self._task: asyncio.Task[None] | None = None
        self._build_device()

    # ------------------------------------------------------------------ GATT
    def _build_device(self) -> None:
        cfg = self.cfg
        dev = self.device = Device.with_hci(cfg.name, hci.Address(cfg.address),
                                            self.controller, self.controller)
        props = Characteristic.Properties
        self.data_char = Characteristic(P.DATA_UUID, props.NOTIFY, Characteristic.READABLE, b"")
        self.control_char = Characteristic(
            P.CONTROL_UUID, props.WRITE, Characteristic.WRITEABLE,
            CharacteristicValue(write=self._on_control))
        self.status_char = Characteristic(
            P.STATUS_UUID, props.READ | props.NOTIFY, Characteristic.READABLE,
            CharacteristicValue(read=lambda _conn: self.status().encode()))
        self.battery_char = Characteristic(
            P.BATTERY_LEVEL_UUID, props.READ | props.NOTIFY, Characteristic.READABLE,
            bytes([cfg.battery_pct]))
        dis = [Characteristic(u, props.READ, Characteristic.READABLE, v.encode()) for u, v in (
            (P.MANUFACTURER_UUID, "twitchwatch (simulated)"), (P.MODEL_UUID, "TWW-SIM-1"),
            (P.FIRMWARE_REV_UUID, "%d.%d.%d" % cfg.firmware))]
        dev.add_services([
            Service(P.SERVICE_UUID, [self.data_char, self.control_char, self.status_char]),
            Service(P.BATTERY_SERVICE_UUID, [self.battery_char]),
            Service(P.DIS_SERVICE_UUID, dis),
        ])
        dev.advertising_data = bytes(AdvertisingData([
            (AdvertisingData.FLAGS, bytes([0x06])),
            (AdvertisingData.COMPLETE_LOCAL_NAME, cfg.name.encode()),
            (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
             UUID(P.SERVICE_UUID).to_bytes()),
        ]))
        dev.on("connection", self._on_connection)
        dev.on("characteristic_subscription", self._on_subscription)

    def status(self) -> P.Status:
        return P.Status(
            firmware_version=self.cfg.firmware, odr_hz=self.fs_hz,
            accel_range_g=self.cfg.accel_range_g, streaming=self.streaming,
            gyro_range_dps=self.cfg.gyro_range_dps, battery_pct=self.cfg.battery_pct,
            last_error=self.last_error, battery_mv=3950, ring_s=self.cfg.ring_s,
            fifo_overruns=self.fifo_overruns, next_index=self.next_index,
            oldest_index=self.oldest_index)

    @property
    def oldest_index(self) -> int:
        return max(self.cfg.start_index, self.next_index - self.ring_n)

    def _on_connection(self, connection) -> None:
        self.connection = connection
        connection.on("disconnection", self._on_disconnection)

    def _on_disconnection(self, reason: int) -> None:
        self.connection = None
        self.streaming = False
        self.subscribed = False
        self.backfills.clear()               # requests die with the connection, as on the sensor
        if self.out_of_range_until is None and self._task is not None:
            self._ensure_advertising()

    def _on_subscription(self, connection, characteristic, notify: bool, indicate: bool) -> None:
        if characteristic is self.data_char:
            self.subscribed = notify

    def _on_control(self, _connection, value: bytes) -> None:
        op, args, err = P.decode_control(bytes(value))
        if err == P.ERR_NONE:
            if op == P.OP_START:
                self.streaming = True
                self.live_cursor = self.next_index     # live from now; older data via BACKFILL
            elif op == P.OP_STOP:
                self.streaming = False
            elif op == P.OP_BACKFILL:
                lo, hi = self._unwrap(args[0]), self._unwrap(args[1])
                if lo < self.oldest_index or hi > self.next_index:
                    err = P.ERR_BACKFILL
                lo, hi = max(lo, self.oldest_index), min(hi, self.next_index)
                if hi > lo:
                    self.backfills.append((lo, hi))
            elif op in (P.OP_SET_RATE, P.OP_SET_RANGE):
                err = P.ERR_RATE if op == P.OP_SET_RATE and args[0] != self.fs_hz else P.ERR_NONE
        self.last_error = err
        if err != P.ERR_NONE:
            asyncio.get_running_loop().create_task(self._notify_status())

    def _unwrap(self, idx32: int) -> int:
        """Full index nearest ``next_index`` with these low 32 bits."""
        base = self.next_index - (self.next_index % P.INDEX_MODULUS)
        cands = [base + idx32 - P.INDEX_MODULUS, base + idx32, base + idx32 + P.INDEX_MODULUS]
        return min(cands, key=lambda c: abs(c - self.next_index))

    async def _notify_status(self) -> None:
        if self.connection is not None:
            await self.device.notify_subscribers(self.status_char, self.status().encode())

    # ------------------------------------------------------------------ run
    async def start(self) -> None:
        await self.device.power_on()
        self._loop = asyncio.get_running_loop()
        self._t0 = self._t_wall = self._loop.time()
        self._virtual_s = 0.0
        self._task = asyncio.create_task(self._run())
        await self._advertise()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        if self.connection is not None:
            try:
                await asyncio.wait_for(self.connection.disconnect(), 2.0)
            except Exception:  # noqa: BLE001 - already gone
                pass
        if self.device.is_advertising:
            await self.device.stop_advertising()

    async def _advertise(self) -> None:
        if not self.device.is_advertising and self.connection is None:
            await self.device.start_advertising(
                advertising_interval_min=self.cfg.adv_interval_ms,
                advertising_interval_max=self.cfg.adv_interval_ms)

    def _ensure_advertising(self) -> None:
        """Advertise whenever nobody is connected and the sensor is in range, as the firmware's
        main loop does; a failed start is simply tried again at the next wake-up."""
        if (self.connection is not None or self.out_of_range_until is not None
                or self.device.is_advertising or (self._adv_task is not None and not self._adv_task.done())):
            return

        async def advertise() -> None:
            try:
                await self._advertise()
            except Exception as err:  # noqa: BLE001 - e.g. a connection raced the start
                logger.debug("advertise: %r", err)

        self._adv_task = self._loop.create_task(advertise())

    def sensor_time_s(self) -> float:
        """Seconds on the sensor's own clock since start."""
        if self.cfg.max_step_s <= 0:
            return (self._loop.time() - self._t0) * self.cfg.speed
        now = self._loop.time()
        self._virtual_s += min(now - self._t_wall, self.cfg.max_step_s) * self.cfg.speed
        self._t_wall = now
        return self._virtual_s

    async def _run(self) -> None:
        rate = self.fs_hz * (1.0 + self.cfg.clock_ppm * 1e-6)
        while True:
            t_s = self._now_s = self.sensor_time_s()
            due = self.cfg.start_index + int(t_s * rate)
            if due > self.next_index:
                self._sample(due - self.next_index, t_s)
            await self._faults(t_s)
            self._ensure_advertising()
            if self.connection is not None and self.subscribed:
                await self._send_backfill(budget=64)
                if self.streaming:
                    await self._send_live()
            await asyncio.sleep(self.cfg.tick_s)

    def _sample(self, n: int, t_s: float) -> None:
        f = self.cfg.faults
        if self._next_overrun is not None and t_s >= self._next_overrun:
            self._next_overrun += f.overrun_every_s
            cost = min(f.overrun_samples, n - 1)
            if cost > 0:
                self.fifo_overruns += 1
                self.overrun_pending = True
                self._store(self.next_index, np.zeros((cost, 6), np.int16), ok=False)
                self.next_index += cost
                self.live_cursor = max(self.live_cursor, self.next_index)
                n -= cost
        raw = self.signal(self.next_index, n)
        self._store(self.next_index, raw, ok=True)
        self.next_index += n

    def _store(self, first: int, raw: np.ndarray, ok: bool) -> None:
        pos = (np.arange(first, first + len(raw)) - self.cfg.start_index) % self.ring_n
        self.ring[pos] = raw
        self.ring_ok[pos] = ok
        if self.cfg.record:
            self.history.append(raw if ok else np.full_like(raw, np.iinfo(np.int16).min))

    def _spp(self) -> int:
        mtu = self.connection.att_mtu if self.connection is not None else 23
        return P.samples_per_packet(mtu)

    async def _send_live(self) -> None:
        spp = self._spp()
        max_wait = int(0.1 * self.fs_hz)    # flush a partial packet after 100 ms
        while self.connection is not None and self.streaming:
            avail = self.next_index - self.live_cursor
            if avail < spp and not (avail > 0 and self.next_index - self.live_cursor >= max_wait):
                if avail <= 0 or avail < min(spp, max_wait):
                    return
            n = min(spp, avail)
            overrun, self.overrun_pending = self.overrun_pending, False
            await self._send(self.live_cursor, n, backfill=False, overrun=overrun)
            self.live_cursor += n

    async def _send_backfill(self, budget: int) -> None:
        spp = self._spp()
        while self.backfills and budget > 0 and self.connection is not None:
            lo, hi = self.backfills[0]
            lo = max(lo, self.oldest_index)       # the ring may have moved on meanwhile
            while lo < hi and not self.ring_ok[(lo - self.cfg.start_index) % self.ring_n]:
                lo += 1                           # samples an overrun cost are not in the ring
            if lo >= hi:
                self.backfills.pop(0)
                continue
            pos = (np.arange(lo, min(hi, lo + spp)) - self.cfg.start_index) % self.ring_n
            ok = self.ring_ok[pos]
            n = int(np.argmin(ok)) if not ok.all() else len(pos)
            entry = self.backfills[0]
            await self._send(lo, n, backfill=True, overrun=False)
            if self.backfills and self.backfills[0] is entry:   # a disconnect may have cleared it
                self.backfills[0] = (lo + n, hi)
            budget -= 1

    async def _send(self, first: int, n: int, backfill: bool, overrun: bool) -> None:
        pos = (np.arange(first, first + n) - self.cfg.start_index) % self.ring_n
        pkt = P.encode_data_packet(self.seq, first, self.ring[pos],
                                   P.config_byte(self.cfg.accel_range_g, self.cfg.gyro_range_dps,
                                                 self.fs_hz), backfill=backfill, overrun=overrun)
        self.seq = (self.seq + 1) % P.SEQ_MODULUS
        self.sent_packets += 1
        if self._lost_in_air():
            self.lost_packets += 1
            return
        connection = self.connection
        if connection is None:
            return
        await self.device.notify_subscriber(connection, self.data_char, pkt)
        if self.cfg.record:
            end = first + n - self.cfg.start_index
            if end > len(self.delivered):
                grown = np.zeros(max(end, 2 * len(self.delivered)), bool)
                grown[: len(self.delivered)] = self.delivered
                self.delivered = grown
            self.delivered[first - self.cfg.start_index: end] = True

    async def inject(self, payload: bytes) -> bool:
        """Send arbitrary bytes as a data notification (corrupt-packet tests)."""
        connection = self.connection
        if connection is None or not self.subscribed:
            return False
        await self.device.notify_subscriber(connection, self.data_char, payload)
        return True

    def _lost_in_air(self) -> bool:
        if self._now_s < self._burst_until_s:
            return True
        return self.cfg.faults.loss_p > 0 and self._rng.random() < self.cfg.faults.loss_p

    async def _faults(self, t_s: float) -> None:
        f = self.cfg.faults
        if self._next_burst is not None and t_s >= self._next_burst:
            self._next_burst += f.burst_every_s
            self._burst_until_s = t_s + f.burst_packets * self._spp() / self.fs_hz
        if self.out_of_range_until is not None and t_s >= self.out_of_range_until:
            self.out_of_range_until = None
            self._ensure_advertising()
        if self._next_disconnect is not None and t_s >= self._next_disconnect:
            self._next_disconnect += f.disconnect_every_s
            connection = self.connection
            if connection is not None:
                self.disconnects += 1
                self.out_of_range_until = t_s + f.disconnect_for_s
                try:
                    if self.device.is_advertising:
                        await self.device.stop_advertising()
                    await asyncio.wait_for(connection.disconnect(hci.HCI_CONNECTION_TIMEOUT_ERROR), 2.0)
                except Exception as err:  # noqa: BLE001 - the link may already be gone
                    logger.debug("forced disconnect: %r", err)

    # ------------------------------------------------------------------ ground truth
    def produced(self) -> np.ndarray:
        """Every sample produced so far (record=True); overrun-lost rows are int16 min."""
        return np.concatenate(self.history) if self.history else np.zeros((0, 6), np.int16)

    def delivered_mask(self, n: int) -> np.ndarray:
        """True for the first ``n`` indices (from start_index) that reached the host."""
        out = np.zeros(n, bool)
        m = min(n, len(self.delivered))
        out[:m] = self.delivered[:m]
        return out


def make_link_pair(config: PeripheralConfig = PeripheralConfig(),
                   signal: SignalFn | None = None) -> tuple[SimPeripheral, Controller]:
    """A simulated sensor and the host's controller on one in-process virtual link."""
    from bumble.link import LocalLink

    link = LocalLink()
    controllers = Controller("sensor", link=link), Controller("host", link=link)
    for c in controllers:
        # LE Data Length Extension (251-byte link-layer payloads), as the ESP32-S3 and every
        # current phone/PC controller negotiate; Bumble's default of 27 splits each 243-byte
        # notification into ten fragments.
        c.le_acl_data_packet_length = 251
    return SimPeripheral(controllers[0], config, signal), controllers[1]
