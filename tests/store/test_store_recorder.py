"""The live-session recorder: raw samples to .twr, detector output to the diary, crash recovery."""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from twitchwatch.detect import DetectorParams, TwitchDetector, detect, detector_info
from twitchwatch.errors import TwitchwatchError
from twitchwatch.io._common import ACCEL_LSB_G, GYRO_LSB_DPS
from twitchwatch.io.native import read_native
from twitchwatch.model.simulate import SimConfig, simulate
from twitchwatch.store import SessionRecorder, Store, queries, recover_interrupted

START = 1_790_000_000.0


def _record(data_dir: Path, rec, chunk: int = 512) -> tuple[int, object]:
    params = DetectorParams()
    det = TwitchDetector(rec.fs_hz, params)
    r = SessionRecorder(data_dir, flush_interval_s=0.2)
    sid = r.start(rec.fs_hz, True, "thenar", "left", "sim", detector_info(params), rec.start_wall_s,
                  accel_range_g=4, gyro_range_dps=500)
    for a in range(0, rec.n_samples, chunk):
        acc, gyr = rec.accel_g[a:a + chunk], rec.gyro_dps[a:a + chunk]
        r.add_samples(acc, gyr)
        r.add_output(det.process(acc, gyr))
    r.add_output(det.finish())
    r.set_ledger({"samples_expected": rec.n_samples, "lost": 0, "reconnects": 1})
    r.add_felt(rec.start_wall_s + 10, "felt one")
    return sid, r


def test_recorded_session_matches_input_and_batch_detector(data_dir: Path) -> None:
    rec, _ = simulate(SimConfig(duration_s=90, seed=4, start_wall_s=START, episodes_per_hour=60))
    # A real sensor delivers whole LSBs at the file's full scale, so the file holds exactly what
    # the live detector saw and re-analysing it must give the very same twitches. (Simulated
    # floats would differ from the file by up to half an LSB: a borderline onset may then move
    # by a sample, which is not what this test is about.)
    rec.accel_g[:] = np.rint(rec.accel_g / ACCEL_LSB_G[4]) * ACCEL_LSB_G[4]
    rec.gyro_dps[:] = np.rint(rec.gyro_dps / GYRO_LSB_DPS[500]) * GYRO_LSB_DPS[500]
    rec.accel_g[5000:5300] = np.nan          # a link gap
    rec.gyro_dps[5000:5300] = np.nan
    sid, r = _record(data_dir, rec)
    row = r.close()
    assert row is not None and row.status == "ended" and row.n_samples == rec.n_samples
    assert row.ended_wall_s == pytest.approx(START + rec.duration_s)
    back = read_native(data_dir / row.recording)
    np.testing.assert_allclose(back.accel_g, rec.accel_g, atol=0.122e-3 / 2 + 1e-12)   # one LSB at ±4 g
    assert np.isnan(back.accel_g[5000:5300]).all()
    batch = detect(back.accel_g, back.gyro_dps, back.fs_hz, DetectorParams())
    with Store.open(data_dir, readonly=True) as store:
        tws = queries.twitches(store, 0, 2e10, sid)
        eps = queries.episodes(store, 0, 2e10, sid)
        s = queries.session(store, sid)
        felt = queries.felt(store, 0, 2e10)
    assert len(batch.twitches) > 5 and len(batch.episodes) >= 1
    assert [t.onset for t in tws] == [t.onset for t in batch.twitches]
    assert [(e.start, e.end) for e in eps] == [(e.start, e.end) for e in batch.episodes]
    assert s.monitored_s == pytest.approx(sum(m.end - m.start for m in batch.monitored) / rec.fs_hz)
    assert s.ledger["reconnects"] == 1 and s.detector_version == detector_info(DetectorParams())["version"]
    assert felt[0].session_id == sid and felt[0].site == "thenar"
    assert stat.S_IMODE((data_dir / row.recording).stat().st_mode) == 0o600
    assert not (data_dir / row.recording).with_suffix(".lock").exists()


