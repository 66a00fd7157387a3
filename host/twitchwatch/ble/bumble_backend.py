"""A bleak 3.x backend that runs over a Bumble host stack instead of the operating system's.

bleak accepts a custom backend through its public ``backend=`` argument and hands unknown
keyword arguments through to it, so application code keeps the ordinary bleak calls::

    link = LocalLink()
    central = Controller("central", link=link)            # a virtual radio for the host
    dev = await BleakScanner.find_device_by_name("TWW-SIM", backend=BumbleScanner, bumble=central)
    async with BleakClient(dev, backend=BumbleClient, bumble=central) as client:
        await client.start_notify(DATA_UUID, on_data)

``bumble=`` is either a Bumble :class:`~bumble.controller.Controller` (in-process virtual link,
used by the tests and the ``sim-ble`` demo) or a Bumble transport spec such as
``"tcp-client:127.0.0.1:9002"`` (another process hosts the virtual radio). When it is omitted
the ``BLEAK_BUMBLE`` environment variable is used.

One Bumble host ("central") is kept per controller or transport and per event loop; it is
shared by every scanner and client using it. :func:`reset_centrals` forgets them (tests).
Pairing is not supported (the twitchwatch sensor does not need it).

Failure semantics follow bleak's OS backends, because a caller's reconnect loop depends on them:

- When the link drops, Bumble *cancels* the pending ATT request's future. Left alone that
  surfaces as ``asyncio.CancelledError`` in the caller, which looks like the caller's own task
  being cancelled and silently ends its loops. Every radio operation here turns it (and any
  other Bumble error) into :class:`~bleak.exc.BleakError`; a genuine cancellation of the caller
  still propagates.
- A connection nobody owns (an attempt that timed out or was cancelled just as the peer
  accepted) is dropped at once. Otherwise the peer stays connected to a ghost, stops
  advertising, and every later connect attempt fails.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid as uuid_mod
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError
from bumble import hci
from bumble.controller import Controller
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.gatt import Characteristic

logger = logging.getLogger(__name__)

ENV_TRANSPORT = "BLEAK_BUMBLE"
DEFAULT_MTU = 247        # what BlueZ/CoreBluetooth negotiate with a peripheral that allows it

_PROPERTY_NAMES = (      # bit order of the GATT characteristic properties byte
    "broadcast", "read", "write-without-response", "write", "notify", "indicate",
    "authenticated-signed-writes", "extended-properties",
)


def uuid_str(u: UUID) -> str:
    """A Bumble UUID as bleak's normalised 128-bit lowercase string."""
    return str(uuid_mod.UUID(bytes=bytes(reversed(u.to_bytes(force_128=True)))))


def _peer_key(address: hci.Address) -> str:
    return address.to_string(False).upper()


async def _radio(what: str, operation: Any) -> Any:
    """Await a Bumble operation; a dropped link or Bumble error becomes BleakError."""
    try:
        return await operation
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise                           # the caller really is being cancelled
        raise BleakError(f"{what}: the connection dropped") from None
    except BleakError:
        raise
    except Exception as err:  # noqa: BLE001 - Bumble raises HCI, ATT, protocol and timeout errors
        raise BleakError(f"{what}: {err!r}") from err


@dataclass
class _Central:
    device: Device
    loop: asyncio.AbstractEventLoop
    connect_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    scanners: set[Any] = field(default_factory=set)
    transport: Any = None
    connecting: set[str] = field(default_factory=set)      # peers a connect() is waiting for
    owned: set[Connection] = field(default_factory=set)    # connections a client holds
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def on_connection(self, connection: Connection) -> None:
        # A connection arriving while nobody waits for it is a leftover of an abandoned
        # attempt; anything else is claimed by the connect() that asked for it.
        if _peer_key(connection.peer_address) not in self.connecting and connection not in self.owned:
            self.drop(connection, "a connection nobody is waiting for")

    def drop_stale(self, peer: hci.Address) -> None:
        """Drop connections to ``peer`` that no client owns."""
        key = _peer_key(peer)
        for connection in list(self.device.connections.values()):
            if _peer_key(connection.peer_address) == key and connection not in self.owned:
                self.drop(connection, "a stale connection")

    def drop(self, connection: Connection, why: str, timeout_s: float = 5.0) -> None:
        logger.info("Bumble backend: dropping %s to %s", why, connection.peer_address)
        self.owned.discard(connection)

        async def disconnect() -> None:
            try:
                await asyncio.wait_for(connection.disconnect(), timeout_s)
            except Exception as err:  # noqa: BLE001 - already gone is fine
                logger.debug("Bumble drop: %r", err)

        task = self.loop.create_task(disconnect())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


_centrals: dict[tuple[int, Any], _Central] = {}
_central_count = 0


def reset_centrals() -> None:
    """Forget every cached Bumble central (call between tests that use fresh links)."""
    _centrals.clear()


