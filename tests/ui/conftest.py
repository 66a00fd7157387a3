"""Qt fixtures for the app tests: offscreen platform, a qasync loop inside pytest-qt's
QApplication, and an app (controller + window) on a throw-away data folder."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")   # before anything imports Qt

import asyncio
import threading

import pytest


@pytest.fixture(scope="session")
def _qasync_loop(qapp):
    """One qasync loop for the whole run (as in the app). It is marked as the running loop
    only inside the tests that ask for ``qloop``, so other folders' asyncio.run() still works."""
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.events._set_running_loop(None)
    yield loop
    loop.stop()
    loop.close()


@pytest.fixture
def qloop(_qasync_loop, qapp):
    """The qasync loop, running whenever pytest-qt spins the Qt event loop."""
    loop = _qasync_loop
    asyncio.set_event_loop(loop)
    asyncio.events._set_running_loop(loop)
    try:
        yield loop
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        for _ in range(20):                  # let cancelled tasks unwind
            if all(t.done() for t in pending):
                break
            qapp.processEvents()
    finally:
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)


class App:
    """A controller and its window, plus helpers to drive them from a test."""

    def __init__(self, qtbot, loop, data_dir, **controller_kw) -> None:
        from twitchwatch.ui.controller import AppController
        from twitchwatch.ui.launch import open_settings
        from twitchwatch.ui.main_window import MainWindow

        self.qtbot, self.loop = qtbot, loop
        self.finished = False
        self.controller = AppController(data_dir, **controller_kw)
        self.settings = open_settings(self.controller.data_dir)
        self.window = MainWindow(self.controller, self.settings)
        # Not qtbot.addWidget: pytest-qt would close and delete the window before this
        # fixture's teardown can wait for the clean, asynchronous shutdown.
        self.window.show()
        self.window.start()

    def run(self, coro, timeout_s: float = 20.0):
        """Run a coroutine on the qasync loop while Qt keeps painting; return its result."""
        task = asyncio.ensure_future(coro)
        self.qtbot.waitUntil(task.done, timeout=int(timeout_s * 1000))
        return task.result()

    def close(self) -> None:
        if self.finished:
            return
        self.finished = True
        if not self.window.closed:
            self.window.close()
            self.qtbot.waitUntil(lambda: self.window.closed, timeout=15000)
        self.run(self.controller.close())
        self.window.deleteLater()


@pytest.fixture
def make_app(qtbot, qloop, tmp_path):
    apps: list[App] = []
    threads_before = set(threading.enumerate())

    def make(data_dir=None, **kw) -> App:
        app = App(qtbot, qloop, data_dir or tmp_path / f"data{len(apps)}", **kw)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()
    leftover = [t for t in set(threading.enumerate()) - threads_before if t.is_alive()]
    assert not leftover, f"threads left running after close: {leftover}"
