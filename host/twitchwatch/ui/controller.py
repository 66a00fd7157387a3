"""The app's glue, without widgets: owns the source, the live session and the diary store,
and hands the window plain snapshots. Everything runs on the one asyncio loop (qasync), so the
window can read state directly; the plot still only ever gets copies.

What reaches the diary: real-sensor sessions are recorded (samples and counts); the simulated
sensor and replays are never written as sessions, so the diary only ever holds real data.
"I felt a twitch" taps, notes and red-flag answers are always saved, at once.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..detect import Calibration, DetectorParams
from ..errors import LinkError, TwitchwatchError
from ..session import LiveSession
from ..sources.base import Source
from ..store import writes
from ..store.db import Store
from ..store.recovery import recover_interrupted
from .calibration_step import CalibrationStep
from .episodes_table import EpisodeTrace
from .feed import SourceFeed
from .plot_data import EventArrays, ViewWindow, window_from_snapshot
from .sensor_panel import FoundDevice
from .snapshot import Counts, EpisodeRow, LinkStatus
from .today import TodayLog

class AppController:
    """Start/stop sources, run live sessions, save diary entries, answer the window's questions.

    ``sim_speed`` runs the simulated sensor faster than real time and ``sim_config`` replaces
    the demo simulation (tests, benchmarks). ``record=False`` keeps even a real sensor out of
    the diary. ``ble_factory`` and ``scanner`` replace the OS's Bluetooth (tests use a Bumble
    virtual radio).
    """

    def __init__(self, data_dir: str | os.PathLike[str] | None, *, params: DetectorParams = DetectorParams(),
                 sim_speed: float | None = 1.0, sim_config: Any = None, calibration_s: float = 30.0,
                 record: bool = True, ble_factory: Callable[[str], Source] | None = None,
                 scanner: Callable[[], Any] | None = None) -> None:
        self.store = Store.open(data_dir)
        self.data_dir = self.store.data_dir
        # A session cut short by a crash or a power cut is closed and counted now, and the
        # wearer is told so (shown in the banner for the first minutes).
        try:
            self.recovery_note = recover_interrupted(self.data_dir)
        except TwitchwatchError as err:
            self.recovery_note = f"Could not check the last session: {err}"
        self._recovery_until = time.monotonic() + 180.0
        self.params = params
        self.sim_speed = sim_speed
        self.sim_config = sim_config
        self.record = record
        self.kind = "none"
        self.site, self.side = "thenar", "right"
        self.calibration: Calibration | None = None
        self.calibration_step = CalibrationStep(calibration_s)
        self.last_device = ""
        self.feed: SourceFeed | None = None
        self.session: LiveSession | None = None
        self._session_task: asyncio.Task | None = None
        self._ble_factory = ble_factory
        self._scanner = scanner
        self._last_drawn: tuple | None = None
        self._events = EventArrays()          # the view's events as arrays, kept between frames
        self._felt_wall_s: deque[float] = deque(maxlen=200)
        self.today = TodayLog(self.store)

    # -- sources -----------------------------------------------------------------------------

    async def use_simulated(self) -> None:
        from ..model.simulate import demo_config
        from ..sources.simulated import SimulatedSensor

        if self.sim_config is not None:
            cfg = replace(self.sim_config, site=self.site, side=self.side)
        else:
            cfg = demo_config(int(time.time()) % 100_000, site=self.site, side=self.side)
        await self.start_source(SimulatedSensor(cfg, speed=self.sim_speed), "simulated")

    async def use_replay(self, path: str | os.PathLike[str], speed: float | None = 1.0) -> None:
        from ..sources.replay import ReplaySource

        await self.start_source(ReplaySource(Path(path), speed=speed), "replay")

    async def use_ble(self, address: str) -> None:
        if self._ble_factory is not None:
            source = self._ble_factory(address)
        else:
            from ..ble.source import BleSensorSource

            source = BleSensorSource(address)
        self.last_device = address
        await self.start_source(source, "ble")

    async def disconnect(self) -> None:
        await self.stop()

    async def scan(self) -> list[FoundDevice]:
        if self._scanner is not None:
            found = await self._scanner()
        else:
            from ..ble.discovery import scan_sensors

            try:
                found = await scan_sensors(timeout_s=5.0)
            except Exception as exc:  # bleak raises many kinds when there is no adapter
                raise LinkError(f"cannot scan for sensors ({exc}); is Bluetooth switched on?") from exc
        return [FoundDevice(s.address, s.name, getattr(s, "rssi", None)) for s in found]

    async def start_source(self, source: Source, kind: str) -> None:
        """Stop whatever runs, then stream ``source`` into a new live session."""
        await self.stop()
        self.kind = kind
        self.feed = SourceFeed(source)
        self.feed.start()
        self._start_session()

    def _start_session(self) -> None:
        assert self.feed is not None
        recorder = None
        if self.kind == "ble" and self.record:
            from ..store.recorder import SessionRecorder

            recorder = SessionRecorder(self.data_dir)
        self.today.begin_session(live_is_real=self.kind == "ble", scope=self.kind)
        self.session = LiveSession(self.feed.new_segment(), params=self.params, calibration=self.calibration,
                                   recorder=recorder, site=self.site, side=self.side,
                                   on_output=self._on_output)
        self._session_task = asyncio.ensure_future(self.session.run())
        self._last_drawn = None
        self._events = EventArrays()

    async def _stop_session(self) -> None:
        if self.session is not None:
            await self.session.stop()
        if self._session_task is not None:
            await asyncio.gather(self._session_task, return_exceptions=True)
        self._session_task = None
        self.today.end_session()

    async def stop(self) -> None:
        """Stop the session (flushing its recording) and the source; leaves no task running."""
        self.calibration_step.cancel()
        if self.feed is not None:
            self.feed.remove_listener(self.calibration_step.add_chunk)
        await self._stop_session()
        if self.feed is not None:
            await self.feed.stop()
        self.feed = None
        self.session = None
        self.kind = "none"

    async def close(self) -> None:
        await self.stop()
        self.store.close()

    # -- calibration ---------------------------------------------------------------------------

    async def calibrate(self) -> Calibration | None:
        """Collect ``calibration_s`` of the running stream, build the baseline, restart counting."""
        if self.feed is None:
            raise LinkError("no sensor is streaming; connect the sensor (or the simulated one) first")
        step = self.calibration_step
        self.feed.add_listener(step.add_chunk)
        try:
            cal = await step.run(self.feed.source, self.params, self.site, self.side)
        finally:
            if self.feed is not None:
                self.feed.remove_listener(step.add_chunk)
        if cal is None:
            return None
        self.calibration = cal
        # A new baseline means new counting rules: close this session and start a fresh one.
        await self._stop_session()
        if self.feed is not None and not self.feed.ended:
            self._start_session()
        return cal

    def calibration_state(self) -> tuple[float | None, str]:
        return self.calibration_step.progress(), self.calibration_step.message(self.calibration)

    # -- diary ---------------------------------------------------------------------------------

    def set_placement(self, site: str, side: str) -> None:
        """Where the sensor is worn (before anything streams, e.g. from saved settings)."""
        self.site, self.side = site, side

    async def change_placement(self, site: str, side: str) -> None:
        """Moving the sensor starts a new session (site and side belong to a recording) and
        drops a baseline calibrated elsewhere."""
        if (site, side) == (self.site, self.side):
            return
        self.site, self.side = site, side
        cal = self.calibration
        if cal is not None and (cal.site, cal.side) != (site, side):
            self.calibration = None
        if self.session is not None and self.feed is not None and not self.feed.ended:
            await self._stop_session()
            self._start_session()

    def felt_twitch(self, text: str = "") -> str:
        rec = self.session.recorder if self.session is not None else None
        sid = getattr(rec, "session_id", None)
        now = time.time()
        try:
            writes.add_felt(self.store, wall_s=now, site=self.site, side=self.side, text=text, session_id=sid)
        except Exception as exc:  # StoreError/ConfigError carry a user message
            return f"Not saved: {exc}"
        self._felt_wall_s.append(now)
        self._last_drawn = None      # show the mark on the next frame
        return f"Felt twitch marked at {time.strftime('%H:%M:%S')}. Saved."

    def save_note(self, note: dict, answers: dict) -> tuple[str, bool]:
        flags = {k: (None if v is None else bool(v)) for k, v in answers.items()}
        has_note = any(v not in (None, "") for v in note.values())
        has_flags = any(v is not None for v in flags.values())
        if not has_note and not has_flags:
            return "Nothing to save yet: fill in at least one field.", False
        try:
            if has_note:
                writes.add_note(self.store, **note)
            if has_flags:
                writes.add_red_flags(self.store, flags)
        except Exception as exc:
            return f"Not saved: {exc}", False
        return f"Saved at {time.strftime('%H:%M')}.", True

    # -- snapshots for the window --------------------------------------------------------------

    def banner(self) -> str:
        main = self._source_banner()
        if self.recovery_note and time.monotonic() < self._recovery_until:
            return f"{self.recovery_note}\n{main}" if main else self.recovery_note
        return main

    def _source_banner(self) -> str:
        if self.kind == "simulated":
            return ("Simulated sensor — no real data. Nothing it shows goes into your diary; "
                    "pick your sensor in the Sensor tab to start recording.")
        if self.kind == "replay":
            name = self.feed.source.name if self.feed else "a recording"
            return f"{name} — not live; the replay is not added to your diary."
        if self.kind == "none":
            return "No sensor connected. Scan in the Sensor tab, or use the simulated sensor."
        if self.feed is not None and self.feed.error is not None:
            return (f"The sensor stopped: {self.feed.error}. Pick it again in the Sensor tab, "
                    "or use the simulated sensor.")
        state = self.feed.source.state if self.feed else "stopped"
        if state in ("reconnecting", "lost", "connecting", "scanning"):
            return f"Sensor {state}… it reconnects by itself; counting resumes when data flows again."
        return ""

    def plot_view(self, window_s: float, with_raw: bool = False) -> ViewWindow | None:
        """A fresh plot window, or None when nothing new arrived since the last call."""
        view = self.session.view if self.session is not None else None
        if view is None:
            return None
        key = (view.end_index, window_s, with_raw)
        if key == self._last_drawn:
            return None
        self._last_drawn = key
        window = window_from_snapshot(view.snapshot(with_raw), view.fs_hz, window_s, with_raw, self._events)
        # Taps are placed by the wall clock: the newest sample of a live stream is "now".
        now = time.time()
        felt = np.array([w - now for w in self._felt_wall_s if now - window_s <= w <= now])
        return replace(window, felt_t_s=felt)

    def counts(self) -> Counts:
        return self.today.counts(self.session)

    def link_status(self) -> LinkStatus:
        src = self.feed.source if self.feed is not None else None
        if src is None:
            return LinkStatus(kind="none", state="stopped")
        ledger = getattr(src, "ledger", None)
        loss = None
        reconnects = 0
        if ledger is not None and getattr(ledger, "samples_expected", 0):
            loss = 100.0 * ledger.lost / ledger.samples_expected
            reconnects = ledger.reconnects
        elif self.kind in ("simulated", "replay"):
            loss = 0.0
        battery = getattr(src, "battery_pct", None) if self.kind == "ble" else None
        state = "failed" if self.feed.error is not None else src.state
        return LinkStatus(source_name=src.name, kind=self.kind, state=state,
                          device=self.last_device if self.kind == "ble" else "",
                          battery_pct=battery, loss_pct=loss, reconnects=reconnects)

    def episode_rows(self) -> list[EpisodeRow]:
        return self.today.rows()

    def episode_trace(self, row: EpisodeRow) -> EpisodeTrace | None:
        return self.today.trace(row)

    def _on_output(self, out: Any) -> None:
        if self.session is not None and out.episodes:
            self.today.add_live_episodes(self.session, out.episodes)