def _key_of(bumble: Any) -> Any:
    return ("ctl", id(bumble)) if isinstance(bumble, Controller) else ("spec", str(bumble))


async def get_central(bumble: Any = None) -> _Central:
    """The powered-on Bumble host for ``bumble`` (controller or transport spec), created once."""
    global _central_count
    if bumble is None:
        bumble = os.environ.get(ENV_TRANSPORT)
        if not bumble:
            raise BleakError(
                "Bumble backend needs bumble=<Controller or transport spec> or "
                f"the {ENV_TRANSPORT} environment variable"
            )
    loop = asyncio.get_running_loop()
    key = (id(loop), _key_of(bumble))
    central = _centrals.get(key)
    if central is not None:
        return central
    _central_count += 1
    # A random static address (two top bits set), unique per central in this process.
    address = hci.Address(f"C0:00:00:00:{_central_count >> 8 & 0xFF:02X}:{_central_count & 0xFF:02X}")
    transport = None
    if isinstance(bumble, Controller):
        device = Device.with_hci("twitchwatch-host", address, bumble, bumble)
    else:
        from bumble.transport import open_transport

        transport = await open_transport(str(bumble))
        device = Device.with_hci("twitchwatch-host", address, transport.source, transport.sink)
    await device.power_on()
    central = _Central(device=device, loop=loop, transport=transport)
    device.on("connection", central.on_connection)
    _centrals[key] = central
    return central


def _advertisement_data(adv: Advertisement) -> tuple[str | None, AdvertisementData]:
    data: AdvertisingData = adv.data
    name = data.get(AdvertisingData.COMPLETE_LOCAL_NAME) or data.get(
        AdvertisingData.SHORTENED_LOCAL_NAME
    )
    uuids: list[str] = []
    for ad_type in (
        AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.COMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.INCOMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
    ):
        for value in data.get_all(ad_type):
            uuids.extend(uuid_str(u) for u in value)
    uuids = list(dict.fromkeys(uuids))   # a scan response repeats the advertising data
    manufacturer: dict[int, bytes] = {}
    for value in data.get_all(AdvertisingData.MANUFACTURER_SPECIFIC_DATA):
        company, payload = value
        manufacturer[int(company)] = bytes(payload)
    service_data: dict[str, bytes] = {}
    for ad_type in (
        AdvertisingData.SERVICE_DATA_16_BIT_UUID,
        AdvertisingData.SERVICE_DATA_32_BIT_UUID,
        AdvertisingData.SERVICE_DATA_128_BIT_UUID,
    ):
        for u, payload in data.get_all(ad_type):
            service_data[uuid_str(u)] = bytes(payload)
    tx_power = data.get(AdvertisingData.TX_POWER_LEVEL)
    name_str = str(name) if name is not None else None
    return name_str, AdvertisementData(
        local_name=name_str,
        manufacturer_data=manufacturer,
        service_data=service_data,
        service_uuids=uuids,
        tx_power=int(tx_power) if tx_power is not None else None,
        rssi=int(adv.rssi),
        platform_data=(adv,),
    )


class BumbleScanner(BaseBleakScanner):
    """Scans through a Bumble host; filters by service UUID like the OS backends do."""

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: Literal["active", "passive"] = "active",
        *,
        bumble: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._bumble = bumble
        self._active = scanning_mode == "active"
        self._central: _Central | None = None

    def _on_advertisement(self, adv: Advertisement) -> None:
        name, ad = _advertisement_data(adv)
        if not self.is_allowed_uuid(ad.service_uuids):
            return
        address = adv.address.to_string(False)
        device = self.create_or_update_device(address, address, name, adv.address, ad)
        self.call_detection_callbacks(device, ad)

    async def start(self) -> None:
        self.seen_devices = {}
        central = self._central = await get_central(self._bumble)
        central.device.on("advertisement", self._on_advertisement)
        if not central.scanners:
            await central.device.start_scanning(active=self._active, filter_duplicates=False)
        central.scanners.add(self)

    async def stop(self) -> None:
        central = self._central
        if central is None:
            return
        central.device.remove_listener("advertisement", self._on_advertisement)
        central.scanners.discard(self)
        if not central.scanners and central.device.is_scanning:
            await central.device.stop_scanning()
        self._central = None


