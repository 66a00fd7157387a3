"""The ``twitchwatch`` command. With no subcommand it opens the desktop app.

Each subcommand lives in ``commands/<name>.py`` and exposes ``register(subparsers)``, which adds
its parser and sets ``func`` (``run(args) -> int``). Command modules import heavy libraries
(Qt, bleak, matplotlib) inside ``run`` so that ``twitchwatch --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .errors import TwitchwatchError

COMMANDS = ("app", "analyze", "record", "scan", "report", "export", "reanalyze", "diary", "bench", "simulate")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twitchwatch",
        description="A muscle-twitch diary from a small accelerometer worn on the muscle. "
                    "With no command, opens the desktop app (on the simulated sensor until you pick one).",
        epilog="Counts are a self-monitoring record, not a diagnosis.",
    )
    parser.add_argument("--version", action="version", version=f"twitchwatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"{__package__}.commands.{name}")
        except ModuleNotFoundError as err:
            if err.name == f"{__package__}.commands.{name}":
                continue               # not built yet in this checkout
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        if "app" not in parser._subparsers._group_actions[0].choices:   # type: ignore[union-attr]
            args = parser.parse_args(["analyze", "--demo"])
        else:
            args = parser.parse_args(["app"])
    try:
        return int(args.func(args) or 0)
    except TwitchwatchError as err:
        print(f"twitchwatch: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("twitchwatch: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
