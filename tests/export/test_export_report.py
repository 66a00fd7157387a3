"""The clinic PDF: ≤ 3 pages, every page drawn, the key figures in its text."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest

from export_days import FIRST_DAY, LAST_DAY
from twitchwatch.errors import ConfigError
from twitchwatch.export.period import Period
from twitchwatch.export.report import make_report
from twitchwatch.store import Store, paths, writes


def _pages(pdf_path: Path) -> tuple[list[np.ndarray], list[str]]:
    doc = pdfium.PdfDocument(str(pdf_path))
    images, texts = [], []
    for i in range(len(doc)):
        page = doc[i]
        images.append(np.asarray(page.render(scale=0.8).to_pil().convert("L")))
        tp = page.get_textpage()
        texts.append(tp.get_text_range())
        tp.close()
        page.close()
    doc.close()
    return images, texts


def _sql(folder: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(folder / paths.DB_NAME)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_report_pages_are_drawn_and_state_the_figures(diary: Path, tmp_path: Path) -> None:
    out = tmp_path / "visit.pdf"
    res = make_report(diary, FIRST_DAY, LAST_DAY, out)
    images, texts = _pages(out)
    assert 1 <= len(images) == res.pages <= 3
    for img in images:
        ink = (img < 200).mean()
        assert 0.02 < ink < 0.6, ink              # neither blank nor a black slab
        bands = np.array_split(img, 10, axis=0)
        assert sum((b < 200).mean() > 0.01 for b in bands) >= 4   # drawn down the page, not one strip
    text = "\n".join(texts).replace("\r", "")
    p = Period(FIRST_DAY, LAST_DAY)
    (n_tw,), = _sql(diary, "SELECT count(*) FROM twitches WHERE wall_s >= ? AND wall_s < ?", (p.start_s, p.end_s))
    (n_ep,), = _sql(diary, "SELECT count(*) FROM episodes WHERE wall_s >= ? AND wall_s < ?", (p.start_s, p.end_s))
    assert n_tw > 100 and n_ep > 10
    assert f"{n_tw:,}" in text and f"{n_ep:,}" in text
    assert f"{res.data.monitored_h:.1f} h" in text
    assert "not a diagnosis" in text and "self-monitoring record" in text
    from twitchwatch.detect import DETECTOR_VERSION

    assert f"detector {DETECTOR_VERSION}" in text
    assert "Weakness" in text and "Example episodes" in text
    assert not res.trace_problems
    assert "no recorded episode" not in text
    for d in p.days:
        assert f"{d:%a %d %b}" in texts[0]              # a row for every day
    assert (out.stat().st_mode & 0o777) == 0o600


def test_daily_figures_match_a_direct_count(diary: Path) -> None:
    from twitchwatch.export.summary import summarise

    p = Period(FIRST_DAY, LAST_DAY)
    with Store.open(diary, readonly=True) as store:
        data = summarise(store, p)
    edges = p.day_edges_s()
    for i, d in enumerate(data.days):
        (n,), = _sql(diary, "SELECT count(*) FROM twitches WHERE wall_s >= ? AND wall_s < ?", (edges[i], edges[i + 1]))
        assert d.twitches == n
        spans = _sql(diary, "SELECT wall_s, duration_s FROM monitored")
        mon = sum(max(0.0, min(w + du, edges[i + 1]) - max(w, edges[i])) for w, du in spans)
        assert d.monitored_h == pytest.approx(mon / 3600, abs=1e-6)
    # The heat map's hours add up to the day's totals.
    assert np.nansum(data.heat_monitored_h, axis=1) == pytest.approx([d.monitored_h for d in data.days])


def test_monitored_time_is_split_at_midnight(tmp_path: Path) -> None:
    from twitchwatch.detect.events import Span
    from twitchwatch.export.summary import summarise

    p = Period(LAST_DAY - timedelta(days=1), LAST_DAY)
    midnight = p.day_edges_s()[1]
    with Store.open(tmp_path / "d") as store:
        sid = writes.new_session(store, started_wall_s=midnight - 1800, fs_hz=100, has_gyro=False)
        with store.write() as conn:
            writes.insert_output(conn, sid, 100, midnight - 1800, monitored=[Span(0, 100 * 3600)])
        writes.end_session(store, sid, n_samples=100 * 3600)
    with Store.open(tmp_path / "d", readonly=True) as store:
        data = summarise(store, p)
    assert [round(d.monitored_h, 6) for d in data.days] == [0.5, 0.5]
    assert [round(d.worn_h, 6) for d in data.days] == [0.5, 0.5]


def test_long_diary_with_many_notes_still_fits_three_pages(fresh_diary: Path, tmp_path: Path) -> None:
    with Store.open(fresh_diary) as store:
        base = Period(FIRST_DAY, LAST_DAY).start_s
        for i in range(120):
            writes.add_note(store, wall_s=base + i * 3000, text=f"note {i}: " + "a long line of diary text " * 8)
    res = make_report(fresh_diary, LAST_DAY - timedelta(days=30), LAST_DAY, tmp_path / "long.pdf")
    images, texts = _pages(res.path)
    assert len(images) == 3
    assert "more note(s) are in the CSV export" in texts[2]


@pytest.mark.parametrize("first, last, word", [
    (LAST_DAY, FIRST_DAY, "after"),
    (LAST_DAY - timedelta(days=40), LAST_DAY, "at most 31 days"),
    (LAST_DAY + timedelta(days=5), LAST_DAY + timedelta(days=6), "out of range"),
])
def test_bad_periods_are_one_line_errors(diary: Path, tmp_path: Path, first, last, word) -> None:
    with pytest.raises(ConfigError, match=word) as info:
        make_report(diary, first, last, tmp_path / "x.pdf")
    assert "\n" not in str(info.value)


def test_empty_period_and_bad_output(diary: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nothing between"):
        make_report(diary, FIRST_DAY - timedelta(days=20), FIRST_DAY - timedelta(days=10), tmp_path / "x.pdf")
    with pytest.raises(ConfigError, match=r"\.pdf"):
        make_report(diary, FIRST_DAY, LAST_DAY, tmp_path / "x.txt")
    with pytest.raises(ConfigError, match="does not exist"):
        make_report(diary, FIRST_DAY, LAST_DAY, tmp_path / "missing" / "x.pdf")
