"""A running source shared by successive live sessions (no Qt).

The app keeps one source streaming while it starts a fresh :class:`~twitchwatch.session.LiveSession`
(for example with a new calibration), and lets the calibration step see the raw chunks. The
:class:`SourceFeed` pumps the real source; each session reads a :class:`Segment`, a Source of
its own whose sample indices start at 0 where the segment began.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any, AsyncIterator, Callable

from ..sources.base import SampleChunk, Source

ChunkListener = Callable[[SampleChunk], None]


class Segment:
    """The part of a running feed that one live session consumes (a Source).

    Stopping a segment ends that session only; the feed and its source keep running.
    """

    def __init__(self, feed: "SourceFeed") -> None:
        self._feed = feed
        self.base_index: int | None = None      # source index of the segment's first sample
        self._queue: asyncio.Queue[SampleChunk | None] = asyncio.Queue()
        self._stopped = False

    # Source protocol: name, fs_hz and state come from the real source.
    @property
    def name(self) -> str:
        return self._feed.source.name

    @property
    def fs_hz(self) -> float:
        return self._feed.source.fs_hz

    @property
    def state(self) -> str:
        return self._feed.source.state

    @property
    def ledger(self) -> Any:
        return getattr(self._feed.source, "ledger", None)

    @property
    def accel_range_g(self) -> int | None:
        return getattr(self._feed.source, "accel_range_g", None)

    @property
    def gyro_range_dps(self) -> int | None:
        return getattr(self._feed.source, "gyro_range_dps", None)

    def put(self, chunk: SampleChunk | None) -> None:
        if self._stopped:
            return
        if chunk is not None:
            if self.base_index is None:
                self.base_index = chunk.first_index
            chunk = replace(chunk, first_index=chunk.first_index - self.base_index)
        self._queue.put_nowait(chunk)

    async def chunks(self) -> AsyncIterator[SampleChunk]:
        while True:
            chunk = await self._queue.get()
            if chunk is None:
                return
            yield chunk

    async def stop(self) -> None:
        if not self._stopped:
            self._queue.put_nowait(None)
            self._stopped = True


class SourceFeed:
    """Pump ``source`` into the current :class:`Segment` and into chunk listeners."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.next_index = 0
        self.ended = False
        self.error: Exception | None = None     # why the source stopped by itself, if it failed
        self._segment: Segment | None = None
        self._listeners: list[ChunkListener] = []
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._pump())

    def new_segment(self) -> Segment:
        """A segment that starts with the next chunk; the previous one gets no more data."""
        if self._segment is not None:
            self._segment.put(None)
        self._segment = Segment(self)
        return self._segment

    def add_listener(self, listener: ChunkListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: ChunkListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def _pump(self) -> None:
        try:
            async for chunk in self.source.chunks():
                self.next_index = chunk.first_index + len(chunk)
                for listener in list(self._listeners):
                    listener(chunk)
                if self._segment is not None:
                    self._segment.put(chunk)
        except Exception as exc:  # noqa: BLE001 - a failed source is shown, not raised into Qt
            # e.g. no Bluetooth adapter, or the sensor is not in range at the first scan.
            self.error = exc
        finally:
            self.ended = True
            if self._segment is not None:
                self._segment.put(None)

    async def stop(self) -> None:
        """Stop the source and wait for the pump to finish."""
        await self.source.stop()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=10.0)
            except asyncio.TimeoutError:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
