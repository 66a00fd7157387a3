"""The ``twitchwatch`` command. With no subcommand it opens the desktop app.

Each subcommand lives in ``commands/<name>.py`` and exposes ``register(subparsers)``, which adds
its parser and sets ``func`` (``run(args) -> int``). Command modules import heavy libraries
(Qt, bleak, matplotlib) inside ``run`` so that ``twitchwatch --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
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


#: The exit status of a tool killed by SIGPIPE (128 + 13), as ``yes | head -1`` reports for ``yes``.
SIGPIPE_STATUS = 141


def main(argv: list[str] | None = None) -> int:
    """Run one command. A reader that goes away (``twitchwatch analyze --json F | head -1``)
    ends any command quietly with :data:`SIGPIPE_STATUS`, never a BrokenPipeError traceback."""
    try:
        try:
            status = _main(argv)
        except SystemExit:
            _flush_stdout()     # argparse's --help/--version: a closed pipe shows here too
            raise
        _flush_stdout()         # ... not at interpreter exit, where it could not be handled
        return status
    except BrokenPipeError:
        _silence_stdout()
        return SIGPIPE_STATUS


def _flush_stdout() -> None:
    if sys.stdout is not None:
        sys.stdout.flush()


def _silence_stdout() -> None:
    """Send whatever is still buffered for stdout to the null device, so that Python's own
    flush at exit does not fail again (the recipe in Python's signal module docs)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (AttributeError, OSError, ValueError):
        pass    # no real stdout (e.g. captured in-process): nothing will be flushed to a pipe


def _main(argv: list[str] | None) -> int:
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
