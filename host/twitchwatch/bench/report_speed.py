"""Report speed and storage per day: ``twitchwatch bench report_speed``.

What it builds (in a temporary folder, deleted afterwards unless ``--keep``):

* a **30-day diary synthesised directly into the database** (``store.demo.synthesise_days``):
  two 5-hour sessions a day, i.e. 10 h a day at 208 Hz, with the detector results such a day
  would produce (monitored spans, twitches, episodes), notes, felt taps and check-ins. These
  sessions have no raw samples;
* **three real 10-minute sessions** run through the simulator, the streaming detector and the
  ``SessionRecorder``, so the report has genuine ``.twr`` example traces to read;
* for the **last day, two real 5-hour ``.twr`` files** (10 h, 6 channels at 208 Hz, sensor
  noise plus gravity) written through ``NativeWriter`` and attached to that day's two sessions,
  so the report must find example episodes inside long files (their traces show noise only),
  and to measure raw storage per 10-hour day.

It prints the median report time over ``--repeats`` runs for the 30-day period, against a
1-day report measured in the same run (the fixed cost), the storage per 10-hour day
(raw ``.twr`` + that day's share of the diary) and the budgets from the issue (≤ 5 s, ≤ 100 MB).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import date, datetime, time as dtime, timedelta
from pathlib import Path

import numpy as np

REPORT_BUDGET_S = 5.0
STORAGE_BUDGET_MB = 100.0


def _write_long_twr(path: Path, n: int, start_wall_s: float, fs_hz: float = 208.0) -> None:
    from ..io.native import NativeWriter

    rng = np.random.default_rng(0)
    chunk = int(fs_hz)          # 1 s appends, as a live session makes them
    with NativeWriter.create(path, fs_hz=fs_hz, has_gyro=True, start_wall_s=start_wall_s,
                             site="thenar", side="left", background_flush=False) as w:
        for a in range(0, n, chunk):
            k = min(chunk, n - a)
            acc = np.array([0.15, -0.25, 0.95]) + rng.normal(0, 0.002, (k, 3))
            gyr = rng.normal(0, 0.3, (k, 3))
            w.append(acc, gyr)


def _attach_long_files(data: Path, day: date, hours: float) -> tuple[float, int, int]:
    """Give ``day``'s synthesised sessions real raw files of their full length."""
    from ..export.period import Period
    from ..store import queries
    from ..store.db import Store

    period = Period(day, day)
    t0 = time.perf_counter()
    size = n_total = 0
    with Store.open(data) as store:
        for s in queries.sessions(store, period.start_s, period.end_s):
            if s.recording:
                continue
            rel = f"sessions/long-s{s.id}.twr"
            _write_long_twr(data / rel, s.n_samples, s.started_wall_s, s.fs_hz)
            size += (data / rel).stat().st_size
            n_total += s.n_samples
            with store.write() as conn:
                conn.execute("UPDATE sessions SET recording = ? WHERE id = ?", (rel, s.id))
    del hours
    return time.perf_counter() - t0, size, n_total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="twitchwatch bench report_speed", description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--hours", type=float, default=10.0, help="hours recorded per day")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--keep", metavar="DIR", help="build the diary in DIR and keep it")
    args = ap.parse_args(argv)

    from ..export.report import make_report
    from ..io.native import read_native
    from ..store.demo import record_simulated_session, synthesise_days

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tw-bench-"))
    data = root / "data"
    try:
        last = date.today() - timedelta(days=1)
        first = last - timedelta(days=args.days - 1)
        t0 = time.perf_counter()
        synthesise_days(data, args.days, args.hours, seed=1, last_day=last)
        t_synth = time.perf_counter() - t0
        t0 = time.perf_counter()
        for k, back in enumerate((args.days * 2 // 3, args.days // 3)):
            day = last - timedelta(days=min(back, args.days - 1))
            start = datetime.combine(day, dtime(19, 30)).astimezone().timestamp()
            record_simulated_session(data, start, 600.0, seed=20 + k)
        t_real = time.perf_counter() - t0
        t_write, twr_bytes, n_long = _attach_long_files(data, last, args.hours)
        print(f"diary: {args.days} days x {args.hours:g} h at 208 Hz synthesised into the database in "
              f"{t_synth:.2f} s; 2 real 10-min sessions (simulator -> detector -> recorder -> .twr) in "
              f"{t_real:.2f} s; {args.hours:g} h of real .twr for {last} ({n_long:,} samples) written in {t_write:.1f} s")

        def timed(f: date, l: date) -> tuple[float, int]:
            times, pages = [], 0
            for _ in range(args.repeats):
                res = make_report(data, f, l, root / "bench.pdf")
                times.append(res.seconds)
                pages = res.pages
            return statistics.median(times), pages

        base_s, _ = timed(last, last)
        full_s, pages = timed(first, last)
        print(f"report, 1 day (baseline):  median {base_s:.2f} s over {args.repeats} runs")
        print(f"report, {args.days} days:          median {full_s:.2f} s over {args.repeats} runs, {pages} pages; "
              f"{full_s / base_s:.2f}x the 1-day baseline; budget {REPORT_BUDGET_S:.0f} s -> "
              f"{'OK' if full_s <= REPORT_BUDGET_S else 'OVER'} ({full_s / REPORT_BUDGET_S:.2f} of budget)")

        twr_mb = twr_bytes / 1e6
        t0 = time.perf_counter()
        for f in sorted((data / "sessions").glob("long-*.twr")):
            read_native(f)
        t_read = time.perf_counter() - t0
        import sqlite3

        db = data / "diary.sqlite3"
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        db_mb_day = db.stat().st_size / 1e6 / args.days
        total = twr_mb + db_mb_day
        print(f"storage: raw .twr for {args.hours:g} h ({n_long:,} samples x 6 ch) = {twr_mb:.1f} MB "
              f"(read back whole in {t_read:.1f} s; the report reads only windows); diary database "
              f"{db_mb_day:.2f} MB per day")
        print(f"storage per {args.hours:g}-hour day: {total:.1f} MB; budget {STORAGE_BUDGET_MB:.0f} MB -> "
              f"{'OK' if total <= STORAGE_BUDGET_MB else 'OVER'} ({total / STORAGE_BUDGET_MB:.2f} of budget)")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
