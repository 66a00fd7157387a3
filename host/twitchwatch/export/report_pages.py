"""Text-heavy parts of the report: page 1 (key figures, day table) and page 3 (check-ins,
notes, data quality, method)."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from ..store.schema import RED_FLAG_LABELS, RED_FLAGS
from .pdfdoc import CONTENT_W_MM, MUTED, ReportPdf
from .summary import ReportData


def _h(hours: float) -> str:
    return f"{hours:.1f}"


def _opt(v: float | None, fmt: str = "{:.1f}") -> str:
    return "\u2013" if v is None else fmt.format(v)


def page_one(pdf: ReportPdf, data: ReportData) -> bool:
    """Key figures and the day table; also the check-ins when they fit. Returns whether they did."""
    days_data = data.days_with_data
    mon = data.monitored_h
    rate = data.total_twitches / mon if mon > 0 else None
    dur = data.episode_durations_s
    pdf.set_y(pdf.get_y() + 4)
    pdf.key_figures([
        (f"{mon:.1f} h", f"monitored (still) time; worn {data.quality.worn_h:.0f} h on "
                         f"{days_data} of {len(data.days)} days"),
        (f"{data.total_twitches:,}", f"twitches detected, {_opt(rate)} per monitored hour"),
        (f"{data.total_episodes:,}", "episodes (runs of twitches), "
                                     f"{_opt(data.total_episodes / days_data if days_data else None)} per day worn"),
        (f"{np.median(dur):.1f} s" if dur.size else "\u2013",
         f"median episode length; longest {dur.max():.1f} s" if dur.size else "no episodes recorded"),
    ])
    pdf.heading("Day by day")
    rows = []
    for d, cov_i in zip(data.days, range(len(data.days))):
        rows.append([
            f"{d.day:%a %d %b}", _h(d.worn_h) if d.worn_h else "\u2013",
            _h(d.monitored_h) if d.worn_h else "\u2013",
            f"{d.twitches:,}" if d.worn_h else "\u2013", _opt(d.rate_per_h),
            f"{d.episodes}" if d.worn_h else "\u2013", _opt(d.median_episode_s), _opt(d.longest_episode_s),
            _diary_cell(data, cov_i),
        ])
    durs = data.episode_durations_s
    rows.append(["Total", _h(data.quality.worn_h), _h(mon), f"{data.total_twitches:,}", _opt(rate),
                 f"{data.total_episodes:,}", _opt(float(np.median(durs)) if durs.size else None),
                 _opt(float(durs.max()) if durs.size else None), ""])
    n = len(rows)
    row_h = min(4.6, max(3.6, (pdf.room() - 12) / n))
    size = 7.2 if row_h >= 4.0 else 6.6
    pdf.zebra_table(["Day", "Worn h", "Monitored h", "Twitches", "Per mon. h", "Episodes", "Median s",
               "Longest s", "Diary (caffeine, stress, sleep, ...)"], rows, [19, 13, 20, 16, 18, 16, 16, 16, 46],
              size=size, row_h=row_h, align="LRRRRRRRL", bold_last=True)
    pdf.set_y(pdf.get_y() + 1.5)
    pdf.para("Monitored time is time the sensor was worn and the muscle was still; twitches are only "
             "counted then, so rates are per monitored hour. \u2013 means no data. Diary: caf = caffeine, "
             "ex = exercise, alc = alcohol units.", 6.8, color=MUTED, h=3.4)
    if pdf.room() >= CHECK_INS_MM:
        check_ins(pdf, data)
        return True
    return False


def _diary_cell(data: ReportData, i: int) -> str:
    bits = []
    cov = data.covariates
    if cov.get("caffeine_mg") and cov["caffeine_mg"][i] is not None:
        bits.append(f"caf {cov['caffeine_mg'][i]:.0f} mg")
    if cov.get("stress_0_10") and cov["stress_0_10"][i] is not None:
        bits.append(f"stress {cov['stress_0_10'][i]:.0f}")
    if cov.get("sleep_h") and cov["sleep_h"][i] is not None:
        bits.append(f"sleep {cov['sleep_h'][i]:g} h")
    if cov.get("exercise_min") and cov["exercise_min"][i] is not None:
        bits.append(f"ex {cov['exercise_min'][i]:.0f} min")
    if cov.get("alcohol_units") and cov["alcohol_units"][i] is not None:
        bits.append(f"alc {cov['alcohol_units'][i]:g} u")
    if data.medication and data.medication[i]:
        bits.append(data.medication[i])
    return " \u00b7 ".join(bits)


def page_three(pdf: ReportPdf, data: ReportData, problems: list[str], *, with_check_ins: bool) -> None:
    if with_check_ins:
        check_ins(pdf, data)
    _quality(pdf, data, problems)
    _method(pdf, data)
    _notes(pdf, data)   # last: it takes whatever room is left, and says how much it left out


CHECK_INS_MM = 42.0


def check_ins(pdf: ReportPdf, data: ReportData) -> None:
    pdf.heading("Symptom check-ins (answered by the wearer)")
    if not data.red_flags:
        pdf.para("No check-ins were answered in this period.", color=MUTED)
        return
    latest = data.red_flags[-1]
    rows = []
    for key in RED_FLAGS:
        answered = [r.answers[key] for r in data.red_flags if r.answers[key] is not None]
        yes = sum(1 for a in answered if a)
        last = latest.answers[key]
        rows.append([RED_FLAG_LABELS[key], "\u2013" if last is None else ("yes" if last else "no"),
                     f"{yes} of {len(answered)}" if answered else "\u2013"])
    when = datetime.fromtimestamp(latest.wall_s).strftime("%d %b")
    pdf.zebra_table(["Question", f"Latest answer ({when})", "Answered yes"], rows, [80, 50, 50],
              size=7.2, row_h=4.2, align="LLL")


def _quality(pdf: ReportPdf, data: ReportData, problems: list[str]) -> None:
    from .report import felt_agreement

    q = data.quality
    pdf.heading("Data quality")
    share = 100 * q.monitored_h / q.worn_h if q.worn_h else 0.0
    lines = [
        f"Sensor worn {q.worn_h:.1f} h in {q.sessions} session(s) on {data.days_with_data} of "
        f"{len(data.days)} days; still, monitored time {q.monitored_h:.1f} h ({share:.0f} % of worn time; "
        "the rest was movement, which is not counted).",
        f"Samples lost on the wireless link: {q.lost_pct:.2f} % ({q.samples_lost:,} of {q.samples_expected:,}); "
        f"reconnections: {q.reconnects}.",
    ]
    if q.recovered_sessions:
        lines.append(f"{q.recovered_sessions} session(s) ended unexpectedly (e.g. the computer shut down); "
                     "they were recovered up to their last saved second.")
    felt, hits = felt_agreement(data)
    if felt:
        lines.append(f"The wearer marked {felt} felt twitch(es); the sensor detected a twitch within 5 s "
                     f"of {hits} of them.")
    for p in problems[:2]:
        lines.append(f"Example trace unavailable: {p}")
    for line in lines:
        pdf.para("\u2022 " + line, 7.6, h=3.7)


def _method(pdf: ReportPdf, data: ReportData) -> None:
    pdf.heading("Method")
    parts = []
    for version, info in data.detectors.items():
        prm = (info or {}).get("params") or {}
        band = prm.get("band_hz")
        desc = f"detector {version}"
        if band:
            desc += (f": accelerometer band-passed {band[0]:g}\u2013{band[1]:g} Hz; a twitch is a brief rise "
                     f"above {prm.get('threshold_factor', 4):g}\u00d7 the wearer's own resting level "
                     f"(at least {prm.get('threshold_floor_g', 0.005) * 1000:g} mg); twitches "
                     f"{prm.get('episode_gap_s', 1.5):g} s or less apart form an episode; "
                     + ("rhythmic, tremor-like bursts are not counted; " if "rhythm_max_crossings" in prm else "")
                     + "periods of voluntary movement (gyroscope, tilt) and the seconds around them are "
                     "excluded")
        parts.append(desc)
    pdf.para("Counts come from " + "; ".join(parts or ["an unknown detector"]) + ". The detector version "
             "and parameters are stored with every count, so the numbers can be reproduced from the raw "
             "recordings. Raw data: EDF+ and CSV exports are available on request.", 7.6, h=3.7)


def _notes(pdf: ReportPdf, data: ReportData) -> None:
    pdf.heading("Diary notes")
    notes = [n for n in data.notes if n.text]
    if not notes:
        pdf.para("No written notes in this period.", color=MUTED)
        return
    shown = 0
    for n in notes:
        if pdf.room() < 8:
            break
        when = datetime.fromtimestamp(n.wall_s).strftime("%a %d %b %H:%M")
        text = n.text if len(n.text) <= 240 else n.text[:239] + "\u2026"
        pdf.font("B", 7.4)
        pdf.cell(30, 3.7, when)
        pdf.font("", 7.4)
        pdf.multi_cell(CONTENT_W_MM - 30, 3.7, text, new_x="LMARGIN", new_y="NEXT", max_line_height=3.7)
        shown += 1
    if shown < len(notes):
        pdf.para(f"{len(notes) - shown} more note(s) are in the CSV export (notes.csv).", 7.0, color=MUTED)
