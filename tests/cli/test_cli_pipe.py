"""A reader that goes away (``twitchwatch ... | head -1``) ends the command quietly with the
status of a tool killed by SIGPIPE (128 + 13), never a BrokenPipeError traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cli_helpers import DEMO

SIGPIPE_STATUS = 141


def _run_into_closed_pipe(*args: str, timeout_s: float = 120) -> subprocess.CompletedProcess:
    """Run the command with stdout a pipe whose reader has already gone: every write fails."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONWARNINGS": "error"}
        return subprocess.run([sys.executable, "-m", "twitchwatch", *args], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, env=env, timeout=timeout_s)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("argv", [
    ["analyze", "--json", str(DEMO)],                        # the command's own print fails
    ["simulate", "--out", "{tmp}/sim.csv", "--duration", "2"],  # a buffered line fails at the end
], ids=["analyze-json", "simulate"])
def test_a_closed_stdout_ends_quietly(argv, tmp_path):
    proc = _run_into_closed_pipe(*[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert proc.stderr == ""
    assert proc.returncode == SIGPIPE_STATUS


def test_head_of_analyze_json(good_files):
    """The real thing: ``analyze --json FILE... | head -1`` gets its line and no traceback."""
    files = [str(good_files["twr"])] * 50     # far more output than the reader wants
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, "-m", "twitchwatch", "analyze", "--json", *files],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    with proc.stderr:
        err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == SIGPIPE_STATUS
    assert first.startswith(b"{") and err == ""


def test_record_stops_and_saves_when_nobody_reads(tmp_path):
    """``record`` prints a live line every second: a closed stdout ends the recording (long
    before --duration), with the file closed properly, and the same quiet exit."""
    from twitchwatch.io.native import read_native

    out = tmp_path / "day.twr"
    proc = _run_into_closed_pipe("record", "--sensor", "sim-ble", "--duration", "600", "--out", str(out),
                                 timeout_s=30)
    assert proc.stderr == "" and proc.returncode == SIGPIPE_STATUS
    rec = read_native(out)
    assert rec.n_samples > 0 and rec.cut_note is None         # closed cleanly, not cut short
