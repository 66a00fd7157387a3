"""``twitchwatch simulate --out FILE``: write a simulated recording and its ground truth."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="write a simulated recording with ground truth",
                       description="Simulate wear of the sensor (twitches, episodes, hand use, walking, noise) "
                                   "and write it with a FILE.truth.json beside it.")
    p.add_argument("--out", required=True, help="output file (.csv, .csv.gz or .twr)")
    p.add_argument("--duration", type=float, default=600.0, help="seconds (default 600)")
    p.add_argument("--fs", type=float, default=208.0, help="sample rate in Hz (default 208)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--episodes-per-hour", type=float, default=12.0)
    p.add_argument("--isolated-per-hour", type=float, default=30.0)
    p.add_argument("--movement", type=float, default=0.2, help="share of time in voluntary movement (0-0.9)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=run)


def truth_path(out: Path) -> Path:
    name = out.name
    for suffix in (".csv.gz", ".csv", ".twr"):
        if name.lower().endswith(suffix):          # as io.write_recording decides the format
            name = name[: -len(suffix)]
    return out.with_name(name + ".truth.json")


def run(args: argparse.Namespace) -> int:
    from ..io import write_recording
    from ..model.simulate import SimConfig, simulate

    if not 1.0 <= args.duration <= 48 * 3600:
        raise ConfigError(f"--duration {args.duration} is out of range; give 1 to 172800 seconds")
    if not 0.0 <= args.movement <= 0.9:
        raise ConfigError(f"--movement {args.movement} is out of range; give a share from 0 to 0.9")
    if not 100.0 <= args.fs <= 1000.0:
        raise ConfigError(f"--fs {args.fs} is out of range; give 100 to 1000 Hz (the sensor uses 104, 208, 416)")
    cfg = SimConfig(duration_s=args.duration, fs_hz=args.fs, seed=args.seed,
                    episodes_per_hour=args.episodes_per_hour, isolated_per_hour=args.isolated_per_hour,
                    movement_fraction=args.movement)
    rec, truth = simulate(cfg)
    out = Path(args.out)
    write_recording(rec, out, overwrite=args.force)
    truth.save(truth_path(out))
    print(f"wrote {out} ({rec.duration_s:.0f} s at {rec.fs_hz:g} Hz: {len(truth.twitches)} twitches, "
          f"{len(truth.episodes)} episodes) and {truth_path(out).name}")
    return 0
