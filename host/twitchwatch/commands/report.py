"""``twitchwatch report``: the clinic PDF for a span of days."""

from __future__ import annotations

import argparse

from .diary import add_data_dir, recover_first


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write the clinic PDF (at most 3 pages) for a span of days",
                       description="Write a clinic report: daily counts, hour-by-day heatmap, episode "
                                   "durations, diary, check-ins, data quality and example traces.")
    p.add_argument("--from", dest="from_date", metavar="DATE", help="first day, YYYY-MM-DD (default: 30 days back)")
    p.add_argument("--to", dest="to_date", metavar="DATE", help="last day, YYYY-MM-DD (default: today)")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="where to write the PDF")
    add_data_dir(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..export.period import Period
    from ..export.report import make_report

    period = Period.from_args(args.from_date, args.to_date)
    recover_first(args.data_dir)
    result = make_report(args.data_dir, period.first, period.last, args.out)
    d = result.data
    print(f"wrote {result.path} ({result.pages} pages, {period.first} to {period.last}): "
          f"{d.total_twitches} twitches, {d.total_episodes} episodes in {d.monitored_h:.1f} monitored h")
    for problem in result.trace_problems:
        print(f"note: {problem}")
    return 0
