"""``twitchwatch scan``: list twitchwatch sensors in range (name, address, signal)."""

from __future__ import annotations

import argparse
import asyncio

from ..errors import ConfigError, LinkError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scan", help="list twitchwatch sensors in range")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to listen (default 5)")
    p.add_argument("--sim", action="store_true", help="also start the simulated BLE sensor (no hardware)")
    p.set_defaults(func=run)


async def _scan(timeout_s: float, sim: bool):
    from ..ble.discovery import scan_sensors

    if not sim:
        return await scan_sensors(timeout_s)
    from ..ble.sim_peripheral import make_link_pair

    sensor, host = make_link_pair()
    await sensor.start()
    try:
        return await scan_sensors(timeout_s, bumble=host)
    finally:
        await sensor.stop()


def run(args: argparse.Namespace) -> int:
    if not 0.1 <= args.timeout <= 120:
        raise ConfigError(f"--timeout {args.timeout}: use 0.1 to 120 seconds")
    try:
        found = asyncio.run(_scan(args.timeout, args.sim))
    except (OSError, EOFError, ConnectionError) as err:
        raise LinkError(f"cannot scan: {err}; is Bluetooth switched on?") from None
    except Exception as err:  # bleak raises its own BleakError for a missing adapter
        raise LinkError(f"cannot scan: {err}; is Bluetooth switched on?") from None
    if not found:
        print("no twitchwatch sensor found; switch it on and bring it close")
        return 1
    for s in found:
        print(f"{s.name:14s} {s.address:20s} {s.rssi:4d} dBm")
    return 0
