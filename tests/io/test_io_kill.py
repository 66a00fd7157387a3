"""Crash safety: a process writing a .twr is SIGKILLed; everything older than 2 s must survive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from twitchwatch.io._common import ACCEL_LSB_G, GYRO_LSB_DPS
from twitchwatch.io.native import read_native

FS_HZ = 208.0
CHILD = r"""
import sys, time
import numpy as np
from twitchwatch.io.native import NativeWriter

path, stall_after_s = sys.argv[1], float(sys.argv[2])
fs, chunk, i = 208.0, 13, 0
w = NativeWriter.create(path, fs_hz=fs, has_gyro=True, start_wall_s=time.time(), site="thenar")
t0 = time.monotonic()
while True:
    if time.monotonic() - t0 < stall_after_s:
        idx = np.arange(i, i + chunk)
        acc = np.column_stack([np.sin(idx * 0.01), np.cos(idx * 0.013), (idx % 100) / 50.0 - 1.0])
        w.append(acc, acc * 100.0)
        i += chunk
        print(i, time.monotonic(), flush=True)
    time.sleep(max(0.0, t0 + i / fs - time.monotonic()) or 0.02)
"""


def _expected(n: int) -> np.ndarray:
    idx = np.arange(n)
    return np.column_stack([np.sin(idx * 0.01), np.cos(idx * 0.013), (idx % 100) / 50.0 - 1.0])


@pytest.mark.slow
@pytest.mark.parametrize(("stall_after_s", "kill_after_s"), [(99.0, 3.5), (1.0, 3.2)], ids=["streaming", "stalled"])
def test_sigkill_keeps_all_but_last_2s(tmp_path: Path, stall_after_s: float, kill_after_s: float) -> None:
    path = tmp_path / "live.twr"
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(stall_after_s)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    progress: list[tuple[int, float]] = []
    try:
        first = proc.stdout.readline()            # the writer is up once the first chunk is reported
        assert first, "child writer failed to start"
        progress.append((int(first.split()[0]), float(first.split()[1])))
        time.sleep(kill_after_s)
        kill_t = time.monotonic()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        rest, _ = proc.communicate(timeout=10)
    # The kill can land mid-print: only lines that reached their newline are progress reports.
    complete = rest.split("\n")[:-1]
    progress += [(int(a), float(b)) for a, b in (line.split() for line in complete)]
    assert proc.returncode == -signal.SIGKILL

    must_have = max((i for i, t in progress if t <= kill_t - 2.0), default=0)
    appended = max(i for i, _ in progress)
    assert must_have > 150
    rec = read_native(path)
    assert must_have <= rec.n_samples <= appended
    assert rec.cut_note and "without closing" in rec.cut_note
    assert rec.site == "thenar" and rec.lost_spans() == []
    acc = _expected(rec.n_samples)
    assert np.abs(rec.accel_g - acc).max() <= ACCEL_LSB_G[4] / 2 * (1 + 1e-9)
    assert np.abs(rec.gyro_dps - acc * 100.0).max() <= GYRO_LSB_DPS[500] / 2 * (1 + 1e-9)
    if stall_after_s < kill_after_s - 2.0:        # nothing new for > 2 s: the background flush wrote it all
        assert rec.n_samples == appended
