"""Finding sensors (scan by the service UUID), choosing one, and remembering the choice.

The remembered sensor is a small JSON file in the user's config folder (``platformdirs``),
0600 in a 0700 folder; ``TWITCHWATCH_CONFIG`` overrides the folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bleak import BleakScanner

from ..errors import LinkError
from . import protocol as P
from .bumble_backend import BumbleScanner

CONFIG_ENV = "TWITCHWATCH_CONFIG"
SENSOR_FILE = "sensor.json"


@dataclass(frozen=True)
class FoundSensor:
    name: str
    address: str
    rssi: int
    device: Any = None          # bleak BLEDevice, to connect without another scan


def backend_kwargs(bumble: Any, scanner: bool) -> dict[str, Any]:
    """bleak keyword arguments: the Bumble backend when a virtual radio is given, else the OS's."""
    if bumble is None and not os.environ.get("BLEAK_BUMBLE"):
        return {}
    from .bumble_backend import BumbleClient

    return {"backend": BumbleScanner if scanner else BumbleClient, "bumble": bumble}


async def scan_sensors(timeout_s: float = 5.0, bumble: Any = None) -> list[FoundSensor]:
    """Sensors advertising the twitchwatch service, strongest signal first."""
    found = await BleakScanner.discover(timeout=timeout_s, service_uuids=[P.SERVICE_UUID],
                                        return_adv=True, **backend_kwargs(bumble, True))
    out = [FoundSensor(adv.local_name or dev.name or dev.address, dev.address, adv.rssi, dev)
           for dev, adv in found.values()]
    return sorted(out, key=lambda s: -s.rssi)


def config_dir() -> Path:
    env = os.environ.get(CONFIG_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("twitchwatch", appauthor=False))


def remember_device(name: str, address: str, folder: Path | None = None) -> Path:
    """Store the chosen sensor (0600 file in a 0700 folder)."""
    folder = folder or config_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / SENSOR_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"name": name, "address": address}, f)
    os.chmod(path, 0o600)
    return path


def remembered_device(folder: Path | None = None) -> dict[str, str] | None:
    """The remembered sensor as ``{"name", "address"}``, or None."""
    path = (folder or config_dir()) / SENSOR_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and isinstance(data.get("address"), str):
        return {"name": str(data.get("name", "")), "address": data["address"]}
    return None


async def choose_sensor(target: str | None, timeout_s: float, bumble: Any = None,
                        remember: bool = True) -> FoundSensor:
    """Scan and pick the sensor to connect to: ``target`` by name or address, else the
    remembered one, else the only one in range. Remembers the choice when ``remember``."""
    if target is None:
        saved = remembered_device()
        target = saved["address"] if saved else None
    sensors = await scan_sensors(timeout_s, bumble)
    for s in sensors:
        if target is None or target in (s.name, s.address) or target.upper() == s.address.upper():
            if target is None and len(sensors) > 1:
                listing = ", ".join(f"{x.name} ({x.address}, {x.rssi} dBm)" for x in sensors)
                raise LinkError(f"several sensors found: {listing}; choose one with --sensor NAME")
            if remember:
                remember_device(s.name, s.address)
            return s
    what = f"sensor {target!r}" if target else "twitchwatch sensor"
    raise LinkError(f"no {what} found in {timeout_s:g} s; switch it on, "
                    "bring it close and try again (twitchwatch scan lists sensors)")
