"""``twitchwatch app`` (also plain ``twitchwatch``): the desktop window.

Without options it streams the remembered sensor, or the simulated sensor when none was ever
chosen (and says so on screen), so the first run shows a working app at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("app", help="open the desktop app (the default with no command)",
                       description="Open the twitchwatch window: live signal, counts, episodes and diary. "
                                   "Uses the remembered sensor, or the simulated sensor if none was chosen.")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--sensor", metavar="ADDRESS", help="connect to this sensor (BLE address or name)")
    src.add_argument("--replay", metavar="FILE", help="replay a recording (.csv, .csv.gz, .twr) instead of a sensor")
    src.add_argument("--simulated", action="store_true", help="use the simulated sensor even if one is remembered")
    p.add_argument("--speed", type=float, default=1.0,
                   help="replay/simulator speed, times real time (default 1; 0 = as fast as possible)")
    p.add_argument("--data-dir", metavar="DIR",
                   help="diary folder (default: $TWITCHWATCH_DATA or your user data folder)")
    p.add_argument("--quit-after", type=float, metavar="SECONDS", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def options_from_args(args: argparse.Namespace):
    """Validate the arguments (before any window opens) into LaunchOptions."""
    from ..ui.launch import LaunchOptions

    if args.replay and not Path(args.replay).expanduser().is_file():
        raise ConfigError(f"--replay {args.replay}: no such file; give a recording (.csv, .csv.gz or .twr)")
    if not (args.speed == 0 or 0.1 <= args.speed <= 1000):
        raise ConfigError(f"--speed {args.speed} is out of range; give 0.1 to 1000 (or 0 for as fast as possible)")
    if args.quit_after is not None and args.quit_after <= 0:
        raise ConfigError("--quit-after must be a positive number of seconds")
    return LaunchOptions(data_dir=args.data_dir, sensor=args.sensor, replay=args.replay,
                         simulated=bool(args.simulated), speed=None if args.speed == 0 else args.speed,
                         quit_after_s=args.quit_after)


def check_display() -> None:
    """Qt aborts the process without a display; say so in one line instead (Linux only)."""
    if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")):
        raise ConfigError("no display found: the twitchwatch window needs a desktop session. From a terminal, "
                          "use `twitchwatch analyze`, `record` or `report`, or set QT_QPA_PLATFORM=offscreen")


def run(args: argparse.Namespace) -> int:
    from .diary import recover_first

    check_display()
    options = options_from_args(args)
    recover_first(options.data_dir)
    from ..ui.launch import run_app

    return run_app(options)
