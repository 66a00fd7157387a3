"""twitchwatch sensor firmware: asyncio tasks tying IMU FIFO -> ring -> BLE together.

Tasks: `_sampler` drains the IMU FIFO into the ring and pumps notifications (woken by the IMU's
FIFO-watermark interrupt on INT1, with a poll as a fallback), `_housekeeping` refreshes status and
battery once a second and drives the LED. Control writes arrive from the BLE layer, are queued, and
are applied between FIFO drains so they never interleave with a half-done read.
"""

import asyncio
import gc
import json

import micropython

import config
import control
import status
from fifo import TICKS_PER_SAMPLE, FifoParser
from imu import LSM6DSO
from packet import ACCEL_RANGES_G, GYRO_RANGES_DPS, RATES_HZ, config_byte
from ring import SampleRing
from stream import Streamer

POLL_MS = 50              # fallback wake-up when INT1 is not wired; FIFO holds ~0.8 s at 208 Hz
MAX_FIFO_WORDS = 512      # LSM6DSO FIFO depth in words
NOTIFY_BUDGET = 48        # notifications per wake-up before yielding to BLE events
MAX_PENDING_WRITES = 16


def load_settings(path=config.SETTINGS_FILE):
    """{"name": "left-thumb"} on the board's flash; missing or broken file -> defaults."""
    try:
        with open(path) as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


