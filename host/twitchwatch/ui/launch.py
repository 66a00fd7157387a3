"""Start the desktop app: QApplication, the qasync loop, controller, window, first source.

bleak and the live session run as asyncio tasks inside the Qt event loop (qasync), so nothing
else needs a thread; the store's recorder keeps its own writer thread and joins it on close.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from .settings_file import sync_private

SETTINGS_FILE = "app-settings.ini"


@dataclass(frozen=True)
class LaunchOptions:
    data_dir: str | None = None
    sensor: str | None = None            # BLE address or name; None = remembered or simulated
    replay: str | None = None            # a recording file to replay instead of a sensor
    simulated: bool = False              # force the simulated sensor
    speed: float | None = 1.0            # replay / simulator speed (None: as fast as possible)
    quit_after_s: float | None = None    # close by itself (smoke tests, benchmarks)


def open_settings(data_dir: Path) -> QSettings:
    """Window state and choices, in an INI file beside the diary (0600)."""
    settings = QSettings(str(data_dir / SETTINGS_FILE), QSettings.Format.IniFormat)
    sync_private(settings)
    return settings


async def choose_first_source(controller, options: LaunchOptions, remembered: str) -> None:
    """--replay, else --sensor, else the remembered sensor, else the simulated sensor."""
    if options.replay:
        await controller.use_replay(options.replay, speed=options.speed)
    elif options.sensor:
        await controller.use_ble(options.sensor)
    elif remembered and not options.simulated:
        await controller.use_ble(remembered)
    else:
        await controller.use_simulated()


def remembered_sensor(settings: QSettings) -> str:
    value = settings.value("sensor/last_device", "")
    if value:
        return str(value)
    try:
        from ..ble.discovery import remembered_device

        found = remembered_device()
    except Exception:  # an unreadable config file must not stop the app
        found = None
    return found["address"] if found else ""


def run_app(options: LaunchOptions) -> int:
    """Open the window and run until it is closed. Returns the process exit code."""
    import qasync

    from .controller import AppController
    from .main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "twitchwatch"])
    app.setApplicationName("twitchwatch")
    app.setOrganizationName("twitchwatch")
    # The window's close is asynchronous (the stream stops first); we end the loop ourselves.
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    controller = AppController(options.data_dir, sim_speed=options.speed)
    settings = open_settings(controller.data_dir)
    window = MainWindow(controller, settings)
    closed = loop.create_future()

    window.on_closed = lambda: closed.done() or closed.set_result(None)
    # Ctrl+C in the terminal closes the window the normal way (stream stopped, files flushed).
    signal.signal(signal.SIGINT, lambda *_: window.close())

    async def main() -> None:
        window.show()
        window.start()
        try:
            await choose_first_source(controller, options, remembered_sensor(settings))
        except Exception as exc:  # e.g. an unreadable replay file: say so, fall back to simulated
            window.statusBar().showMessage(f"{exc} — showing the simulated sensor instead.", 20000)
            await controller.use_simulated()
        if options.quit_after_s is not None:
            QTimer.singleShot(int(options.quit_after_s * 1000), window.close)
        await closed

    try:
        loop.run_until_complete(main())
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        loop.run_until_complete(controller.close())
        sync_private(settings)
        loop.close()
        asyncio.set_event_loop(None)
    return 0
