"""The diary: one SQLite file (WAL mode) in the data folder, safe to share between processes.

The app's recorder and the command line may write at the same time: every write is a short
``BEGIN IMMEDIATE`` transaction and connections wait up to ``BUSY_TIMEOUT_S`` for each other.
A failed write (read-only folder, full disk) rolls back and raises :class:`StoreError`;
what was committed before stays intact.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Iterator

from ..errors import StoreError
from . import paths
from .schema import MIGRATIONS, SCHEMA_V1, SCHEMA_VERSION

BUSY_TIMEOUT_S = 15.0

_WHAT_TO_DO = f"choose a writable folder with --data-dir or {paths.ENV_VAR}"


def storage_error(exc: BaseException, where: Path, action: str = "write to") -> StoreError:
    """Turn an sqlite3/OS error into a one-line :class:`StoreError` that says what to do."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    errno_ = getattr(exc, "errno", None)
    if "FULL" in name or "disk is full" in text or errno_ in (28, 27):  # ENOSPC, EFBIG
        return StoreError(
            f"the disk holding {where} is full: nothing new was saved and the diary is intact; "
            "free some space and try again"
        )
    if "READONLY" in name or "readonly" in text or errno_ in (13, 30):  # EACCES, EROFS
        return StoreError(
            f"cannot {action} {where}: it is read-only; the diary was not changed; {_WHAT_TO_DO}"
        )
    if "CANTOPEN" in name or "unable to open" in text:
        return StoreError(f"cannot open the diary in {where}: {text}; {_WHAT_TO_DO}")
    if "BUSY" in name or "LOCKED" in name or "locked" in text:
        return StoreError(
            f"the diary in {where} stayed locked by another twitchwatch for {BUSY_TIMEOUT_S:.0f} s; "
            "try again in a moment"
        )
    if "NOTADB" in name or "CORRUPT" in name or "not a database" in text or "malformed" in text:
        return StoreError(
            f"the diary file in {where} is damaged ({text}); move it aside and restore a .bak copy"
        )
    return StoreError(f"cannot {action} the diary in {where}: {text}")


class Store:
    """An open diary. Use :meth:`open`; close it (or use ``with``) when done.

    One ``Store`` belongs to one thread (SQLite connections are not shared); open another
    ``Store`` on the same folder for another thread or process.
    """

    def __init__(self, data_dir: Path, conn: sqlite3.Connection, readonly: bool) -> None:
        self.data_dir = data_dir
        self.conn = conn
        self.readonly = readonly

    # -- opening ------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        readonly: bool = False,
        check_same_thread: bool = True,
    ) -> "Store":
        """Open (creating and upgrading as needed) the diary in ``data_dir``.

        ``data_dir`` None means ``$TWITCHWATCH_DATA`` or the platform's user-data folder.
        ``readonly`` opens an existing diary for reading only (reports and exports), which
        also works on a read-only folder.
        """
        root = paths.resolve_data_dir(data_dir)
        db_path = root / paths.DB_NAME
        if readonly:
            if not db_path.exists():
                raise StoreError(
                    f"there is no diary in {root} yet; record a session or add a note first, "
                    "or point --data-dir at the right folder"
                )
            conn = _connect_readonly(db_path, check_same_thread)
            store = cls(root, conn, readonly=True)
            version = store.schema_version
            if version > SCHEMA_VERSION:
                raise _newer_error(db_path, version)
            return store
        paths.ensure_private_dir(root)
        paths.ensure_private_dir(root / paths.SESSIONS_DIR)
        try:
            if not db_path.exists():
                os.close(paths.open_private(db_path, os.O_CREAT | os.O_WRONLY))
            conn = sqlite3.connect(
                db_path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                check_same_thread=check_same_thread,
            )
            conn.execute("PRAGMA foreign_keys = ON")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"the diary in {root} cannot use WAL mode ({mode}); {_WHAT_TO_DO}")
            conn.execute("PRAGMA synchronous = NORMAL")
        except (sqlite3.Error, OSError) as exc:
            raise storage_error(exc, root, "open") from exc
        store = cls(root, conn, readonly=False)
        store._upgrade(db_path)
        for suffix in ("", "-wal", "-shm"):
            paths.make_private(Path(str(db_path) + suffix))
        return store

    def _upgrade(self, db_path: Path) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise _newer_error(db_path, version)
        if version == SCHEMA_VERSION:
            return
        if version > 0:
            # Keep the pre-migration diary: a failed or regretted upgrade can be undone.
            backup = db_path.with_name(f"{db_path.name}.v{version}.bak")
            try:
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                shutil.copyfile(db_path, backup)
                paths.make_private(backup)
            except (sqlite3.Error, OSError) as exc:
                raise storage_error(exc, self.data_dir) from exc
        with self.write() as conn:
            # Re-read inside the write lock: another process may have upgraded meanwhile.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                for statement in _split_sql(SCHEMA_V1):
                    conn.execute(statement)
                version = 1
            for target in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[target](conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @property
    def schema_version(self) -> int:
        try:
            return int(self.conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error as exc:
            raise storage_error(exc, self.data_dir, "read") from exc

    @property
    def sessions_dir(self) -> Path:
        return self.data_dir / paths.SESSIONS_DIR

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- transactions -------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: taken at once (``BEGIN IMMEDIATE``), rolled back on error.

        Storage failures come out as :class:`StoreError`; the diary keeps its last commit.
        """
        if self.readonly:
            raise StoreError(f"the diary in {self.data_dir} was opened read-only")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise storage_error(exc, self.data_dir) from exc
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            if isinstance(exc, (sqlite3.Error, OSError)) and not isinstance(exc, StoreError):
                raise storage_error(exc, self.data_dir) from exc
            raise

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        """Run a read query; rows support access by column name."""
        try:
            cur = self.conn.execute(sql, params)
            cur.row_factory = sqlite3.Row
            return cur.fetchall()
        except sqlite3.Error as exc:
            raise storage_error(exc, self.data_dir, "read") from exc


def _connect_readonly(db_path: Path, check_same_thread: bool) -> sqlite3.Connection:
    """Read-only connection; on a read-only folder fall back to ``immutable`` (no -shm needed)."""
    uri = db_path.resolve().as_uri()
    for suffix in ("?mode=ro", "?immutable=1"):
        try:
            conn = sqlite3.connect(
                uri + suffix, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                check_same_thread=check_same_thread,
            )
            conn.execute("PRAGMA user_version").fetchone()
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.Error as exc:
            last = exc
    raise storage_error(last, db_path.parent, "read")


def _newer_error(db_path: Path, version: int) -> StoreError:
    return StoreError(
        f"the diary {db_path} was written by a newer twitchwatch (schema v{version}, this one "
        f"reads up to v{SCHEMA_VERSION}); update twitchwatch"
    )


def _split_sql(script: str) -> list[str]:
    """Split a DDL script into statements (ours has no semicolons inside literals)."""
    return [s.strip() for s in script.split(";") if s.strip()]
