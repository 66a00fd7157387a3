"""A per-session lock file that says "a live process is recording this session".

The operating system drops the lock when its process dies (even by SIGKILL), so a session
whose lock can be taken by someone else was interrupted and may be recovered. POSIX uses
``fcntl.flock``; Windows uses ``msvcrt.locking`` on the first byte.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import paths


def lock_path(recording: Path) -> Path:
    """The lock file beside a session's recording that says a live process is writing it."""
    return recording.with_suffix(".lock")


class SessionLock:
    """Hold an exclusive, non-blocking lock on ``path`` until :meth:`release`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it. Returns False when a live process holds it."""
        fd = paths.open_private(self.path, os.O_RDWR | os.O_CREAT)
        try:
            if os.name == "nt":  # pragma: no cover - exercised on Windows only
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self, *, remove: bool = True) -> None:
        if self._fd is None:
            return
        if remove:
            # Unlink while still holding the lock so nobody sees a free, stale file.
            try:
                self.path.unlink()
            except OSError:
                pass
        os.close(self._fd)
        self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None
