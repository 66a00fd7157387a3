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
    """DetectorParams with ``NAME=VALUE`` overrides (values are JSON: numbers, true/false, [lo, hi])."""
    from ..detect import DetectorParams

    raw = DetectorParams().as_dict()
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or name not in raw:
            raise ConfigError(f"--set {item!r}: expected NAME=VALUE with NAME one of {', '.join(raw)}")
        try:
            raw[name] = json.loads(value)
        except json.JSONDecodeError:
            raise ConfigError(f"--set {item!r}: {value!r} is not a number, true/false or a [low, high] list") from None
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
            if name.lower().endswith(".twr"):       # decoded piece by piece: bounded memory
                summary = _analyse_native(name, params)
            elif name.lower().endswith((".csv", ".csv.gz")):   # parsed piece by piece too
                summary = _analyse_csv(name, params)
            else:
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


def _analyse_native(name: str, params) -> dict:
    from ..detect.summary import CHUNK_N, run_detector_chunks, summary_of
    from ..io.native import scan_native

    scan = scan_native(name)
    params.validate(scan.fs_hz)
    out, lost_n = run_detector_chunks(scan.fs_hz, scan.chunks(CHUNK_N), params)
    h = scan.header
    return summary_of(out, params, fs_hz=scan.fs_hz, n_samples=scan.n_samples, lost_n=lost_n,
                      start_wall_s=h["start_wall_s"], site=h["site"], side=h["side"], cut_note=scan.cut_note,
                      file=name)


def _analyse_csv(name: str, params) -> dict:
    from ..detect.summary import CHUNK_N, run_detector_chunks, summary_of
    from ..io.csv_scan import scan_csv

    scan = scan_csv(name)
    params.validate(scan.fs_hz)
    out, lost_n = run_detector_chunks(scan.fs_hz, scan.chunks(CHUNK_N), params)
    return summary_of(out, params, fs_hz=scan.fs_hz, n_samples=scan.n_samples, lost_n=lost_n,
                      start_wall_s=scan.start_wall_s, site=scan.site, side=scan.side, cut_note=scan.cut_note,
                      file=name)
