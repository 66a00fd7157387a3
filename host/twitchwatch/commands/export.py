"""``twitchwatch export``: CSV tables for a span of days, or one session as EDF+."""

from __future__ import annotations

import argparse

from .diary import add_data_dir, recover_first


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export CSV tables or a session as EDF+",
                       description="Export the diary as CSV (columns: docs/export.md) or one session's "
                                   "raw signals with annotations as EDF+ (opens in EDFbrowser).")
    es = p.add_subparsers(dest="export_kind", metavar="KIND", required=True)
    c = es.add_parser("csv", help="sessions, episodes, twitches, felt events, notes, check-ins")
    c.add_argument("--from", dest="from_date", metavar="DATE")
    c.add_argument("--to", dest="to_date", metavar="DATE")
    c.add_argument("--out", required=True, metavar="DIR", help="folder for the CSV files")
    c.add_argument("--force", action="store_true", help="replace an earlier export in that folder")
    add_data_dir(c)
    e = es.add_parser("edf", help="one session as EDF+ with twitch/episode/felt annotations")
    e.add_argument("--session", required=True, type=int, metavar="ID", help="see `twitchwatch diary sessions`")
    e.add_argument("--out", required=True, metavar="FILE.edf")
    e.add_argument("--force", action="store_true", help="replace an existing file")
    add_data_dir(e)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    recover_first(args.data_dir)
    if args.export_kind == "csv":
        from ..export.csv_export import export_csv
        from ..export.period import Period

        period = Period.from_args(args.from_date, args.to_date, max_days=3660)
        paths = export_csv(args.data_dir, period, args.out, overwrite=args.force)
        print(f"wrote {len(paths)} CSV files to {paths[0].parent} ({period.first} to {period.last})")
        return 0
    from ..export.edf_export import export_edf

    path, note = export_edf(args.data_dir, args.session, args.out, overwrite=args.force)
    print(f"wrote {path}")
    if note:
        print(f"note: the recording was damaged; exported its readable part ({note})")
    return 0