class BumbleClient(BaseBleakClient):
    """A GATT client through a Bumble host: connect, discover, read/write, notify, MTU."""

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        bumble: Any = None,
        mtu: int = DEFAULT_MTU,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        if isinstance(address_or_ble_device, BLEDevice):
            details = address_or_ble_device.details
            self._peer_address = details if isinstance(details, hci.Address) else hci.Address(
                address_or_ble_device.address
            )
            self._name = address_or_ble_device.name or address_or_ble_device.address
        else:
            self._peer_address = hci.Address(address_or_ble_device)
            self._name = address_or_ble_device
        self._bumble = bumble
        self._wanted_mtu = int(mtu)
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._subscribers: dict[int, Callable[[bytes], None]] = {}
        self._central: _Central | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def mtu_size(self) -> int:
        return int(self._connection.att_mtu) if self._connection is not None else 23

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        if pair:
            logger.info("Bumble backend: pairing is not supported; connecting without it")
        central = self._central = await get_central(self._bumble)
        key = _peer_key(self._peer_address)
        async with central.connect_lock:     # Bumble allows one pending LE connection at a time
            central.drop_stale(self._peer_address)
            central.connecting.add(key)
            connection: Connection | None = None
            try:
                # Bumble's own timeout cancels the attempt at the controller and then waits for
                # the controller to confirm, which a virtual controller never does: bound both.
                connection = await _radio(
                    f"could not connect to {self._peer_address}",
                    asyncio.wait_for(central.device.connect(self._peer_address, timeout=self._timeout),
                                     self._timeout + 1.0))
                if central.device.connections.get(connection.handle) is not connection:
                    raise BleakError(f"the connection to {self._peer_address} dropped as it was made")
                central.owned.add(connection)
            finally:
                central.connecting.discard(key)
                if connection is None or connection not in central.owned:
                    central.drop_stale(self._peer_address)  # a late or half-made connection
        self._connection = connection
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        peer = self._peer = Peer(connection)
        try:
            if self._wanted_mtu > 23:
                await _radio("MTU exchange", asyncio.wait_for(peer.request_mtu(self._wanted_mtu),
                                                              self._timeout))
            await _radio("service discovery", asyncio.wait_for(peer.discover_all(), self._timeout))
        except asyncio.CancelledError:
            self._abandon()                  # cannot await while being cancelled
            raise
        except BaseException:
            await self.disconnect()
            raise
        self.services = self._build_services(peer)

    def _abandon(self) -> None:
        connection, self._connection, self._peer = self._connection, None, None
        if connection is not None and self._central is not None:
            self._central.drop(connection, "an abandoned connection", self._timeout)

    def _on_disconnection(self, reason: int) -> None:
        was_connected = self._connection is not None
        if self._central is not None and self._connection is not None:
            self._central.owned.discard(self._connection)
        self._connection = None
        self._peer = None
        self._subscribers.clear()
        if was_connected and self._disconnected_callback is not None:
            self._disconnected_callback()

    @staticmethod
    def _build_services(peer: Peer) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        for svc in peer.services:
            bsvc = BleakGATTService(svc, svc.handle, uuid_str(svc.uuid))
            collection.add_service(bsvc)
            for ch in svc.characteristics:
                props = [n for bit, n in enumerate(_PROPERTY_NAMES) if int(ch.properties) >> bit & 1]
                bch = BleakGATTCharacteristic(
                    ch, ch.handle, uuid_str(ch.uuid), props,
                    lambda: max(20, (peer.connection.att_mtu or 23) - 3), bsvc,
                )
                collection.add_characteristic(bch)
                for d in ch.descriptors:
                    collection.add_descriptor(
                        BleakGATTDescriptor(d, d.handle, uuid_str(d.type), bch)
                    )
        return collection

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        done = asyncio.get_running_loop().create_future()
        connection.once(connection.EVENT_DISCONNECTION, lambda *_: done.done() or done.set_result(None))
        try:
            # Bounded as a whole: the HCI command itself may wait on a link that is gone.
            async def both() -> None:
                await connection.disconnect()
                await done
            await asyncio.wait_for(both(), timeout=self._timeout)
        except asyncio.CancelledError:
            self._abandon()
            raise
        except Exception as err:  # already gone: treat as disconnected
            logger.debug("Bumble disconnect: %r", err)
        if self._central is not None:
            self._central.owned.discard(connection)
        self._connection = None
        self._peer = None

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise BleakError("pairing is not supported by the Bumble backend")

    async def unpair(self) -> None:
        raise BleakError("pairing is not supported by the Bumble backend")

    def _require_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError("Not connected")
        return self._peer

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        return bytearray(await _radio("read", self._require_peer().read_value(characteristic.obj)))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        return bytearray(await _radio("read", self._require_peer().read_value(descriptor.obj)))

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: Any, response: bool
    ) -> None:
        await _radio("write", self._require_peer().write_value(
            characteristic.obj, bytes(data), with_response=response))

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        await _radio("write", self._require_peer().write_value(descriptor.obj, bytes(data), with_response=True))

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        peer = self._require_peer()

        def on_value(value: bytes) -> None:
            callback(bytearray(value))

        self._subscribers[characteristic.handle] = on_value
        await _radio("subscribe", peer.subscribe(characteristic.obj, on_value))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        peer = self._require_peer()
        subscriber = self._subscribers.pop(characteristic.handle, None)
        await _radio("unsubscribe", peer.unsubscribe(characteristic.obj, subscriber))
