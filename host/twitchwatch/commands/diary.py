"""``twitchwatch diary``: add notes, felt twitches and symptom check-ins; list what is stored."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from ..errors import ConfigError, StoreError

YES_NO = ("yes", "no")


def add_data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", metavar="DIR",
                   help="diary folder (default: $TWITCHWATCH_DATA or your user data folder)")


def recover_first(data_dir: str | None) -> None:
    """Close sessions a crash left open and say so (skipped quietly on a read-only diary)."""
    from ..store.recovery import recover_interrupted

    try:
        msg = recover_interrupted(data_dir)
    except StoreError:
        return
    if msg:
        print(msg, file=sys.stderr)


def parse_at(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip().replace(" ", "T", 1)).astimezone().timestamp()
    except ValueError:
        raise ConfigError(f"--at {text!r} is not a time; write it as 'YYYY-MM-DD HH:MM'") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("diary", help="add notes, felt twitches and symptom check-ins; list sessions",
                       description="Add to the twitch diary from the command line, or list what it holds.")
    ds = p.add_subparsers(dest="diary_command", metavar="ACTION", required=True)

    note = ds.add_parser("note", help="a note with optional covariates")
    note.add_argument("text", nargs="?", default="", help="free text")
    note.add_argument("--caffeine", type=float, metavar="MG", help="caffeine today, mg (a coffee is ~80)")
    note.add_argument("--stress", type=float, metavar="0-10", help="stress, 0 (none) to 10")
    note.add_argument("--sleep", type=float, metavar="H", help="hours slept last night")
    note.add_argument("--exercise", type=float, metavar="MIN", help="strenuous exercise today, minutes")
    note.add_argument("--alcohol", type=float, metavar="UNITS", help="alcohol today, units")
    note.add_argument("--medication", default="", help="medication taken (free text)")
    note.add_argument("--at", help="when, 'YYYY-MM-DD HH:MM' (default: now)")
    add_data_dir(note)

    felt = ds.add_parser("felt", help='"I felt a twitch" (now, or --at)')
    felt.add_argument("text", nargs="?", default="")
    felt.add_argument("--site", default="", help="thenar, calf, thigh, sole or other")
    felt.add_argument("--side", default="", help="left or right")
    felt.add_argument("--at", help="when, 'YYYY-MM-DD HH:MM' (default: now)")
    add_data_dir(felt)

    from ..store.schema import RED_FLAG_LABELS, RED_FLAGS

    flags = ds.add_parser("flags", help="symptom check-in: answer any of the questions yes/no")
    for key in RED_FLAGS:
        flags.add_argument(f"--{key.replace('_', '-')}", choices=YES_NO, help=RED_FLAG_LABELS[key])
    flags.add_argument("--text", default="", help="anything to add")
    flags.add_argument("--at", help="when, 'YYYY-MM-DD HH:MM' (default: now)")
    add_data_dir(flags)

    ls = ds.add_parser("sessions", help="list recorded sessions")
    ls.add_argument("--from", dest="from_date", help="first day YYYY-MM-DD")
    ls.add_argument("--to", dest="to_date", help="last day YYYY-MM-DD (default: today)")
    add_data_dir(ls)

    demo = ds.add_parser("demo", help="fill a NEW folder with a simulated 30-day diary (for trying the report)")
    demo.add_argument("--days", type=int, default=30)
    demo.add_argument("--data-dir", required=True, metavar="DIR", help="an empty folder (required)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..store import writes
    from ..store.db import Store

    cmd = args.diary_command
    if cmd == "demo":
        return _demo(args)
    if cmd == "sessions":
        return _sessions(args)
    recover_first(args.data_dir)
    with Store.open(args.data_dir) as store:
        when = parse_at(args.at)
        if cmd == "note":
            nid = writes.add_note(store, wall_s=when, text=args.text, caffeine_mg=args.caffeine,
                                  stress_0_10=args.stress, sleep_h=args.sleep, exercise_min=args.exercise,
                                  alcohol_units=args.alcohol, medication=args.medication)
            print(f"saved note {nid}")
        elif cmd == "felt":
            fid = writes.add_felt(store, wall_s=when, site=args.site, side=args.side, text=args.text)
            print(f"saved felt twitch {fid}")
        elif cmd == "flags":
            from ..store.schema import RED_FLAGS

            answers = {k: None if getattr(args, k) is None else getattr(args, k) == "yes" for k in RED_FLAGS}
            rid = writes.add_red_flags(store, answers, wall_s=when, text=args.text)
            print(f"saved check-in {rid}")
    return 0


def _sessions(args: argparse.Namespace) -> int:
    from ..export.period import Period
    from ..store import queries
    from ..store.db import Store

    recover_first(args.data_dir)
    period = Period.from_args(args.from_date, args.to_date, max_days=3660)
    with Store.open(args.data_dir, readonly=True) as store:
        rows = queries.sessions(store, period.start_s, period.end_s)
    if not rows:
        print(f"no sessions between {period.first} and {period.last}")
        return 0
    print(f"{'id':>5}  {'start':16}  {'hours':>6}  {'site':14}  {'twitches':>8}  {'episodes':>8}  status")
    for s in rows:
        site = f"{s.side} {s.site}".strip() or "-"
        print(f"{s.id:>5}  {datetime.fromtimestamp(s.started_wall_s):%Y-%m-%d %H:%M}  {s.duration_s / 3600:6.2f}  "
              f"{site:14}  {s.n_twitches:8d}  {s.n_episodes:8d}  {s.status}"
              + ("" if s.recording else "  (no raw file)"))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..store.demo import synthesise_days

    folder = Path(args.data_dir).expanduser()
    if folder.exists() and any(folder.iterdir()):
        raise ConfigError(f"{folder} is not empty; the demo only fills a new, empty folder")
    if not 1 <= args.days <= 60:
        raise ConfigError(f"--days {args.days} is out of range (1 to 60)")
    synthesise_days(folder, args.days)
    print(f"simulated {args.days}-day diary written to {folder} (not real data)")
    return 0
