"""CPython side of the fake `bluetooth`: a Bumble peripheral driven by the firmware over TCP.

The firmware (MicroPython unix port) sends one JSON line per `bluetooth.BLE` call; the bridge
turns it into Bumble calls on a virtual controller and answers. Bumble events (connection,
disconnection, writes, ATT MTU) go back as `{"ev": <IRQ code>, ...}` lines. A bleak client on the
same LocalLink (through twitchwatch.ble.bumble_backend) sees an ordinary BLE peripheral.
"""

from __future__ import annotations

import asyncio
import json
import logging

from bumble import hci
from bumble.controller import Controller
from bumble.device import Device
from bumble.gatt import Characteristic, CharacteristicValue, Service

log = logging.getLogger(__name__)

IRQ_CENTRAL_CONNECT = 1
IRQ_CENTRAL_DISCONNECT = 2
IRQ_GATTS_WRITE = 3
IRQ_MTU_EXCHANGED = 21
PERIPHERAL_ADDRESS = "F0:F1:F2:F3:A1:B2"


def _bumble_uuid(text: str) -> str:
    return text if len(text) > 4 else text.upper()


class Bridge:
    def __init__(self, controller: Controller) -> None:
        self.controller = controller
        self.device = Device.with_hci("TWW-fake", hci.Address(PERIPHERAL_ADDRESS), controller,
                                      controller)
        self.chars: dict[int, Characteristic] = {}
        self.values: dict[int, bytes] = {}
        self.connection = None
        self.writer: asyncio.StreamWriter | None = None
        self.server: asyncio.AbstractServer | None = None
        self.port = 0
        self.notifications = 0
        self.calls = 0
        self.connected = asyncio.Event()
        self.device.on("connection", self._on_connection)

    async def start(self) -> int:
        await self.device.power_on()
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        if self.writer is not None:
            self.writer.close()

    # ---- firmware -> Bumble --------------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        while True:
            try:
                line = await reader.readline()
            except ConnectionError:
                return      # the firmware process ended
            if not line:
                return
            msg = json.loads(line)
            self.calls += 1
            reply: dict = {"id": msg["id"]}
            try:
                reply["result"] = await self._op(msg)
            except OSError as e:
                reply["err"] = e.errno or 5
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()

    async def _op(self, msg: dict):
        op = msg["op"]
        if op == "active" or op == "exchange_mtu":
            return None     # the central asks for the MTU it wants (bleak's backend: 247)
        if op == "config":
            if "gap_name" in msg:
                self.device.name = msg["gap_name"]
            return None
        if op == "mac":
            return bytes(reversed(bytes(self.device.public_address))).hex()
        if op == "register":
            return self._register(msg["services"])
        if op == "write":
            self.values[msg["handle"]] = bytes.fromhex(msg["value"])
            return None
        if op == "notify":
            conn = self.connection
            if conn is None or conn.handle != msg["conn"]:
                raise OSError(128, "not connected")     # ENOTCONN, as NimBLE reports it
            char = self.chars[msg["handle"]]
            # force: NimBLE's gatts_notify sends whether or not the CCCD is set, so a packet sent
            # before the client subscribed is lost exactly as on the air.
            await self.device.notify_subscriber(conn, char, bytes.fromhex(msg["value"]),
                                                force=True)
            self.notifications += 1
            return None
        if op == "advertise":
            return await self._advertise(msg)
        if op == "disconnect":
            if self.connection is not None:
                await self.connection.disconnect()
            return True
        raise OSError(22, "unknown op " + op)

    def _register(self, services) -> list[list[int]]:
        built = []
        per_service = []
        for svc_uuid, chars in services:
            cs = []
            for c_uuid, flags in chars:
                props = Characteristic.Properties(flags & 0xFF)
                perms = 0
                if flags & 0x02:
                    perms |= Characteristic.READABLE
                if flags & 0x0C:
                    perms |= Characteristic.WRITEABLE
                char = Characteristic(_bumble_uuid(c_uuid), props, perms or Characteristic.READABLE,
                                      CharacteristicValue())
                cs.append(char)
            built.append(Service(_bumble_uuid(svc_uuid), cs))
            per_service.append(cs)
        self.device.add_services(built)
        handles = []
        for cs in per_service:
            hs = []
            for char in cs:
                h = char.handle
                self.chars[h] = char
                char.value = CharacteristicValue(read=self._reader(h), write=self._writer(h))
                hs.append(h)
            handles.append(hs)
        return handles

    def _reader(self, handle: int):
        return lambda _conn: self.values.get(handle, b"")

    def _writer(self, handle: int):
        def on_write(conn, value: bytes) -> None:
            self.values[handle] = bytes(value)
            self._event(IRQ_GATTS_WRITE, [conn.handle, handle], value=bytes(value).hex())
        return on_write

    async def _advertise(self, msg) -> None:
        if self.device.is_advertising:
            await self.device.stop_advertising()
        if msg.get("interval_us") is None:
            return None
        self.device.advertising_data = bytes.fromhex(msg["adv"] or "")
        self.device.scan_response_data = bytes.fromhex(msg["resp"] or "")
        ms = max(20, msg["interval_us"] // 1000)
        await self.device.start_advertising(auto_restart=False, advertising_interval_min=ms,
                                            advertising_interval_max=ms)
        return None

    # ---- Bumble -> firmware ----------------------------------------------------------------------------
    def _event(self, code, data, **extra) -> None:
        if self.writer is None or self.writer.is_closing():
            return
        msg = {"ev": code, "data": data}
        msg.update(extra)
        self.writer.write(json.dumps(msg).encode() + b"\n")

    def _on_connection(self, connection) -> None:
        self.connection = connection
        self.connected.set()
        connection.on("disconnection", lambda reason: self._on_disconnection(connection))
        connection.on("connection_att_mtu_update",
                      lambda: self._event(IRQ_MTU_EXCHANGED, [connection.handle,
                                                              connection.att_mtu]))
        addr = bytes(reversed(bytes(connection.peer_address))).hex()
        self._event(IRQ_CENTRAL_CONNECT, [connection.handle, 0, addr])

    def _on_disconnection(self, connection) -> None:
        if self.connection is connection:
            self.connection = None
            self.connected.clear()
        self._event(IRQ_CENTRAL_DISCONNECT, [connection.handle, 0, "000000000000"])

    # ---- test controls -----------------------------------------------------------------------------
    async def drop_link(self) -> None:
        """Lose the connection as a radio does (supervision timeout), from the sensor's side."""
        if self.connection is not None:
            await self.connection.disconnect(hci.HCI_CONNECTION_TIMEOUT_ERROR)

    def request_meminfo(self) -> None:
        """Ask the firmware's fake radio to print the MicroPython heap figures on its stdout."""
        self._event("mem", [])