def test_live_session_is_not_recovered_by_another_process(data_dir: Path) -> None:
    rec, _ = simulate(SimConfig(duration_s=10, seed=5, start_wall_s=START))
    sid, r = _record(data_dir, rec)
    try:
        time.sleep(0.3)
        assert recover_interrupted(data_dir) is None        # the lock is held: hands off
        with Store.open(data_dir, readonly=True) as store:
            assert queries.session(store, sid).status == "recording"
    finally:
        r.close()


def test_full_disk_during_recording_stops_cleanly(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rec, _ = simulate(SimConfig(duration_s=20, seed=6, start_wall_s=START))
    params = DetectorParams()
    r = SessionRecorder(data_dir, flush_interval_s=0.1)
    sid = r.start(rec.fs_hz, True, "thenar", "left", "sim", detector_info(params), START)
    r.add_samples(rec.accel_g[:2080], rec.gyro_dps[:2080])
    time.sleep(0.4)
    import twitchwatch.io.native as native

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(native.os, "write", full)
    with pytest.raises(TwitchwatchError, match="disk") as info:
        for a in range(2080, rec.n_samples, 208):
            r.add_samples(rec.accel_g[a:a + 208], rec.gyro_dps[a:a + 208])
            time.sleep(0.02)
        r.close()
    assert "\n" not in str(info.value)
    monkeypatch.undo()
    r.close()
    with Store.open(data_dir, readonly=True) as store:
        s = queries.session(store, sid)
    assert s.n_samples >= 2080 and "stopped early" in s.status_note
    assert read_native(data_dir / s.recording).n_samples >= 2080


_CHILD = """
import sys, time
import numpy as np
from twitchwatch.detect import DetectorParams, TwitchDetector, detector_info
from twitchwatch.model.simulate import SimConfig, simulate
from twitchwatch.store import SessionRecorder
rec, _ = simulate(SimConfig(duration_s=60, seed=7, start_wall_s=1_790_000_000.0, episodes_per_hour=60))
det = TwitchDetector(rec.fs_hz, DetectorParams())
r = SessionRecorder(sys.argv[1], flush_interval_s=0.5)
r.start(rec.fs_hz, True, "thenar", "left", "sim", detector_info(DetectorParams()), rec.start_wall_s)
step = 52
for a in range(0, rec.n_samples, step):
    acc, gyr = rec.accel_g[a:a + step], rec.gyro_dps[a:a + step]
    r.add_samples(acc, gyr)
    r.add_output(det.process(acc, gyr))
    print(a + len(acc), flush=True)
    time.sleep(0.025)            # 10x real time: about 3 s of wall clock before the kill
time.sleep(60)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_kill_during_recording_then_recover(data_dir: Path) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(_CHILD), str(data_dir)], env=env,
                             stdout=subprocess.PIPE, text=True)
    sent = 0
    history: list[tuple[float, int]] = []          # (when the parent saw it, samples handed over)
    assert child.stdout is not None
    for line in child.stdout:
        sent = int(line)
        history.append((time.monotonic(), sent))
        if sent >= 208 * 30:
            break
    os.kill(child.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    child.wait(timeout=10)
    child.stdout.close()
    msg = recover_interrupted(data_dir)
    assert msg is not None and msg.startswith("Recovered the session") and "\n" not in msg
    with Store.open(data_dir, readonly=True) as store:
        (s,) = queries.sessions(store)
        tws = queries.twitches(store, 0, 2e10, s.id)
    back = read_native(data_dir / s.recording)
    # Everything handed to the recorder more than 2 s (wall clock) before the kill is readable.
    due = max((n for t, n in history if t <= killed_at - 2.0), default=0)
    assert due > 208 * 5, "the child did not run long enough to test anything"
    assert due <= back.n_samples <= sent + 52
    assert s.status == "recovered" and s.n_samples == back.n_samples and s.status_note == msg
    assert s.ended_wall_s == pytest.approx(START + back.n_samples / 208.0)
    batch = detect(back.accel_g, back.gyro_dps, back.fs_hz, DetectorParams())
    assert [t.onset for t in tws] == [t.onset for t in batch.twitches]     # counts restored by a re-run
    assert f"{len(batch.twitches)} twitches" in msg
    assert recover_interrupted(data_dir) is None                            # only once


def test_recovery_of_a_session_without_a_file(data_dir: Path) -> None:
    from twitchwatch.store import writes

    with Store.open(data_dir) as store:
        sid = writes.new_session(store, started_wall_s=START, fs_hz=208, has_gyro=True)
    msg = recover_interrupted(data_dir)
    assert msg is not None and "no recording file" in msg
    with Store.open(data_dir, readonly=True) as store:
        assert queries.session(store, sid).status == "recovered"


# -- a recording file named by the caller (`twitchwatch record --out`) ---------------------------


def test_recording_to_a_named_file_outside_the_data_folder(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere" / "day.twr"
    out.parent.mkdir()
    rec, _ = simulate(SimConfig(duration_s=20, seed=8, start_wall_s=START, episodes_per_hour=600,
                                movement_fraction=0.0))
    r = SessionRecorder(data_dir, flush_interval_s=0.2, recording_path=out)
    sid = r.start(rec.fs_hz, True, "calf", "right", "sim", detector_info(DetectorParams()), START)
    assert out.with_suffix(".lock").exists()               # beside the file while recording
    batch = detect(rec.accel_g, rec.gyro_dps, rec.fs_hz, DetectorParams())
    r.add_samples(rec.accel_g, rec.gyro_dps)
    r.add_output(batch)
    row = r.close()
    assert row is not None and row.id == sid and row.status == "ended"
    assert row.n_twitches == len(batch.twitches) > 3
    assert row.recording == str(out.resolve())             # absolute: it is not in the data folder
    assert not list((data_dir / "sessions").iterdir())    # and no second copy there
    back = read_native(data_dir / row.recording)
    assert back.n_samples == rec.n_samples == row.n_samples and (back.site, back.side) == ("calf", "right")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not out.with_suffix(".lock").exists()


def test_named_file_inside_the_data_folder_is_stored_relative(data_dir: Path) -> None:
    data_dir.mkdir()
    r = SessionRecorder(data_dir, recording_path=data_dir / "mine.twr")
    r.start(208.0, True, start_wall_s=START)
    row = r.close()
    assert row is not None and row.recording == "mine.twr"


def test_the_recording_keeps_the_given_full_scale_and_flags_what_it_cannot_hold(data_dir: Path) -> None:
    r = SessionRecorder(data_dir)
    r.start(208.0, True, start_wall_s=START, accel_range_g=8, gyro_range_dps=1000)
    acc = np.tile([0.0, 0.0, 1.0], (100, 1))
    gyr = np.zeros((100, 3))
    acc[10] = [7.5, -6.0, 1.0]        # beyond ±4 g, within ±8 g: stored as is
    gyr[20] = [950.0, 0.0, 0.0]
    acc[30] = [9.0, 0.0, 1.0]         # beyond ±8 g: saturated, and the diary says so
    gyr[40] = [0.0, -1200.0, 0.0]
    r.add_samples(acc, gyr)
    row = r.close()
    assert row is not None
    back = read_native(data_dir / row.recording)
    assert back.accel_g[10] == pytest.approx([7.5, -6.0, 1.0], abs=0.244e-3 / 2)
    assert back.gyro_dps[20] == pytest.approx([950.0, 0.0, 0.0], abs=35e-3 / 2)
    assert back.accel_g[30, 0] == pytest.approx(32767 * 0.244e-3)
    assert back.meta["clipped_samples"] == "2" and row.ledger["clipped_samples"] == 2
    assert "2 samples beyond the recording's full scale (±8 g, ±1000 dps)" in row.status_note


@pytest.mark.parametrize("in_the_way", ["day.twr", "day.lock"])
def test_a_named_file_in_the_way_is_refused_and_leaves_no_session(data_dir: Path, tmp_path: Path,
                                                                 in_the_way: str) -> None:
    (tmp_path / in_the_way).write_bytes(b"keep me")
    r = SessionRecorder(data_dir, recording_path=tmp_path / "day.twr")
    with pytest.raises(TwitchwatchError) as info:
        r.start(208.0, True, start_wall_s=START)
    assert in_the_way in str(info.value) and "\n" not in str(info.value)
    assert (tmp_path / in_the_way).read_bytes() == b"keep me"
    with Store.open(data_dir) as store:
        assert queries.sessions(store) == []


def test_a_start_that_fails_half_way_takes_its_session_back(data_dir: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import twitchwatch.io.native as native

    def refuse(*args, **kwargs):
        raise TwitchwatchError("no room for the file")

    monkeypatch.setattr(native.NativeWriter, "create", refuse)
    r = SessionRecorder(data_dir, recording_path=tmp_path / "day.twr")
    with pytest.raises(TwitchwatchError, match="no room"):
        r.start(208.0, True, start_wall_s=START)
    with Store.open(data_dir) as store:
        assert queries.sessions(store) == []                 # not an empty "recording" left to recover
    assert not (tmp_path / "day.lock").exists()


_DIES = """
import os, sys, time
from twitchwatch.detect import DetectorParams, TwitchDetector, detector_info
from twitchwatch.model.simulate import SimConfig, simulate
from twitchwatch.store import SessionRecorder
rec, _ = simulate(SimConfig(duration_s=20, seed=9, start_wall_s=1_790_000_000.0, episodes_per_hour=600,
                            movement_fraction=0.0))
det = TwitchDetector(rec.fs_hz, DetectorParams())
r = SessionRecorder(sys.argv[1], flush_interval_s=0.1, recording_path=sys.argv[2])
r.start(rec.fs_hz, True, "thenar", "left", "sim", detector_info(DetectorParams()), rec.start_wall_s)
for a in range(0, rec.n_samples, 416):
    acc, gyr = rec.accel_g[a:a + 416], rec.gyro_dps[a:a + 416]
    r.add_samples(acc, gyr)
    r.add_output(det.process(acc, gyr))
time.sleep(0.6)              # the writer thread has handed everything to the OS
os._exit(0)                  # die without closing anything, as a kill would
"""


def test_a_named_recording_cut_short_is_recovered(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "day.twr"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run([sys.executable, "-c", textwrap.dedent(_DIES), str(data_dir), str(out)], env=env,
                   check=True, timeout=60)
    assert out.with_suffix(".lock").exists()               # left behind by the dead process
    msg = recover_interrupted(data_dir)
    assert msg is not None and msg.startswith("Recovered the session")
    with Store.open(data_dir, readonly=True) as store:
        (s,) = queries.sessions(store)
        tws = queries.twitches(store, 0, 2e10, s.id)
    back = read_native(out)
    assert s.status == "recovered" and s.n_samples == back.n_samples == 20 * 208
    batch = detect(back.accel_g, back.gyro_dps, back.fs_hz, DetectorParams())
    assert len(batch.twitches) > 3 and [t.onset for t in tws] == [t.onset for t in batch.twitches]
    assert not out.with_suffix(".lock").exists()


def test_recovery_when_a_named_recordings_folder_is_gone(data_dir: Path, tmp_path: Path) -> None:
    from twitchwatch.store import writes

    gone = tmp_path / "usb-stick" / "day.twr"               # never created: unplugged since
    with Store.open(data_dir) as store:
        sid = writes.new_session(store, started_wall_s=START, fs_hz=208, has_gyro=True)
        writes.end_session(store, sid, n_samples=0, status="recording", recording=str(gone))
    msg = recover_interrupted(data_dir)
    assert msg is not None and "no recording file" in msg
    with Store.open(data_dir, readonly=True) as store:
        assert queries.session(store, sid).status == "recovered"
    assert not gone.parent.exists()
