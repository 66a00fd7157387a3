"""LiveSession: streaming through a session equals the batch summary; counts, view, recorder."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

import numpy as np
import pytest

from twitchwatch.detect import DetectorOutput, DetectorParams
from twitchwatch.detect.summary import run_detector
from twitchwatch.model.simulate import SimConfig, simulate
from twitchwatch.session import LiveSession
from twitchwatch.sources.replay import ReplaySource

FS = 208.0


@pytest.fixture(scope="module")
def rec():
    r, truth = simulate(SimConfig(duration_s=90.0, seed=31, movement_fraction=0.25,
                                  episodes_per_hour=200.0, isolated_per_hour=200.0))
    r.accel_g[5000:5200] = np.nan          # a dropout: the session must handle lost samples
    r.gyro_dps[5000:5200] = np.nan         # type: ignore[index]
    assert truth.episodes
    return r


class FakeRecorder:
    """Records every call, in order, like the store's SessionRecorder would receive them."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.samples = 0
        self.gyro_rows = 0
        self.out = DetectorOutput()

    def start(self, fs_hz, has_gyro, site, side, device, detector_info, start_wall_s, *,
              accel_range_g, gyro_range_dps):
        self.calls.append(("start", fs_hz, has_gyro, site, side, device, detector_info, start_wall_s))
        self.full_scale = (accel_range_g, gyro_range_dps)

    def add_samples(self, accel_g, gyro_dps):
        self.calls.append(("add_samples", len(accel_g)))
        self.samples += len(accel_g)
        self.gyro_rows += 0 if gyro_dps is None else len(gyro_dps)

    def add_output(self, out):
        self.calls.append(("add_output",))
        self.out.extend(out)

    def set_ledger(self, ledger):
        self.calls.append(("set_ledger", ledger))

    def close(self):
        self.calls.append(("close",))


def _run(session: LiveSession) -> None:
    asyncio.run(session.run())


def test_session_equals_batch_and_feeds_the_recorder(rec):
    params = DetectorParams()
    recorder = FakeRecorder()
    seen = DetectorOutput()
    session = LiveSession(ReplaySource(rec, speed=None), params=params, recorder=recorder,
                          site="thenar", side="right", on_output=seen.extend)
    _run(session)
    batch = run_detector(rec, params)
    assert batch.twitches and batch.episodes, "the batch found nothing: the test would prove nothing"

    # Streaming through the session gives exactly the batch result.
    assert recorder.out.twitches == batch.twitches
    assert recorder.out.episodes == batch.episodes
    assert recorder.out.monitored == batch.monitored
    assert seen.twitches == batch.twitches and seen.episodes == batch.episodes

    # Counts agree with it.
    c = session.counts
    assert (c.twitches, c.episodes) == (len(batch.twitches), len(batch.episodes))
    assert c.monitored_s == pytest.approx(sum(s.end - s.start for s in batch.monitored) / FS)
    assert c.elapsed_s == pytest.approx(rec.duration_s)
    assert c.last_episode == batch.episodes[-1]
    assert c.last_episode_s == pytest.approx((batch.episodes[-1].end - batch.episodes[-1].start) / FS)
    assert c.twitches_per_monitored_hour is None          # < 5 monitored minutes: no rate yet

    # The recorder saw start, then samples and outputs, then close; every sample once.
    kinds = [call[0] for call in recorder.calls]
    assert kinds[0] == "start" and kinds[-1] == "close" and kinds.count("close") == 1
    assert set(kinds[1:-1]) == {"add_samples", "add_output"}
    _, fs, has_gyro, site, side, device, info, wall = recorder.calls[0]
    assert (fs, has_gyro, site, side, device) == (FS, True, "thenar", "right", "Replay")
    assert info == session.detector.params_dict() and info["params"] == params.as_dict()
    assert wall == pytest.approx(rec.start_wall_s)
    assert recorder.full_scale == (4, 500)      # the replay's peaks fit the smallest scale
    assert recorder.samples == recorder.gyro_rows == rec.n_samples
    # Samples reach the recorder before the outputs computed from them.
    assert kinds.index("add_samples") < kinds.index("add_output")


