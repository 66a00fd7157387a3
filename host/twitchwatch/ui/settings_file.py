"""Keeping the app's QSettings file private.

QSettings saves through a temporary file that replaces the old one, so the file gets the
process umask's permissions on every save. Every save therefore goes through
:func:`sync_private`, which writes now and sets the file back to 0600.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from ..store.paths import make_private


def sync_private(settings: QSettings) -> None:
    settings.sync()
    make_private(Path(settings.fileName()))
