"""The main window: banner, counters, live plot, today's episodes, and a side panel with the
diary and the sensor. It only arranges widgets and forwards requests to the controller; the
controller (no widgets) owns the live session and the store.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, Coroutine

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..detect import Calibration
from ..errors import TwitchwatchError
from . import theme
from .controller import AppController
from .counters import CountersPanel, LinkLine
from .diary_panel import FELT_SHORTCUT, DiaryPanel
from .episodes_table import EpisodesTable
from .export_dialog import ExportDialog
from .plot import LivePlot
from .sensor_panel import SensorPanel
from .settings_file import sync_private

STATUS_INTERVAL_MS = 250          # counters, link line, table: 4 Hz is plenty for people


class MainWindow(QMainWindow):
    """The twitchwatch window. ``settings`` persists geometry, layout and choices."""

    def __init__(self, controller: AppController, settings: QSettings) -> None:
        super().__init__()
        self.controller = controller
        self.settings = settings
        self._tasks: set[asyncio.Task] = set()
        self._closing = False
        self.closed = False
        self.on_closed: Callable[[], Any] | None = None   # called once the stream has stopped
        self._saved_calibration: Calibration | None = None
        self.setWindowTitle("twitchwatch")
        self.setStyleSheet(theme.STYLESHEET)

        self.banner = QLabel("")
        self.banner.setObjectName("banner")
        self.banner.setVisible(False)
        self.counters = CountersPanel()
        self.plot = LivePlot(controller.plot_view)
        self.episodes = EpisodesTable(controller.episode_trace)
        self.diary = DiaryPanel()
        self.sensor = SensorPanel()
        self.link_line = LinkLine()

        self.tabs = QTabWidget()
        self.tabs.addTab(self.diary, "Diary")
        self.tabs.addTab(self.sensor, "Sensor")
        self.tabs.setMinimumWidth(330)

        episodes_box = QWidget()
        ep_layout = QVBoxLayout(episodes_box)
        ep_layout.setContentsMargins(0, 0, 0, 0)
        ep_layout.setSpacing(4)
        title = QLabel("Today's episodes")
        title.setObjectName("sectionTitle")
        ep_layout.addWidget(title)
        ep_layout.addWidget(self.episodes, 1)

        self.left_split = QSplitter(Qt.Orientation.Vertical)
        self.left_split.addWidget(self.plot)
        self.left_split.addWidget(episodes_box)
        self.left_split.setStretchFactor(0, 3)
        self.left_split.setStretchFactor(1, 2)
        self.left_split.setChildrenCollapsible(False)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(8)
        left_layout.addWidget(self.banner)
        left_layout.addWidget(self.counters)
        left_layout.addWidget(self.left_split, 1)

        self.main_split = QSplitter(Qt.Orientation.Horizontal)
        self.main_split.addWidget(left)
        self.main_split.addWidget(self.tabs)
        self.main_split.setStretchFactor(0, 4)
        self.main_split.setStretchFactor(1, 1)
        self.main_split.setChildrenCollapsible(False)

        central = QWidget()
        central.setObjectName("central")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(10, 10, 10, 6)
        layout.addWidget(self.main_split)
        self.setCentralWidget(central)
        self.statusBar().addPermanentWidget(self.link_line)
        self.statusBar().setSizeGripEnabled(False)

        self._build_menu()
        self.felt_shortcut = QShortcut(QKeySequence(FELT_SHORTCUT), self)
        self.felt_shortcut.activated.connect(self.diary.mark_felt)
        self._connect_panels()

        self._status_timer = QTimer(self)
        self._status_timer.setInterval(STATUS_INTERVAL_MS)
        self._status_timer.timeout.connect(self.refresh)
        self._restore_settings()

    # -- wiring -------------------------------------------------------------------------------

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        report = QAction("Export clinic report…", self)
        report.triggered.connect(lambda: self.open_export("pdf"))
        csv = QAction("Export CSV…", self)
        csv.triggered.connect(lambda: self.open_export("csv"))
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for action in (report, csv):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("About twitchwatch", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _connect_panels(self) -> None:
        c = self.controller
        self.diary.felt_twitch.connect(self._on_felt)
        self.diary.note_saved.connect(self._on_note)
        self.sensor.scan_requested.connect(lambda: self.spawn(self._scan()))
        self.sensor.connect_requested.connect(lambda addr: self.spawn(c.use_ble(addr)))
        self.sensor.disconnect_requested.connect(lambda: self.spawn(c.disconnect()))
        self.sensor.simulate_requested.connect(lambda: self.spawn(c.use_simulated()))
        self.sensor.placement_changed.connect(self._on_placement)
        self.sensor.calibrate_requested.connect(lambda: self.spawn(c.calibrate()))

    def start(self) -> None:
        """Show the window and start the timers; the controller is started by the caller."""
        self.refresh()
        self.plot.start()
        self._status_timer.start()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """Run a controller coroutine on the qasync loop; errors go to the status bar."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        if not self._closing:
            self.refresh()          # show the outcome now, not at the next tick
        exc = task.exception()
        if isinstance(exc, TwitchwatchError):
            self.statusBar().showMessage(str(exc), 15000)
        elif exc is not None:
            self.statusBar().showMessage(f"Unexpected error: {exc!r}", 15000)
            raise exc

    # -- periodic refresh ---------------------------------------------------------------------

    def refresh(self) -> None:
        c = self.controller
        banner = c.banner()
        self.banner.setText(banner)
        self.banner.setVisible(bool(banner))
        self.counters.show_counts(c.counts())
        self.plot.show_placeholder("" if c.session is not None else
                                   "Nothing is streaming. Connect your sensor in the Sensor tab, "
                                   "or use the simulated sensor to look around.")
        status = c.link_status()
        self.link_line.show_status(status)
        self.sensor.show_connected(status.kind == "ble" and status.state not in ("stopped", "lost"))
        self.episodes.set_rows(c.episode_rows())
        self.sensor.show_calibration(*c.calibration_state())
        if c.calibration is not self._saved_calibration:
            self._saved_calibration = c.calibration
            self.settings.setValue("sensor/calibration", json.dumps(c.calibration.as_dict()) if c.calibration else "")
            sync_private(self.settings)

    # -- slots --------------------------------------------------------------------------------

    def _on_felt(self, text: str) -> None:
        self.diary.show_felt_result(self.controller.felt_twitch(text))

    def _on_note(self, note: dict, answers: dict) -> None:
        message, ok = self.controller.save_note(note, answers)
        self.diary.show_save_result(message, ok)

    def _on_placement(self, site: str, side: str) -> None:
        self.spawn(self.controller.change_placement(site, side))
        self.settings.setValue("sensor/site", site)
        self.settings.setValue("sensor/side", side)
        sync_private(self.settings)

    async def _scan(self) -> None:
        self.sensor.show_scanning(True)
        try:
            devices = await self.controller.scan()
        except TwitchwatchError as exc:
            self.sensor.show_devices([], str(exc))
            return
        self.sensor.show_devices(devices)

    def open_export(self, kind: str) -> ExportDialog:
        dialog = ExportDialog(self.controller, kind, self)
        dialog.open()
        return dialog

    def _about(self) -> None:
        QMessageBox.about(
            self, "About twitchwatch",
            "twitchwatch keeps a self-monitoring record of visible muscle twitches.\n"
            "It counts; it does not diagnose. Bring the report to your clinician.",
        )

    # -- settings and shutdown ----------------------------------------------------------------

    def _restore_settings(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 820)
        for key, split in (("window/main_split", self.main_split), ("window/left_split", self.left_split)):
            state = s.value(key)
            if isinstance(state, QByteArray) and not state.isEmpty():
                split.restoreState(state)
        self.plot.set_window_s(float(s.value("plot/window_s", 30)))
        self.plot.raw_check.setChecked(str(s.value("plot/show_raw", "false")).lower() == "true")
        site, side = str(s.value("sensor/site", "thenar")), str(s.value("sensor/side", "right"))
        self.sensor.set_placement(site, side)
        self.controller.set_placement(*self.sensor.placement())
        self._saved_calibration = self.controller.calibration = saved_calibration(
            s.value("sensor/calibration", ""), *self.sensor.placement())

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/main_split", self.main_split.saveState())
        s.setValue("window/left_split", self.left_split.saveState())
        s.setValue("plot/window_s", int(self.plot.window_s))
        s.setValue("plot/show_raw", self.plot.raw_check.isChecked())
        if self.controller.last_device:
            s.setValue("sensor/last_device", self.controller.last_device)
        sync_private(s)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self.closed:
            event.accept()
            return
        # Stop the stream cleanly first (flush the recording, end the session), then close.
        event.ignore()
        if not self._closing:
            self._closing = True
            self.save_settings()
            self.plot.stop()
            self._status_timer.stop()
            asyncio.ensure_future(self._shutdown())

    async def _shutdown(self) -> None:
        try:
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.controller.stop()
        finally:
            self.closed = True
            self.close()
            if self.on_closed is not None:
                self.on_closed()


def saved_calibration(text: object, site: str, side: str) -> Calibration | None:
    """The calibration saved in settings, if it was made for this site and side."""
    try:
        cal = Calibration.from_dict(json.loads(str(text))) if text else None
    except (ValueError, KeyError, TypeError):
        return None         # an old or hand-edited settings file: calibrate again
    if cal is None or (cal.site, cal.side) != (site, side):
        return None
    return cal
