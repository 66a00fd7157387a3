"""The package's error types.

Every error a user can cause (a bad file, a bad argument, a full disk) is a
:class:`TwitchwatchError`; its message is one line that says what is wrong and what to do.
Subclasses also derive from the matching built-in so callers may catch either.
"""


class TwitchwatchError(Exception):
    """Root of all twitchwatch errors. ``str(err)`` is a one-line, user-facing message."""


class RecordingError(TwitchwatchError, ValueError):
    """A recording file cannot be read or written (empty, bad header, NaN, truncated, ...)."""


class ConfigError(TwitchwatchError, ValueError):
    """A parameter or command-line argument is out of range."""


class StoreError(TwitchwatchError, OSError):
    """The diary store cannot be opened or written (read-only, full disk, corrupted)."""


class LinkError(TwitchwatchError, ConnectionError):
    """The sensor link failed in a way the user must act on (no sensor found, bad firmware)."""
