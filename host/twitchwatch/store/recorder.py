"""Records a live session: raw samples to a ``.twr`` file, detector results to the diary.

``LiveSession`` calls the recorder from its asyncio loop thread. Every call only hands data to
a queue; one writer thread appends samples to the recording and commits detector results in
small batches (at least every ``flush_interval_s``), so the loop never waits for the disk or
for another process holding the diary. A process that dies mid-session leaves a session in
state ``recording`` whose lock nobody holds; :func:`store.recovery.recover_interrupted` finds
and closes it on the next start.

A storage failure (full disk, read-only folder) stops recording; the next call raises the
:class:`StoreError` and the diary keeps everything committed before.

The recording goes to ``sessions/`` in the data folder unless the caller names a file
(``recording_path``, e.g. ``twitchwatch record --out``); the session then points at that file
(by its absolute path when it lies outside the data folder) and its lock file lies beside it.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..detect.events import DetectorOutput
from ..errors import RecordingError, StoreError, TwitchwatchError
from . import writes
from .db import Store, storage_error
from .lock import SessionLock, lock_path
from .queries import SessionRow, session as load_session

_STOP = object()


class SessionRecorder:
    """Write one live session. Use ``start`` once, then ``add_*`` calls, then ``close``."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None, *, flush_interval_s: float = 1.0,
                 recording_path: str | os.PathLike[str] | None = None) -> None:
        self._data_dir = data_dir
        self.flush_interval_s = float(flush_interval_s)
        self.session_id: int | None = None
        # Where the .twr goes: given (a new file) or, when None, chosen in sessions/ at start.
        self._wanted_path = None if recording_path is None else Path(recording_path).expanduser().absolute()
        self.recording_path: Path | None = None
        self._store: Store | None = None
        self._writer: Any = None
        self._lock: SessionLock | None = None
        self._queue: "queue.Queue[Any]" = queue.Queue()
        self._thread: threading.Thread | None = None
        self._error: TwitchwatchError | None = None
        self._error_raised = False
        self._fs_hz = 0.0
        self._start_wall_s = 0.0
        self.samples_written = 0
        self._samples_queued = 0
        self._ledger: dict[str, Any] | None = None
        self._site_side = ("", "")

    # -- called from the session (loop thread) -------------------------------------------

    def start(self, fs_hz: float, has_gyro: bool, site: str = "", side: str = "", device: str = "",
              detector_info: dict[str, Any] | None = None, start_wall_s: float | None = None, *,
              accel_range_g: int | None = None, gyro_range_dps: int | None = None) -> int:
        """Create the session row, its lock and its ``.twr`` file; returns the session id.

        ``accel_range_g`` / ``gyro_range_dps`` are the full scale the samples come at (the
        sensor's configuration); the file stores them at that scale, so nothing the sensor
        measured is clipped. None: the widest scale. If anything fails the session row is
        removed again, so a failed start leaves no trace.
        """
        from ..io.native import NativeWriter, live_full_scale

        accel_range_g, gyro_range_dps = live_full_scale(accel_range_g, gyro_range_dps)

        if self.session_id is not None:
            raise StoreError("this recorder already started a session; make a new SessionRecorder")
        self._fs_hz = float(fs_hz)
        self._site_side = writes.check_site_side(site, side)
        self._start_wall_s = time.time() if start_wall_s is None else float(start_wall_s)
        if self._wanted_path is not None:
            check_new_recording(self._wanted_path)
        store = Store.open(self._data_dir, check_same_thread=False)
        sid: int | None = None
        lock: SessionLock | None = None
        try:
            sid = writes.new_session(store, started_wall_s=self._start_wall_s, fs_hz=fs_hz,
                                     has_gyro=has_gyro, site=site, side=side, device=device,
                                     detector_info=detector_info)
            if self._wanted_path is None:
                stamp = datetime.fromtimestamp(self._start_wall_s).strftime("%Y%m%d-%H%M%S")
                rel = f"sessions/{stamp}-s{sid}.twr"
                path = store.data_dir / rel
            else:
                path = self._wanted_path
                rel = _stored_name(path, store.data_dir)
            try:
                lock = SessionLock(lock_path(path))
                if not lock.try_acquire():  # pragma: no cover - checked above; a race at most
                    lock = None
                    raise StoreError(f"session file {path} is locked by another process; "
                                     "choose another file name")
                with store.write() as conn:
                    conn.execute("UPDATE sessions SET recording = ? WHERE id = ?", (rel, sid))
                self._writer = NativeWriter.create(
                    path, fs_hz=fs_hz, has_gyro=has_gyro, start_wall_s=self._start_wall_s,
                    device=device, site=site, side=side, meta={"session_id": str(sid)},
                    accel_range_g=accel_range_g, gyro_range_dps=gyro_range_dps)
                os.chmod(path, 0o600) if os.name == "posix" else None
            except OSError as exc:
                if isinstance(exc, TwitchwatchError):
                    raise
                if self._wanted_path is None:
                    raise storage_error(exc, store.data_dir) from exc
                raise RecordingError(f"{path}: cannot write there ({exc.strerror or exc}); "
                                     "choose a folder you can write to") from exc
        except BaseException:
            if sid is not None:
                # Nothing was recorded: take the row back rather than leave an empty session.
                try:
                    writes.discard_session(store, sid)
                except TwitchwatchError:
                    pass   # left in state "recording": the next start recovers it
            if lock is not None:
                lock.release()
            store.close()
            raise
        self._store, self._lock, self.session_id, self.recording_path = store, lock, sid, path
        self._thread = threading.Thread(target=self._run, name=f"recorder-s{sid}", daemon=True)
        self._thread.start()
        return sid

    def add_samples(self, accel_g: np.ndarray, gyro_dps: np.ndarray | None = None) -> None:
        """Queue raw samples (NaN rows for lost ones) for the recording file."""
        self._check()
        accel = np.array(accel_g, dtype=np.float64, copy=True)
        gyro = None if gyro_dps is None else np.array(gyro_dps, dtype=np.float64, copy=True)
        self._samples_queued += len(accel)
        self._queue.put(("samples", accel, gyro))

    def add_output(self, out: DetectorOutput) -> None:
        """Queue detector results (sample indices relative to the session start)."""
        self._check()
        if out.twitches or out.episodes or out.monitored:
            self._queue.put(("output", out))

    def set_ledger(self, ledger: dict[str, Any]) -> None:
        """Replace the session's data-quality ledger (a JSON-able dict)."""
        self._check()
        self._queue.put(("ledger", dict(ledger)))

    def add_felt(self, wall_s: float | None = None, text: str = "") -> None:
        """An "I felt a twitch" tap during this session."""
        self._check()
        self._queue.put(("felt", time.time() if wall_s is None else float(wall_s), text))

    @property
    def error(self) -> TwitchwatchError | None:
        """The storage error that stopped recording, if any."""
        return self._error

    @property
    def clipped_samples(self) -> int:
        """Samples written so far with a value beyond the recording's full scale (saturated)."""
        return 0 if self._writer is None else int(self._writer.clipped_samples)

    def close(self) -> SessionRow | None:
        """Flush everything, close the file and mark the session ended at its last sample."""
        if self._thread is None or self._store is None:
            return None
        self._queue.put(_STOP)
        self._thread.join()
        self._thread = None
        store, sid = self._store, self.session_id
        assert sid is not None
        note = "" if self._error is None else f"recording stopped early: {self._error}"
        try:
            if self._writer is not None:
                try:
                    self._writer.close()
                except OSError as exc:
                    self._fail(storage_error(exc, store.data_dir))
            ledger, clip_note = self._ledger, self._clip_note()
            if clip_note:
                # Never silent: the diary says so, as the file's end record does.
                ledger = {**(ledger or {}), "clipped_samples": self.clipped_samples}
                note = f"{note}; {clip_note}" if note else clip_note
            writes.end_session(store, sid, n_samples=self.samples_written, status="ended",
                               ledger=ledger, status_note=note)
            row = load_session(store, sid)
        except TwitchwatchError as exc:
            # Left in state "recording" with the lock released: the next start recovers it.
            self._fail(exc)
            row = None
        finally:
            if self._lock is not None:
                self._lock.release()
            store.close()
            self._store = None
        if self._error is not None and not self._error_raised:
            self._error_raised = True
            raise self._error
        return row

    def _clip_note(self) -> str:
        """A line for the diary when samples had to be stored saturated, else ""."""
        writer = self._writer
        if writer is None or not writer.clipped_samples:
            return ""
        h = writer.header
        scale = f"±{h['accel_range_g']} g" + (f", ±{h['gyro_range_dps']} dps" if h["has_gyro"] else "")
        return f"{writer.clipped_samples} samples beyond the recording's full scale ({scale}) were stored saturated"

    # -- writer thread --------------------------------------------------------------------

    def _check(self) -> None:
        if self.session_id is None:
            raise StoreError("the recorder was not started; call start() first")
        if self._error is not None:
            self._error_raised = True
            raise self._error

    def _fail(self, exc: TwitchwatchError) -> None:
        if self._error is None:
            self._error = exc

    def _run(self) -> None:
        pending: list[DetectorOutput] = []
        felt: list[tuple[float, str]] = []
        dirty = False
        next_flush = time.monotonic() + self.flush_interval_s
        while True:
            timeout = max(0.0, next_flush - time.monotonic())
            try:
                op = self._queue.get(timeout=timeout)
            except queue.Empty:
                op = None
            if op is _STOP:
                break
            if op is not None and self._error is None:
                dirty = True
                try:
                    self._handle(op, pending, felt)
                except TwitchwatchError as exc:
                    self._fail(exc)
                except OSError as exc:
                    self._fail(storage_error(exc, self._store.data_dir if self._store else Path(".")))
            if time.monotonic() >= next_flush:
                if dirty and self._error is None:
                    self._flush(pending, felt)
                dirty = False
                next_flush = time.monotonic() + self.flush_interval_s
        if self._error is None:
            self._flush(pending, felt)

    def _handle(self, op: tuple, pending: list[DetectorOutput], felt: list[tuple[float, str]]) -> None:
        kind = op[0]
        if kind == "samples":
            self._writer.append(op[1], op[2])
            self.samples_written += len(op[1])
        elif kind == "output":
            pending.append(op[1])
        elif kind == "ledger":
            self._ledger = op[1]
        elif kind == "felt":
            felt.append((op[1], op[2]))

    def _flush(self, pending: list[DetectorOutput], felt: list[tuple[float, str]]) -> None:
        store, sid = self._store, self.session_id
        assert store is not None and sid is not None
        try:
            flush = getattr(self._writer, "flush", None)
            if flush is not None:
                flush()
            with store.write() as conn:
                for out in pending:
                    writes.insert_output(conn, sid, self._fs_hz, self._start_wall_s,
                                         out.twitches, out.episodes, out.monitored)
                for wall_s, text in felt:
                    conn.execute("INSERT INTO felt_events (wall_s, session_id, site, side, text)"
                                 " VALUES (?,?,?,?,?)", (wall_s, sid, *self._site_side, text))
                conn.execute("UPDATE sessions SET n_samples = ? WHERE id = ?", (self.samples_written, sid))
                if self._ledger is not None:
                    conn.execute("UPDATE sessions SET ledger_json = ? WHERE id = ?",
                                 (json.dumps(self._ledger, sort_keys=True, default=str), sid))
            pending.clear()
            felt.clear()
        except TwitchwatchError as exc:
            self._fail(exc)
        except OSError as exc:
            self._fail(storage_error(exc, store.data_dir))


def check_new_recording(path: Path) -> None:
    """Refuse a recording file (or its lock file) that already exists, before any row is made."""
    if path.exists():
        raise RecordingError(f"{path}: file already exists; choose another name or delete it first")
    if lock_path(path).exists():
        raise RecordingError(f"{lock_path(path)} is in the way (the lock file of a recording named {path.name}); "
                             "choose another name or move that file")
    if not path.parent.is_dir():
        raise RecordingError(f"{path}: folder {path.parent} does not exist; create it first")


def _stored_name(path: Path, data_dir: Path) -> str:
    """How the diary names a recording: relative to the data folder if inside it, else absolute."""
    try:
        return path.resolve().relative_to(data_dir.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())
