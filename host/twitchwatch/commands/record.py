"""``twitchwatch record --sensor NAME --out FILE``: record a BLE sensor to a native file,
counting twitches live and printing the link's data-quality ledger at the end.
``--sensor sim-ble`` uses the simulated BLE sensor in-process (no hardware needed)."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from ..errors import ConfigError, LinkError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("record", help="record a sensor to a .twr file with live counts")
    p.add_argument("--sensor", default=None, help="sensor name or address, or sim-ble (default: the remembered one)")
    p.add_argument("--out", required=True, help="output file (.twr)")
    p.add_argument("--duration", type=float, default=None, help="stop after this many seconds (default: Ctrl-C)")
    p.add_argument("--json", action="store_true", help="print the ledger as JSON at the end")
    p.set_defaults(func=run)


async def _record(args: argparse.Namespace, out: Path) -> dict:
    from ..ble.source import BleSensorSource
    from ..detect import DetectorParams, TwitchDetector
    from ..io.native import NativeWriter

    sensor = None
    bumble = None
    target = args.sensor
    if args.sensor == "sim-ble":
        from ..ble.sim_peripheral import make_link_pair

        sensor, bumble = make_link_pair()
        await sensor.start()
        target = sensor.cfg.name
    from ..ble.source import LinkParams

    src = BleSensorSource(target, bumble=bumble,
                          params=LinkParams(scan_timeout_s=1.0, remember=False) if sensor else LinkParams())
    writer = det = None
    t_end = None
    last_print = 0.0
    try:
        async for chunk in src.chunks():
            if writer is None:
                if args.duration is not None:      # the clock starts with the first sample
                    t_end = time.monotonic() + args.duration
                writer = NativeWriter.create(out, fs_hz=src.fs_hz, has_gyro=True, start_wall_s=chunk.wall_s,
                                             device=src.name, site="", side="", meta={})
                det = TwitchDetector(src.fs_hz, DetectorParams())
            writer.append(chunk.accel_g, chunk.gyro_dps)
            det.process(chunk.accel_g, chunk.gyro_dps)
            now = time.monotonic()
            if now - last_print > 1.0:
                led = src.ledger
                print(f"\r{src.state:12s} {led.samples_expected / src.fs_hz:8.1f} s  lost {led.lost}  "
                      f"backfilled {led.backfilled}  reconnects {led.reconnects}", end="", flush=True)
                last_print = now
            if t_end is not None and now >= t_end:
                await src.stop()
    finally:
        await src.stop()
        if writer is not None:
            writer.close()
        if sensor is not None:
            await sensor.stop()
    print()
    result = {"ledger": src.ledger.as_dict()}
    if det is not None:
        out_det = det.finish()
        result["twitches"] = len(out_det.twitches)
        result["episodes"] = len(out_det.episodes)
    return result


def run(args: argparse.Namespace) -> int:
    out = Path(args.out).expanduser()
    if out.suffix != ".twr":
        raise ConfigError(f"--out {args.out}: the file must end in .twr")
    if not out.parent.is_dir():
        raise ConfigError(f"--out {args.out}: folder {out.parent} does not exist; create it first")
    if args.duration is not None and args.duration <= 0:
        raise ConfigError(f"--duration {args.duration}: must be a positive number of seconds")
    try:
        result = asyncio.run(_record(args, out))
    except KeyboardInterrupt:
        print("\nstopped")
        return 0
    except (OSError, EOFError) as err:
        raise LinkError(f"the sensor link failed: {err}; is Bluetooth switched on?") from None
    if args.json:
        print(json.dumps(result))
    else:
        from ..link.ledger import Ledger

        led = Ledger(**{k: v for k, v in result["ledger"].items() if k in Ledger.__dataclass_fields__})
        print(led.summary())
        if "twitches" in result:
            print(f"twitches {result['twitches']}, episodes {result['episodes']}")
    return 0