class App:
    def __init__(self, i2c, link, led=None, battery=None, rate_hz=config.DEFAULT_RATE_HZ):
        """i2c: bus with the IMU; link: ble_layer.BleLink; led: machine.Pin (active low) or None;
        battery: callable returning millivolts (or 0 when unknown) or None."""
        self.link = link
        self.led = led
        self.battery = battery
        self.rate_hz = rate_hz
        self.accel_g = config.DEFAULT_ACCEL_G
        self.gyro_dps = config.DEFAULT_GYRO_DPS
        self.ring = SampleRing(config.RING_SAMPLES)
        self.imu = LSM6DSO(i2c, config.IMU_ADDRESSES)
        self.parser = FifoParser(self.ring, TICKS_PER_SAMPLE[rate_hz])
        self.streamer = Streamer(self.ring)
        self.status_buf = bytearray(status.STATUS_LEN)
        self.last_error = control.ERR_NONE
        self.pending = []
        self.streaming = False
        self.identify_ticks = 0
        self.battery_mv = 0
        self.battery_pct = 255
        self.imu_failed = False
        self.wake = asyncio.ThreadSafeFlag()
        self.running = True
        link.on_connect = self._on_link_change
        link.on_disconnect = self._on_link_change
        link.on_mtu = self.streamer.set_mtu
        link.on_control = self._on_control
        if self.imu.present:
            self._configure()
        else:
            self.last_error = control.ERR_IMU_MISSING
            if self.imu.unsupported:
                print("twitchwatch:", self.imu.unsupported)
            else:
                print("twitchwatch: no LSM6DSO at", config.IMU_ADDRESSES, "- check the wiring")
        self._update_config_byte()

    # ---- BLE callbacks (scheduler context: keep short) -------------------------------------------
    def _on_link_change(self):
        # New or lost connection: stop live data until the (new) client subscribes and says START.
        self.streaming = False
        self.streamer.stop_live()
        self.streamer.clear_backfill()
        self.streamer.set_mtu(23)

    def _on_control(self, data):
        if len(self.pending) < MAX_PENDING_WRITES:
            self.pending.append(bytes(data))
        self.wake.set()

    # ---- configuration ----------------------------------------------------------------------------
    def _update_config_byte(self):
        self.streamer.config = config_byte(ACCEL_RANGES_G.index(self.accel_g),
                                           GYRO_RANGES_DPS.index(self.gyro_dps),
                                           RATES_HZ.index(self.rate_hz))

    def _configure(self):
        try:
            tps = self.imu.configure(self.rate_hz, self.accel_g, self.gyro_dps)
        except OSError:
            self._imu_error()
            return False
        self.parser.reset(tps)
        self.imu_failed = False
        return True

    def _imu_error(self):
        self.imu_failed = True
        self.last_error = control.ERR_IMU_READ

    def apply_control(self, data):
        """Apply one control write; returns the error code (also left in the status)."""
        err, op, a, b = control.parse(data)
        if err == control.ERR_NONE:
            if op == control.OP_START:
                self.streaming = True
                self.streamer.start_live()
            elif op == control.OP_STOP:
                self.streaming = False
                self.streamer.stop_live()
            elif op == control.OP_SET_RATE:
                self._drain()
                self.rate_hz = a
                self.ring.reset(0)          # PROTOCOL: the sample index restarts at 0
                self.streamer.restart()
                if self.imu.present:
                    self._configure()
            elif op == control.OP_SET_RANGE:
                self._drain()
                self.accel_g = a
                self.gyro_dps = b
                # The ring holds raw LSB: older samples would be misread under the new scale, so
                # they are forgotten (a BACKFILL for them answers error 5). The index goes on.
                self.ring.reset(self.ring.next_index)
                self.streamer.clear_backfill()
                if self.imu.present:
                    self._configure()
                    self.parser.last_ts = -1
            elif op == control.OP_BACKFILL:
                err = self.streamer.request_backfill(a, b)
            elif op == control.OP_IDENTIFY:
                self.identify_ticks = 30    # 3 s of 100 ms LED steps
            self._update_config_byte()
        self.last_error = err
        self.publish_status(True)
        return err

    # ---- status -----------------------------------------------------------------------------------
    def status_flags(self):
        f = 0
        if self.streaming:
            f |= status.FLAG_STREAMING
        if self.imu.present and not self.imu_failed:
            f |= status.FLAG_IMU_PRESENT
        return f

    def publish_status(self, notify):
        ring = self.ring
        status.pack_into(self.status_buf, config.FW_VERSION, self.rate_hz, self.accel_g,
                         self.status_flags(), self.gyro_dps, self.battery_pct, self.last_error,
                         self.battery_mv, ring.count // self.rate_hz, self.imu.overruns,
                         self.streamer.dropped_notifications, ring.next_index & 0xFFFFFFFF,
                         ring.oldest_index() & 0xFFFFFFFF)
        self.link.set_status(self.status_buf, notify)

    def _read_battery(self):
        if self.battery is None:
            return
        mv = self.battery()
        self.battery_mv = mv
        if mv <= 0:
            self.battery_pct = 255
            return
        span = config.BAT_FULL_MV - config.BAT_EMPTY_MV
        pct = (mv - config.BAT_EMPTY_MV) * 100 // span
        self.battery_pct = 0 if pct < 0 else (100 if pct > 100 else pct)

    # ---- hot path ---------------------------------------------------------------------------------
    def _drain(self):
        """FIFO -> ring. Returns samples stored (0 also on a bus error, which is reported)."""
        if not self.imu.present or self.imu_failed:
            return 0
        try:
            return self.imu.drain(self.parser, MAX_FIFO_WORDS)
        except OSError:
            self._imu_error()
            self.publish_status(True)
            return 0

    def _pump(self, flush):
        link = self.link
        if not link.connected:
            return
        streamer = self.streamer
        if not self.streaming and not streamer.backfill_pending():
            return
        for i in range(NOTIFY_BUDGET):
            if i and i % 8 == 0:
                self._drain()   # a long burst (backfill) must not let the IMU FIFO overflow
            view = streamer.prepare(flush)
            if view is None:
                if streamer.skipped:
                    continue    # it stepped over lost samples only; there may be more to send
                return
            if not link.notify_data(view):
                return          # the stack is full: the same packet is rebuilt next time
            streamer.commit()

    async def _sampler(self):
        while self.running:
            await self.wake.wait()
            while self.pending:
                self.apply_control(self.pending.pop(0))
            stored = self._drain()
            self._pump(stored == 0)

    async def _ticker(self):
        while self.running:
            await asyncio.sleep_ms(POLL_MS)
            self.wake.set()

    async def _housekeeping(self):
        step = 0
        while self.running:
            await asyncio.sleep_ms(100)
            step += 1
            self._led_step(step)
            if step % 10 == 0:
                if self.imu_failed and self.imu.present and self._configure():
                    self.last_error = control.ERR_NONE
                self._read_battery()
                self.link.set_battery(self.battery_pct if self.battery_pct != 255 else 0,
                                      self.link.connected)
                self.publish_status(False)
                gc.collect()

    def _led_step(self, step):
        """LED (active low): IDENTIFY fast blink 3 s; no IMU: 2.5 Hz blink; streaming: short
        flash every 5 s; connected: every 2 s; advertising: every 1 s."""
        led = self.led
        if led is None:
            return
        if self.identify_ticks > 0:
            self.identify_ticks -= 1
            on = self.identify_ticks % 2 == 0
        elif not self.imu.present or self.imu_failed:
            on = (step // 2) % 2 == 0
        elif self.streaming:
            on = step % 50 == 0
        elif self.link.connected:
            on = step % 20 == 0
        else:
            on = step % 10 == 0
        led.value(0 if on else 1)

    async def main(self):
        self.publish_status(False)
        self.link.advertise()
        asyncio.create_task(self._ticker())
        asyncio.create_task(self._housekeeping())
        await self._sampler()


def int1_wake(app, pin):
    """Wake the sampler on the IMU's FIFO-watermark interrupt (rising edge on INT1)."""
    pin.irq(trigger=pin.IRQ_RISING, handler=lambda p: app.wake.set())


def run():
    """Build the board objects from config.py and run forever (called by main.py)."""
    import machine
    from ble_layer import BleLink

    if hasattr(micropython, "alloc_emergency_exception_buf"):   # absent on the unix port
        micropython.alloc_emergency_exception_buf(100)
    settings = load_settings()
    i2c = machine.I2C(config.I2C_ID, scl=machine.Pin(config.PIN_SCL),
                      sda=machine.Pin(config.PIN_SDA), freq=config.I2C_FREQ_HZ)
    led = machine.Pin(config.PIN_LED, machine.Pin.OUT, value=1)
    adc = machine.ADC(machine.Pin(config.PIN_BAT_ADC))
    adc.atten(machine.ADC.ATTN_11DB)

    def battery_mv():
        return adc.read_uv() * config.BAT_DIVIDER // 1000

    async def start():
        link = BleLink(settings.get("name"), config.MTU_REQUEST, config.CONN_INTERVAL_MIN_MS,
                       config.CONN_INTERVAL_MAX_MS, config.ADV_INTERVAL_US)
        link.set_device_info(config.MANUFACTURER, config.MODEL,
                             "%d.%d.%d" % config.FW_VERSION)
        rate_hz = settings.get("rate_hz", config.DEFAULT_RATE_HZ)
        if rate_hz not in RATES_HZ:
            print("twitchwatch: settings rate_hz must be 104, 208 or 416; using the default")
            rate_hz = config.DEFAULT_RATE_HZ
        app = App(i2c, link, led, battery_mv, rate_hz)
        int1_wake(app, machine.Pin(config.PIN_IMU_INT1, machine.Pin.IN))
        print("twitchwatch: advertising as", link.name)
        await app.main()

    asyncio.run(start())