def test_view_snapshot_shapes_and_content(rec):
    session = LiveSession(ReplaySource(rec, speed=None), view_s=10.0)
    _run(session)
    snap = session.view.snapshot()
    size = int(10.0 * FS)
    for key in ("t_s", "band_g", "threshold_g", "quiet"):
        assert snap[key].shape == (size,), key
    assert snap["raw_g"].shape == (size, 3)
    assert snap["quiet"].dtype == bool
    assert snap["t_s"][-1] == pytest.approx((rec.n_samples - 1) / FS)
    assert np.allclose(np.diff(snap["t_s"]), 1 / FS)
    np.testing.assert_array_equal(snap["raw_g"], rec.accel_g[-size:])
    assert np.isfinite(snap["band_g"]).all() and (snap["threshold_g"] > 0).all()
    assert all(isinstance(t.onset, int) for t in snap["twitches"])
    assert len(snap["episodes"]) == session.counts.episodes
    # A snapshot is a copy: the producer can keep writing.
    snap["band_g"][:] = -1
    assert (session.view.snapshot()["band_g"] != -1).all()


def test_view_before_the_buffer_fills(rec):
    short = type(rec)(fs_hz=FS, accel_g=rec.accel_g[:300], gyro_dps=rec.gyro_dps[:300])
    session = LiveSession(ReplaySource(short, speed=None), view_s=5.0)
    _run(session)
    snap = session.view.snapshot()
    assert snap["band_g"].shape == (int(5 * FS),)
    assert np.isnan(snap["band_g"][:-300]).all() and np.isfinite(snap["band_g"][-300:]).all()


@dataclass
class _Ledger:
    lost: int = 3

    def as_dict(self) -> dict:
        return {"samples_lost": self.lost}


def test_stop_mid_run_closes_once_and_passes_the_ledger(rec):
    async def scenario():
        source = ReplaySource(rec, speed=1.0)       # 90 s in real time unless stopped
        source.ledger = _Ledger()                   # type: ignore[attr-defined]
        recorder = FakeRecorder()
        session = LiveSession(source, recorder=recorder)
        task = asyncio.create_task(session.run())
        while recorder.samples < 50:
            await asyncio.sleep(0.01)
        await session.stop()
        await asyncio.wait_for(task, timeout=5.0)
        await session.stop()                        # idempotent
        return session, recorder

    session, recorder = asyncio.run(scenario())
    kinds = [call[0] for call in recorder.calls]
    assert kinds[-2:] == ["set_ledger", "close"] and kinds.count("close") == 1
    assert recorder.calls[-2][1] == {"samples_lost": 3}
    assert 50 <= recorder.samples < rec.n_samples
    assert session.counts.elapsed_s == pytest.approx(recorder.samples / FS)


class KeepingRecorder(FakeRecorder):
    """Also keeps the samples, to re-run the batch path on exactly what the session saw."""

    def __init__(self) -> None:
        super().__init__()
        self.accel: list[np.ndarray] = []
        self.gyro: list[np.ndarray] = []

    def add_samples(self, accel_g, gyro_dps):
        super().add_samples(accel_g, gyro_dps)
        self.accel.append(np.array(accel_g))
        self.gyro.append(np.array(gyro_dps))


def test_session_on_the_simulated_sensor_equals_batch():
    """The app's default source: several simulated segments through a session, then the batch
    detector over the very samples the recorder received."""
    from twitchwatch.recording import Recording
    from twitchwatch.sources.simulated import SimulatedSensor

    source = SimulatedSensor(SimConfig(seed=4, episodes_per_hour=300.0, isolated_per_hour=300.0),
                             speed=None, duration_s=50.0, segment_s=20.0)
    recorder = KeepingRecorder()
    session = LiveSession(source, recorder=recorder)
    _run(session)
    rec = Recording(fs_hz=FS, accel_g=np.concatenate(recorder.accel), gyro_dps=np.concatenate(recorder.gyro))
    assert rec.n_samples == int(50 * FS)
    batch = run_detector(rec)
    assert batch.twitches
    assert (recorder.out.twitches, recorder.out.episodes, recorder.out.monitored) == \
        (batch.twitches, batch.episodes, batch.monitored)
    assert session.counts.twitches == len(batch.twitches)
    assert recorder.calls[0][5] == "Simulated sensor"


def test_the_recorder_gets_a_full_scale_that_holds_the_source(rec):
    """A replay with a knock beyond ±8 g / ±1000 dps asks the recorder for ±16 g / ±2000 dps."""
    short = replace(rec, accel_g=rec.accel_g[:416].copy(), gyro_dps=rec.gyro_dps[:416].copy())
    short.accel_g[100] = [9.5, 0.0, 1.0]
    short.gyro_dps[200] = [0.0, -1500.0, 0.0]
    recorder = FakeRecorder()
    _run(LiveSession(ReplaySource(short, speed=None), recorder=recorder))
    assert recorder.full_scale == (16, 2000)
