"""The clinic report: at most three A4 pages a neurologist can read in a minute.

Page 1 says what this is and gives the key figures and the day-by-day table; page 2 shows
when twitches happened (hour × day), the diary alongside, episode durations and body sites;
page 3 shows recorded example episodes, symptom check-ins, notes, data quality and method.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import ConfigError, StoreError
from ..store import queries
from ..store.db import Store
from ..store.paths import FILE_MODE
from . import figures
from .pdfdoc import CONTENT_W_MM, MUTED, ReportPdf
from .period import Period
from .report_pages import page_one, page_three
from .summary import ReportData, summarise
from .traces import choose_examples, example_clips

STATEMENT = (
    "This is a self-monitoring record, made at home with a small motion sensor worn on the muscle. "
    "It counts brief movements the sensor picked up while the muscle was at rest, and the diary the "
    "wearer kept alongside. It is meant to support the conversation at the visit: it is not a "
    "diagnosis, and the counts are not a clinical measurement."
)


@dataclass(frozen=True)
class ReportResult:
    path: Path
    pages: int
    seconds: float
    data: ReportData
    trace_problems: tuple[str, ...]


def make_report(data_dir: str | os.PathLike[str] | None, first: date, last: date,
                out_path: str | os.PathLike[str]) -> ReportResult:
    """Write the clinic PDF for local days ``first``..``last`` to ``out_path`` (0600).

    Raises ConfigError for a bad period or output path and when the period holds no data.
    """
    t0 = time.perf_counter()
    period = Period.checked(first, last)
    out = Path(out_path).expanduser()
    if out.suffix.lower() != ".pdf":
        raise ConfigError(f"report file {out} should end in .pdf")
    if not out.parent.is_dir():
        raise ConfigError(f"folder {out.parent} does not exist; create it or choose another --out")
    with Store.open(data_dir, readonly=True) as store:
        data = summarise(store, period)
        if not data.sessions and not data.notes and not data.felt and not data.red_flags:
            raise ConfigError(
                f"the diary has nothing between {period.first} and {period.last}; "
                "choose dates with recordings (`twitchwatch diary sessions` lists them)")
        sessions = {s.id: s for s in data.sessions}
        chosen = {e.session_id for e in choose_examples(data.episodes, sessions, store.data_dir)}
        onsets = {sid: np.array([t.onset for t in queries.twitches(store, data.period.start_s, data.period.end_s, sid)])
                  for sid in chosen}
        clips, problems = example_clips(data.episodes, sessions, store.data_dir, twitch_onsets=onsets)
    pdf = render(data, clips, problems)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        pdf.output(str(tmp))
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write the report to {out} ({exc.strerror}); "
                         "choose another --out folder or free some space") from None
    return ReportResult(out, pdf.pages_count, time.perf_counter() - t0, data, tuple(problems))


def render(data: ReportData, clips: list[figures.TraceClip], problems: list[str]) -> ReportPdf:
    """Lay the report out; returns the fpdf2 document (not yet written)."""
    p = data.period
    pdf = ReportPdf(f"twitchwatch {__version__} \u00b7 self-monitoring record {p.first} to {p.last} "
                    "\u00b7 not a diagnosis")
    pdf.set_title(f"Twitch self-monitoring record, {p.label()}")
    pdf.set_author("twitchwatch")
    pdf.set_creation_date(datetime.now().astimezone())
    pdf.set_lang("en")

    pdf.add_page()
    _title(pdf, data)
    pdf.panel(STATEMENT)
    checked_in_early = page_one(pdf, data)

    pdf.add_page()
    pdf.heading("When twitches happened", gap_mm=0)
    n = len(data.days)
    pdf.image_png(figures.heatmap_png(data, CONTENT_W_MM, min(100.0, 22 + 2.35 * n)),
                  CONTENT_W_MM, min(100.0, 22 + 2.35 * n))
    pdf.heading("Day by day, with the diary")
    pdf.image_png(figures.daily_png(data, CONTENT_W_MM, 64), CONTENT_W_MM, 64)
    pdf.heading("Episodes")
    pdf.image_png(figures.episodes_png(data, CONTENT_W_MM, 44), CONTENT_W_MM, 44)
    _sites(pdf, data)

    pdf.add_page()
    pdf.heading("Example episodes from the recordings", gap_mm=0)
    if clips:
        h = 24.0 + 27.0 * len(clips)
        pdf.image_png(figures.traces_png(clips, CONTENT_W_MM, h), CONTENT_W_MM, h)
    else:
        pdf.para("No episode with a readable recording in this period.", color=MUTED)
    page_three(pdf, data, problems, with_check_ins=not checked_in_early)
    return pdf


def _title(pdf: ReportPdf, data: ReportData) -> None:
    pdf.font("B", 17)
    pdf.cell(CONTENT_W_MM, 9, "Twitch self-monitoring record", new_x="LMARGIN", new_y="NEXT")
    sites = ", ".join(f"{s.side} {s.site}".strip() for s in data.sites if s.site != "unknown") or "site not recorded"
    pdf.font("", 9)
    pdf.set_text_color(*MUTED)
    pdf.cell(CONTENT_W_MM, 5.5, f"{data.period.label()}   \u00b7   sensor on: {sites}   \u00b7   "
             f"prepared {datetime.now():%d %b %Y}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(pdf.get_y() + 2.5)


def _sites(pdf: ReportPdf, data: ReportData) -> None:
    pdf.heading("Body sites")
    rows = [[f"{s.side} {s.site}".strip(), str(s.sessions), f"{s.worn_h:.1f}", f"{s.monitored_h:.1f}",
             f"{s.twitches:,}", f"{s.twitches / s.monitored_h:.1f}" if s.monitored_h > 0.1 else "\u2013",
             f"{s.episodes:,}"] for s in data.sites[:4]]
    if not rows:
        pdf.para("No recordings in this period.", color=MUTED)
        return
    pdf.zebra_table(["Site", "Sessions", "Worn h", "Monitored h", "Twitches", "Per mon. h", "Episodes"], rows,
              [40, 20, 22, 26, 24, 24, 24])


def felt_agreement(data: ReportData, window_s: float = 5.0) -> tuple[int, int]:
    """(felt marks, marks with a detected twitch within ``window_s``)."""
    tw = np.sort(data.twitch_walls)
    hits = 0
    for f in data.felt:
        k = np.searchsorted(tw, f.wall_s)
        near = [abs(tw[j] - f.wall_s) for j in (k - 1, k) if 0 <= j < len(tw)]
        hits += bool(near) and min(near) <= window_s
    return len(data.felt), hits

