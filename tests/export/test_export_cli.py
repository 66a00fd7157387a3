"""The diary, report, export and reanalyze commands, through the real CLI entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from export_days import FIRST_DAY, LAST_DAY
from twitchwatch.cli import main
from twitchwatch.store import Store, queries


def _run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_diary_commands_write_entries(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    d = str(tmp_path / "d")
    assert _run(capsys, "diary", "note", "double espresso", "--caffeine", "160", "--stress", "6",
                "--sleep", "5.5", "--at", "2025-05-02 08:30", "--data-dir", d)[0] == 0
    assert _run(capsys, "diary", "felt", "--site", "thenar", "--side", "left", "--data-dir", d)[0] == 0
    assert _run(capsys, "diary", "flags", "--weakness", "no", "--cramps", "yes", "--data-dir", d)[0] == 0
    with Store.open(d, readonly=True) as store:
        (note,) = queries.notes(store, 0, 2e10)
        (felt,) = queries.felt(store, 0, 2e10)
        (flag,) = queries.red_flags(store, 0, 2e10)
    assert (note.text, note.caffeine_mg, note.stress_0_10, note.sleep_h) == ("double espresso", 160, 6, 5.5)
    assert (felt.site, felt.side) == ("thenar", "left")
    assert flag.answers["weakness"] is False and flag.answers["cramps"] is True


@pytest.mark.parametrize("argv, word", [
    (["diary", "note", "x", "--stress", "12"], "stress"),
    (["diary", "note", "x", "--at", "yesterday-ish"], "--at"),
    (["diary", "felt", "--site", "nose"], "body site"),
    (["report", "--from", "2025-02-30", "--out", "x.pdf"], "--from"),
    (["report", "--from", "2025-05-10", "--to", "2025-05-01", "--out", "x.pdf"], "after"),
    (["export", "edf", "--session", "77", "--out", "x.edf"], "no session 77"),
])
def test_bad_arguments_are_one_line_errors(argv: list[str], word: str, diary: Path, capsys) -> None:
    code, out, err = _run(capsys, *argv, "--data-dir", str(diary))
    assert code == 2
    assert word in err and err.count("\n") == 1 and "Traceback" not in err


def test_report_export_reanalyze_commands(diary: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    d = str(diary)
    code, out, _ = _run(capsys, "report", "--from", str(FIRST_DAY), "--to", str(LAST_DAY),
                        "--out", str(tmp_path / "v.pdf"), "--data-dir", d)
    assert code == 0 and "3 pages" in out and (tmp_path / "v.pdf").exists()
    code, out, _ = _run(capsys, "export", "csv", "--from", str(FIRST_DAY), "--to", str(LAST_DAY),
                        "--out", str(tmp_path / "csv"), "--data-dir", d)
    assert code == 0 and (tmp_path / "csv" / "episodes.csv").exists()
    code, out, _ = _run(capsys, "diary", "sessions", "--from", str(FIRST_DAY), "--data-dir", d)
    ids = [int(line.split()[0]) for line in out.splitlines()[1:] if "no raw file" not in line]
    assert code == 0 and ids
    code, out, _ = _run(capsys, "export", "edf", "--session", str(ids[0]), "--out", str(tmp_path / "s.edf"),
                        "--data-dir", d)
    assert code == 0 and (tmp_path / "s.edf").stat().st_size > 10_000
    code, out, _ = _run(capsys, "reanalyze", "--from", str(FIRST_DAY), "--data-dir", d)
    assert code == 0
    lines = [line for line in out.splitlines() if line.strip().split(" ")[0].isdigit()]
    assert len(lines) == len(ids) and all("+0" in line for line in lines)   # same detector: no change


def test_reanalyze_shows_changed_counts(fresh_diary: Path, capsys: pytest.CaptureFixture) -> None:
    import sqlite3

    from twitchwatch.store import paths

    conn = sqlite3.connect(fresh_diary / paths.DB_NAME)
    sid, n_tw = conn.execute("SELECT s.id, (SELECT count(*) FROM twitches t WHERE t.session_id = s.id) FROM sessions s"
                             " WHERE recording IS NOT NULL ORDER BY 2 DESC LIMIT 1").fetchone()
    # Pretend an older detector stored three fewer twitches.
    conn.execute("DELETE FROM twitches WHERE id IN (SELECT id FROM twitches WHERE session_id = ? LIMIT 3)", (sid,))
    conn.execute("UPDATE sessions SET detector_version = '0.9' WHERE id = ?", (sid,))
    conn.commit()
    conn.close()
    code, out, _ = _run(capsys, "reanalyze", "--session", str(sid), "--save", "--data-dir", str(fresh_diary))
    assert code == 0
    (line,) = [ln for ln in out.splitlines() if ln.strip().startswith(str(sid))]
    assert f"{n_tw - 3}/" in line and "(0.9)" in line and "+3" in line
    with Store.open(fresh_diary, readonly=True) as store:
        s = queries.session(store, sid)
    assert s.n_twitches == n_tw and s.detector_version != "0.9"
