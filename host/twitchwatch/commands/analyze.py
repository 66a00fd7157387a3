"""``twitchwatch analyze FILE... [--json]``: detect twitches and episodes in recordings."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import ConfigError, TwitchwatchError

DEMO = Path(__file__).resolve().parents[3] / "recordings" / "demo.csv.gz"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="count twitches and episodes in recording files",
                       description="Analyse interchange CSV (.csv, .csv.gz) and native (.twr) recordings. "
                                   "Times are seconds from each file's start.")
    p.add_argument("files", nargs="*", metavar="FILE", help="recordings to analyse")
    p.add_argument("--json", action="store_true", help="one JSON object per file, one per line (docs/analyze-json.md)")
    p.add_argument("--demo", action="store_true", help="analyse the bundled demo recording")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a detector parameter, e.g. --set threshold_factor=5 (repeatable)")
    p.set_defaults(func=run)


def parse_overrides(items: list[str]):
    """DetectorParams with ``NAME=VALUE`` overrides (values are JSON: numbers, [lo, hi])."""
    from ..detect import DetectorParams

    raw = DetectorParams().as_dict()
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or name not in raw:
            raise ConfigError(f"--set {item!r}: expected NAME=VALUE with NAME one of {', '.join(raw)}")
        try:
            raw[name] = json.loads(value)
        except json.JSONDecodeError:
            raise ConfigError(f"--set {item!r}: {value!r} is not a number or a [low, high] list") from None
    try:
        return DetectorParams.from_dict(raw)
    except TypeError as err:
        raise ConfigError(f"--set: {err}") from None


def run(args: argparse.Namespace) -> int:
    from ..detect.summary import describe, run_detector, summarise
    from ..io import read_recording

    files = list(args.files)
    if args.demo:
        files.append(str(DEMO))
    if not files:
        raise ConfigError("no recording given; name one or more files, or use --demo")
    params = parse_overrides(args.set)
    status = 0
    printed = False
    for name in files:
        try:
            rec = read_recording(name)
            params.validate(rec.fs_hz)
            summary = summarise(rec, run_detector(rec, params), params, file=name)
        except TwitchwatchError as err:
            msg = str(err)
            print(f"twitchwatch: {msg if name in msg else f'{name}: {msg}'}", file=sys.stderr)
            status = 1
            continue
        except MemoryError:
            print(f"twitchwatch: {name}: not enough memory to analyse this file; split it into shorter files",
                  file=sys.stderr)
            status = 1
            continue
        if args.json:
            print(json.dumps(summary), flush=True)
        else:
            print(("\n" if printed else "") + describe(summary), flush=True)
            printed = True
    return status
