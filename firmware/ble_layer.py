"""Thin BLE layer: the twitchwatch GATT server over MicroPython's raw `bluetooth` API (ESP32 NimBLE).

The app talks only to BleLink (start, notify_data, set_status, set_battery, callbacks), so an nRF
port can replace this one file with a `ubluepy` version. No aioble: it is not installable here and
the raw API is small.
"""

import binascii

import bluetooth

try:
    from micropython import const  # pyright: ignore[reportAssignmentType]  # CPython fallback below is untyped
except ImportError:  # CPython (type checking only)
    def const(x):
        return x

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_MTU_EXCHANGED = const(21)
_IRQ_CONNECTION_UPDATE = const(27)

_FLAG_READ = const(0x0002)
_FLAG_WRITE = const(0x0008)
_FLAG_NOTIFY = const(0x0010)

SERVICE_UUID = "7c5a0001-9e3b-4f1a-8d2e-3b6f0c1d2e4f"
DATA_UUID = "7c5a0002-9e3b-4f1a-8d2e-3b6f0c1d2e4f"
CONTROL_UUID = "7c5a0003-9e3b-4f1a-8d2e-3b6f0c1d2e4f"
STATUS_UUID = "7c5a0004-9e3b-4f1a-8d2e-3b6f0c1d2e4f"

_ADV_FLAGS = const(0x01)
_ADV_NAME_SHORT = const(0x08)
_ADV_NAME_COMPLETE = const(0x09)
_ADV_UUID128_COMPLETE = const(0x07)
_ADV_CONN_INTERVAL_RANGE = const(0x12)


def _ad(ad_type, payload):
    return bytes((len(payload) + 1, ad_type)) + payload


def uuid128_le(text):
    """'7c5a0001-...' -> 16 bytes little-endian, the order advertising data uses."""
    raw = binascii.unhexlify(text.replace("-", ""))
    return bytes(reversed(raw))


def advertising_payloads(name, interval_min_ms, interval_max_ms):
    """(adv_data, scan_response): flags + service UUID + name (shortened to fit 31 bytes) in the
    advertisement; full name + preferred connection interval range (1.25 ms units) in the scan
    response, which is how a peripheral asks for a short interval at connection time."""
    name_b = name.encode()
    adv = _ad(_ADV_FLAGS, b"\x06") + _ad(_ADV_UUID128_COMPLETE, uuid128_le(SERVICE_UUID))
    room = 31 - len(adv) - 2
    if len(name_b) <= room:
        adv += _ad(_ADV_NAME_COMPLETE, name_b)
    else:
        adv += _ad(_ADV_NAME_SHORT, name_b[:room])
    lo = int(interval_min_ms / 1.25)
    hi = int(interval_max_ms / 1.25)
    resp = _ad(_ADV_NAME_COMPLETE, name_b)
    resp += _ad(_ADV_CONN_INTERVAL_RANGE, bytes((lo & 0xFF, lo >> 8, hi & 0xFF, hi >> 8)))
    return adv, resp


