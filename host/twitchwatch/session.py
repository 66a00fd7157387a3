"""A live session: source -> detector -> (recorder, view). No Qt, no BLE: the app and the
``record`` command both drive one of these on their asyncio loop.

The session keeps a small view for plotting (last ``view_s`` seconds of the band-passed signal,
threshold, stillness, and recent events) that a UI timer snapshots; producers never touch widgets.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from .detect import Calibration, DetectorOutput, DetectorParams, Episode, Trace, Twitch, TwitchDetector
from .errors import TwitchwatchError
from .sources.base import SampleChunk, Source, full_scale


class Recorder(Protocol):
    """Where a session's samples and results go (the store's SessionRecorder implements it)."""

    def start(self, fs_hz: float, has_gyro: bool, site: str, side: str, device: str,
              detector_info: dict, start_wall_s: float, *, accel_range_g: int | None,
              gyro_range_dps: int | None) -> object: ...
    def add_samples(self, accel_g: np.ndarray, gyro_dps: np.ndarray | None) -> None: ...
    def add_output(self, out: DetectorOutput) -> None: ...
    def set_ledger(self, ledger: dict) -> None: ...
    def close(self) -> object: ...


@dataclass
class Counts:
    """Running totals for the counters panel."""

    twitches: int = 0
    episodes: int = 0
    monitored_s: float = 0.0
    elapsed_s: float = 0.0
    last_episode: Episode | None = None
    last_episode_s: float | None = None

    @property
    def twitches_per_monitored_hour(self) -> float | None:
        """None until 5 monitored minutes exist: a rate over less would mislead."""
        return None if self.monitored_s < 300 else self.twitches / (self.monitored_s / 3600.0)


class View:
    """Ring buffers of the last ``view_s`` seconds, safe to snapshot from another thread.

    Pushing writes in place at a moving head (no shifting of the whole window per chunk);
    :meth:`snapshot` returns the window oldest-first.
    """

    def __init__(self, fs_hz: float, view_s: float = 60.0) -> None:
        self.fs_hz = fs_hz
        self.size = int(round(view_s * fs_hz))
        self._lock = threading.Lock()
        self._band = np.full(self.size, np.nan)
        self._thr = np.full(self.size, np.nan)
        self._quiet = np.zeros(self.size, dtype=bool)
        self._raw = np.full((self.size, 3), np.nan)
        self._head = 0                           # where the next sample goes
        self.end_index = 0                       # index after the newest sample
        self.twitches: deque[Twitch] = deque(maxlen=2000)
        self.episodes: deque[Episode] = deque(maxlen=200)

    def push(self, first_index: int, band_g, threshold_g, quiet, raw_g) -> None:
        n = total = len(band_g)
        with self._lock:
            if n >= self.size:
                skip = n - self.size
                band_g, threshold_g, quiet, raw_g = band_g[skip:], threshold_g[skip:], quiet[skip:], raw_g[skip:]
                n = self.size
            first = min(n, self.size - self._head)       # up to the end of the ring, then wrap
            for arr, new in ((self._band, band_g), (self._thr, threshold_g), (self._quiet, quiet), (self._raw, raw_g)):
                arr[self._head:self._head + first] = new[:first]
                arr[:n - first] = new[first:]
            self._head = (self._head + n) % self.size
            self.end_index = first_index + total

    def snapshot(self, with_raw: bool = True) -> dict:
        """Copies of the buffers (oldest first) plus ``t_s``, seconds since the session start.
        ``with_raw=False`` leaves out the raw 3-axis trace (``raw_g`` is then None)."""
        with self._lock:
            h = self._head

            def ordered(arr: np.ndarray) -> np.ndarray:
                return np.concatenate((arr[h:], arr[:h]))

            t_s = (np.arange(self.end_index - self.size, self.end_index)) / self.fs_hz
            return {
                "t_s": t_s, "band_g": ordered(self._band), "threshold_g": ordered(self._thr),
                "quiet": ordered(self._quiet), "raw_g": ordered(self._raw) if with_raw else None,
                "twitches": list(self.twitches), "episodes": list(self.episodes),
            }


@dataclass
class LiveSession:
    """Runs ``source`` through a :class:`TwitchDetector`; feeds ``recorder`` and the view."""

    source: Source
    params: DetectorParams = field(default_factory=DetectorParams)
    calibration: Calibration | None = None
    recorder: Recorder | None = None
    site: str = ""
    side: str = ""
    view_s: float = 60.0
    on_output: Callable[[DetectorOutput], None] | None = None

    def __post_init__(self) -> None:
        self.counts = Counts()
        self.detector: TwitchDetector | None = None
        self.view: View | None = None
        self.start_wall_s: float | None = None
        self.fs_hz: float | None = None
        self._stopping = False
        self._finished = False
        self.error: str | None = None      # a one-line message if recording had to stop

    async def run(self) -> None:
        """Consume the source until it ends or :meth:`stop` is called, then close down."""
        try:
            async for chunk in self.source.chunks():
                try:
                    self._consume(chunk)
                except TwitchwatchError as err:
                    # A full disk or a read-only folder: stop cleanly, keep what was saved.
                    self.error = str(err)
                    self.recorder = None
                    await self.source.stop()
                    break
                if self._stopping:
                    break
        finally:
            self._finish()

    def _start(self, chunk: SampleChunk) -> None:
        self.fs_hz = self.source.fs_hz
        self.start_wall_s = chunk.wall_s - chunk.first_index / self.fs_hz
        self.detector = TwitchDetector(self.fs_hz, self.params, self.calibration, keep_trace=True)
        self.view = View(self.fs_hz, self.view_s)
        if self.recorder is not None:
            # The file keeps the full scale the source delivers, so nothing it sent is clipped.
            accel_range_g, gyro_range_dps = full_scale(self.source)
            self.recorder.start(self.fs_hz, chunk.gyro_dps is not None, self.site, self.side,
                                getattr(self.source, "name", ""), self.detector.params_dict(), self.start_wall_s,
                                accel_range_g=accel_range_g, gyro_range_dps=gyro_range_dps)

    def _consume(self, chunk: SampleChunk) -> None:
        if self.detector is None:
            self._start(chunk)
        assert self.detector is not None and self.view is not None and self.fs_hz is not None
        out = self.detector.process(chunk.accel_g, chunk.gyro_dps)
        trace = out.trace
        assert isinstance(trace, Trace)
        self.view.push(trace.first_index, trace.band_g, trace.threshold_g, trace.quiet, chunk.accel_g)
        if self.recorder is not None:
            self.recorder.add_samples(chunk.accel_g, chunk.gyro_dps)
        self._absorb(out)
        self.counts.elapsed_s = self.detector.samples_seen / self.fs_hz

    def _absorb(self, out: DetectorOutput) -> None:
        assert self.view is not None and self.fs_hz is not None
        self.counts.twitches += len(out.twitches)
        self.counts.episodes += len(out.episodes)
        self.counts.monitored_s += sum(s.end - s.start for s in out.monitored) / self.fs_hz
        self.view.twitches.extend(out.twitches)
        self.view.episodes.extend(out.episodes)
        if out.episodes:
            ep = out.episodes[-1]
            self.counts.last_episode = ep
            self.counts.last_episode_s = (ep.end - ep.start) / self.fs_hz
        if self.recorder is not None and (out.twitches or out.episodes or out.monitored):
            self.recorder.add_output(out)
        if self.on_output is not None and (out.twitches or out.episodes):
            self.on_output(out)

    def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        if self.detector is not None:
            self._absorb(self.detector.finish())
        if self.recorder is not None:
            try:
                ledger = getattr(self.source, "ledger", None)
                if ledger is not None:
                    self.recorder.set_ledger(ledger.as_dict())
                self.recorder.close()
            except TwitchwatchError as err:
                self.error = self.error or str(err)

    async def stop(self) -> None:
        """Stop the source and close the session (idempotent)."""
        self._stopping = True
        await self.source.stop()
        await asyncio.sleep(0)
