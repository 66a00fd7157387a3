"""``twitchwatch reanalyze``: re-run stored sessions through the current detector and show how
the counts differ from the stored ones (and, with ``--save``, store the new ones)."""

from __future__ import annotations

import argparse
from datetime import datetime

from .diary import add_data_dir, recover_first


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reanalyze", help="re-run stored recordings through the current detector; diff counts")
    p.add_argument("--from", dest="from_date", metavar="DATE")
    p.add_argument("--to", dest="to_date", metavar="DATE")
    p.add_argument("--session", type=int, metavar="ID", help="only this session")
    p.add_argument("--save", action="store_true", help="replace stored counts with the new ones")
    add_data_dir(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..export.period import Period
    from ..store import queries
    from ..store.db import Store
    from ..store.reanalysis import reanalyze_sessions

    recover_first(args.data_dir)
    with Store.open(args.data_dir, readonly=not args.save) as store:
        if args.session is not None:
            row = queries.session(store, args.session)
            if row is None:
                raise ConfigError(f"there is no session {args.session}; list them with `twitchwatch diary sessions`")
            rows = [row]
        else:
            period = Period.from_args(args.from_date, args.to_date, max_days=3660)
            rows = queries.sessions(store, period.start_s, period.end_s)
        results = reanalyze_sessions(store, rows, save=args.save)
    if not results:
        print("no sessions with a raw recording in that span")
        return 0
    print(f"{'id':>5}  {'start':16}  {'stored (version)':>24}  {'now (version)':>24}  {'Δ twitches':>10}  {'Δ episodes':>10}")
    for r in results:
        if r.error:
            print(f"{r.session_id:>5}  {datetime.fromtimestamp(r.started_wall_s):%Y-%m-%d %H:%M}  skipped: {r.error}")
            continue
        old = f"{r.stored_twitches}/{r.stored_episodes} ({r.stored_version or '?'})"
        new = f"{r.new_twitches}/{r.new_episodes} ({r.new_version})"
        print(f"{r.session_id:>5}  {datetime.fromtimestamp(r.started_wall_s):%Y-%m-%d %H:%M}  {old:>24}  {new:>24}  "
              f"{r.new_twitches - r.stored_twitches:>+10d}  {r.new_episodes - r.stored_episodes:>+10d}")
    print("counts are twitches/episodes" + ("; new counts saved" if args.save else "; nothing changed (use --save to store)"))
    return 0