class BleLink:
    """One peripheral connection at a time; callbacks run in the BLE scheduler context."""

    def __init__(self, name_suffix, mtu, interval_min_ms, interval_max_ms, adv_interval_us):
        """name_suffix: text after 'TWW-' (None: last 4 hex digits of the MAC)."""
        self.conn = -1
        self.mtu = 23
        self.interval_ms = 0.0
        self.adv_interval_us = adv_interval_us
        self.on_connect = None      # f()
        self.on_disconnect = None   # f()
        self.on_mtu = None          # f(mtu)
        self.on_control = None      # f(bytes)
        ble = bluetooth.BLE()
        self.ble = ble
        ble.active(True)
        if not name_suffix:
            name_suffix = self.mac_suffix()
        name = ("TWW-" + name_suffix)[:12]
        self.name = name
        self.adv, self.resp = advertising_payloads(name, interval_min_ms, interval_max_ms)
        ble.config(gap_name=name, mtu=mtu)
        ble.irq(self._irq)
        twitch = (
            bluetooth.UUID(SERVICE_UUID),
            (
                (bluetooth.UUID(DATA_UUID), _FLAG_NOTIFY),
                (bluetooth.UUID(CONTROL_UUID), _FLAG_WRITE),
                (bluetooth.UUID(STATUS_UUID), _FLAG_READ | _FLAG_NOTIFY),
            ),
        )
        battery = (bluetooth.UUID(0x180F), ((bluetooth.UUID(0x2A19), _FLAG_READ | _FLAG_NOTIFY),))
        devinfo = (
            bluetooth.UUID(0x180A),
            (
                (bluetooth.UUID(0x2A29), _FLAG_READ),
                (bluetooth.UUID(0x2A24), _FLAG_READ),
                (bluetooth.UUID(0x2A26), _FLAG_READ),
            ),
        )
        handles = ble.gatts_register_services((twitch, battery, devinfo))
        ((self.h_data, self.h_control, self.h_status), (self.h_battery,),
         (self.h_manu, self.h_model, self.h_fw)) = handles
        # Room for over-long control writes, so they arrive whole and are rejected as such.
        ble.gatts_set_buffer(self.h_control, 64)

    def set_device_info(self, manufacturer, model, fw_version):
        self.ble.gatts_write(self.h_manu, manufacturer.encode())
        self.ble.gatts_write(self.h_model, model.encode())
        self.ble.gatts_write(self.h_fw, fw_version.encode())

    def advertise(self):
        self.ble.gap_advertise(self.adv_interval_us, adv_data=self.adv, resp_data=self.resp)  # pyright: ignore[reportCallIssue]  # stub makes adv_data positional-only

    @property
    def connected(self):
        return self.conn >= 0

    def _irq(self, event, data):
        if event == _IRQ_CENTRAL_CONNECT:
            self.conn = data[0]
            self.mtu = 23
            try:
                self.ble.gattc_exchange_mtu(self.conn)
            except OSError:
                pass   # the central may start the exchange itself; we just stay at 23
            if self.on_connect:
                self.on_connect()
        elif event == _IRQ_CENTRAL_DISCONNECT:
            self.conn = -1
            self.mtu = 23
            if self.on_disconnect:
                self.on_disconnect()
            self.advertise()
        elif event == _IRQ_GATTS_WRITE:
            if data[1] == self.h_control and self.on_control:
                self.on_control(self.ble.gatts_read(self.h_control))
        elif event == _IRQ_MTU_EXCHANGED:
            self.mtu = data[1]
            if self.on_mtu:
                self.on_mtu(self.mtu)
        elif event == _IRQ_CONNECTION_UPDATE:
            self.interval_ms = data[1] * 1.25

    def notify_data(self, payload):
        """Send one data notification; False if the stack has no buffer now (try again later)."""
        if self.conn < 0:
            return False
        try:
            self.ble.gatts_notify(self.conn, self.h_data, payload)  # pyright: ignore[reportCallIssue]  # stub declares (value_handle, data, /), the port takes (conn, handle, data)
        except OSError:
            return False
        return True

    def set_status(self, blob, notify):
        self.ble.gatts_write(self.h_status, blob)
        if notify and self.conn >= 0:
            try:
                self.ble.gatts_notify(self.conn, self.h_status, blob)  # pyright: ignore[reportCallIssue]  # stub declares (value_handle, data, /), the port takes (conn, handle, data)
            except OSError:
                pass   # the value is readable anyway

    def set_battery(self, percent, notify):
        b = bytes((percent,))
        self.ble.gatts_write(self.h_battery, b)
        if notify and self.conn >= 0:
            try:
                self.ble.gatts_notify(self.conn, self.h_battery, b)  # pyright: ignore[reportCallIssue]  # stub declares (value_handle, data, /), the port takes (conn, handle, data)
            except OSError:
                pass

    def mac_suffix(self):
        """Last 4 hex digits of the radio's MAC, for the default name."""
        try:
            mac = self.ble.config("mac")[1]
            return "%02X%02X" % (mac[-2], mac[-1])
        except (OSError, ValueError, IndexError, TypeError):
            return "0000"
