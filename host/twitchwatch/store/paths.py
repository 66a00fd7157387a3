"""Where the diary lives, and the private permissions every file and folder in it gets.

Health data stays on this machine: the data folder is the platform's per-user data folder
(``platformdirs``), overridden by ``--data-dir`` or the ``TWITCHWATCH_DATA`` environment
variable. Folders are created 0700 and files 0600 whatever the process umask says.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import StoreError

ENV_VAR = "TWITCHWATCH_DATA"
DB_NAME = "diary.sqlite3"
SESSIONS_DIR = "sessions"
DIR_MODE = 0o700
FILE_MODE = 0o600


def default_data_dir() -> Path:
    """The platform's per-user data folder for twitchwatch (not created here)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("twitchwatch", appauthor=False))


def resolve_data_dir(flag: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: the ``--data-dir`` flag, else ``$TWITCHWATCH_DATA``, else the default."""
    if flag:
        return Path(flag).expanduser()
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return default_data_dir()


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as a 0700 folder; tighten it if it already exists."""
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the data folder {path}: {exc.strerror or exc}; "
            f"pick a writable folder with --data-dir or {ENV_VAR}"
        ) from exc
    if not path.is_dir():
        raise StoreError(f"{path} exists but is not a folder; pick another with --data-dir")
    mode = path.stat().st_mode & 0o777
    if os.name == "posix" and mode & 0o077:
        # Only ever take rights away (group/other): a folder the user made read-only stays so.
        try:
            os.chmod(path, mode & 0o700)
        except OSError:
            pass   # not ours to change; writes will say whether it is usable
    return path


def make_private(path: Path) -> None:
    """Set a file to 0600 (owner read/write only). Missing files are ignored."""
    if os.name != "posix":
        return
    try:
        if path.exists() and (path.stat().st_mode & 0o777) != FILE_MODE:
            os.chmod(path, FILE_MODE)
    except OSError:
        # A read-only folder we only read from: the store reports writes separately.
        pass


def open_private(path: Path, flags: int) -> int:
    """``os.open`` that creates files 0600 regardless of the umask."""
    fd = os.open(path, flags, FILE_MODE)
    if os.name == "posix":
        os.fchmod(fd, FILE_MODE)
    return fd
