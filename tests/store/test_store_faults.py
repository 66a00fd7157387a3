"""Storage faults: read-only folder, full disk, and two processes writing at once.

Running as root ignores file permissions, so the read-only case runs its writer in a child
process that drops to an unprivileged uid first (when the suite itself is not root, it just
uses chmod). The full disk is made two real ways: SQLite's own page limit (SQLITE_FULL) and
an OS file-size limit (RLIMIT_FSIZE) in a child process, so write() itself fails.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from twitchwatch.errors import StoreError
from twitchwatch.store import Store, paths, queries, writes

PY = sys.executable


def _run_child(code: str, *, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([PY, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=timeout,
                          env=env)


def _note_texts(folder: Path) -> list[str]:
    with Store.open(folder, readonly=True) as store:
        return [n.text for n in queries.notes(store, 0, 2e10)]


def _try_write_as(folder: Path, uid: int | None) -> tuple[int, str]:
    """Fork; in the child (as ``uid`` if given) try to add a note. Returns (exit code, message)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        code, msg = 0, "wrote"
        try:
            os.close(r)
            if uid is not None:
                os.setgid(uid)
                os.setuid(uid)
            with Store.open(folder) as s:
                writes.add_note(s, text="should not land")
        except StoreError as e:
            code, msg = 3, str(e)
        except BaseException as e:  # noqa: BLE001 - report anything else to the parent
            code, msg = 4, repr(e)
        os.write(w, msg.encode())
        os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        msg = fh.read().decode()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), msg


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_read_only_folder_gives_clear_error_and_keeps_diary() -> None:
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="tw-ro-"))   # under /tmp so an unprivileged child can reach it
    try:
        os.chmod(base, 0o755)
        folder = base / "ro"
        with Store.open(folder) as store:
            writes.add_note(store, text="kept")
        for p in folder.iterdir():
            if p.is_file():
                os.chmod(p, 0o444)
        os.chmod(folder, 0o555)
        # Root ignores permissions: the writer drops to "nobody", as a normal user would be.
        code, line = _try_write_as(folder, 65534 if os.geteuid() == 0 else None)
        os.chmod(folder, 0o700)
        assert code == 3, line
        assert "read-only" in line, line
        assert "--data-dir" in line and "\n" not in line
        assert _note_texts(folder) == ["kept"]
        conn = sqlite3.connect(folder / paths.DB_NAME)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
    finally:
        for root, dirs, _files in os.walk(base):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o700)
        shutil.rmtree(base, ignore_errors=True)


def test_sqlite_full_rolls_back_and_keeps_diary(tmp_path: Path) -> None:
    with Store.open(tmp_path / "d") as store:
        writes.add_note(store, text="before")
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages}")   # the "disk" is now full
        with pytest.raises(StoreError, match="full") as info:
            for _ in range(200):
                writes.add_note(store, text="x" * 2000)
        assert "intact" in str(info.value)
        added = len(queries.notes(store, 0, 2e10))
    texts = _note_texts(tmp_path / "d")
    assert texts[0] == "before" and len(texts) == added
    assert all(t == "x" * 2000 for t in texts[1:])   # only whole notes, nothing torn


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_file_size_limit_gives_store_error_and_keeps_diary(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    with Store.open(folder) as store:
        writes.add_note(store, text="before")
    code = f"""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # get EFBIG from write() instead of a kill
        from twitchwatch.errors import StoreError
        from twitchwatch.store import Store, writes
        store = Store.open({str(folder)!r})
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
        try:
            for i in range(2000):
                writes.add_note(store, text="%d " % i + "y" * 3000)
        except StoreError as e:
            print("ERR", e); sys.exit(3)
        sys.exit(0)
    """
    res = _run_child(code)
    assert res.returncode == 3, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    texts = _note_texts(folder)
    assert texts[0] == "before" and len(texts) >= 1
    conn = sqlite3.connect(folder / paths.DB_NAME)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with Store.open(folder) as store:          # and the diary still takes new entries
        writes.add_note(store, text="after")
    assert _note_texts(folder)[-1] == "after"


def test_two_processes_write_concurrently(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    Store.open(folder).close()
    code = """
        import sys, time
        from twitchwatch.store import Store, writes
        tag, n = sys.argv[1], int(sys.argv[2])
        with Store.open(sys.argv[3]) as s:
            for i in range(n):
                writes.add_note(s, text=f"{tag}-{i}")
                if tag == "rec":
                    sid = writes.new_session(s, started_wall_s=time.time(), fs_hz=208, has_gyro=False)
                    writes.end_session(s, sid, n_samples=208)
        print("done")
    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    procs = [subprocess.Popen([PY, "-c", textwrap.dedent(code), tag, "60", str(folder)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag in ("app", "cli", "rec")]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    texts = _note_texts(folder)
    for tag in ("app", "cli", "rec"):
        mine = [t for t in texts if t.startswith(tag + "-")]
        assert mine == [f"{tag}-{i}" for i in range(60)]   # all there, each writer's order kept
    with Store.open(folder, readonly=True) as store:
        assert len(queries.sessions(store)) == 60


def test_error_message_names_folder_and_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="not a folder|cannot create") as info:
        Store.open(blocker / "sub")
    assert "\n" not in str(info.value)
