"""Sensor panel: scan and pick a device, connect/disconnect, body site and side, and the
calibration step (about 30 s of rest that sets the wearer's own baseline)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..recording import SIDES, SITES

SITE_LABELS = {
    "thenar": "Thenar (base of thumb)",
    "calf": "Calf",
    "thigh": "Thigh",
    "sole": "Sole of foot",
    "other": "Other",
}


@dataclass(frozen=True)
class FoundDevice:
    """One advertising sensor found by a scan."""

    address: str
    name: str
    rssi_dbm: int | None = None


class SensorPanel(QWidget):
    """Emits requests; the window forwards them to the controller and reports back."""

    scan_requested = Signal()
    connect_requested = Signal(str)          # address
    disconnect_requested = Signal()
    simulate_requested = Signal()
    placement_changed = Signal(str, str)     # site, side
    calibrate_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scan_button = QPushButton("Scan for sensors")
        self.scan_button.clicked.connect(self.scan_requested)
        self.devices = QListWidget()
        self.devices.setMaximumHeight(92)
        self.devices.itemSelectionChanged.connect(self._update_buttons)
        self.connect_button = QPushButton("Connect")
        self.connect_button.clicked.connect(self._on_connect)
        self.disconnect_button = QPushButton("Disconnect")
        self.disconnect_button.clicked.connect(self.disconnect_requested)
        self.simulate_button = QPushButton("Use simulated sensor")
        self.simulate_button.clicked.connect(self.simulate_requested)
        self.scan_status = QLabel("")
        self.scan_status.setObjectName("muted")
        self.scan_status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.connect_button)
        buttons.addWidget(self.disconnect_button)

        self.site = QComboBox()
        for key in SITES:
            self.site.addItem(SITE_LABELS[key], key)
        self.side = QComboBox()
        for key in SIDES:
            self.side.addItem(key.capitalize(), key)
        self.site.currentIndexChanged.connect(self._on_placement)
        self.side.currentIndexChanged.connect(self._on_placement)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Worn on", self.site)
        form.addRow("Side", self.side)

        self.calibrate_button = QPushButton("Calibrate (30 s at rest)")
        self.calibrate_button.clicked.connect(self.calibrate_requested)
        self.calibration_progress = QProgressBar()
        self.calibration_progress.setRange(0, 100)
        self.calibration_progress.setValue(0)
        self.calibration_progress.setTextVisible(False)
        self.calibration_progress.setVisible(False)
        self.calibration_status = QLabel("Not calibrated: using the default baseline.")
        self.calibration_status.setObjectName("muted")
        self.calibration_status.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.scan_button)
        layout.addWidget(self.devices)
        layout.addLayout(buttons)
        layout.addWidget(self.simulate_button)
        layout.addWidget(self.scan_status)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addSpacing(6)
        hint = QLabel("Rest the muscle, relaxed and still, while calibrating.")
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        layout.addWidget(self.calibrate_button)
        layout.addWidget(hint)
        layout.addWidget(self.calibration_progress)
        layout.addWidget(self.calibration_status)
        layout.addStretch(1)
        self._connected = False
        self._update_buttons()

    # -- reports from the window --------------------------------------------------------------

    def show_scanning(self, scanning: bool) -> None:
        self.scan_button.setEnabled(not scanning)
        self.scan_status.setText("Scanning…" if scanning else self.scan_status.text())

    def show_devices(self, devices: list[FoundDevice], message: str = "") -> None:
        self.devices.clear()
        for dev in devices:
            rssi = f"  ({dev.rssi_dbm} dBm)" if dev.rssi_dbm is not None else ""
            item = QListWidgetItem(f"{dev.name or 'unnamed'} · {dev.address}{rssi}")
            item.setData(Qt.ItemDataRole.UserRole, dev.address)
            self.devices.addItem(item)
        self.scan_status.setText(message or (f"Found {len(devices)} sensor(s)." if devices else
                                             "No sensor found. Is it switched on and nearby?"))
        self.scan_button.setEnabled(True)
        self._update_buttons()

    def show_connected(self, connected: bool) -> None:
        self._connected = connected
        self._update_buttons()

    def set_placement(self, site: str, side: str) -> None:
        for combo, key in ((self.site, site), (self.side, side)):
            idx = combo.findData(key)
            if idx >= 0:
                combo.blockSignals(True)
                combo.setCurrentIndex(idx)
                combo.blockSignals(False)

    def placement(self) -> tuple[str, str]:
        return str(self.site.currentData()), str(self.side.currentData())

    def show_calibration(self, fraction: float | None, message: str) -> None:
        """``fraction`` in [0, 1] while running, None when idle."""
        running = fraction is not None
        self.calibration_progress.setVisible(running)
        if running:
            self.calibration_progress.setValue(int(round(100 * fraction)))
        self.calibrate_button.setEnabled(not running)
        self.calibration_status.setText(message)

    # -- internals ----------------------------------------------------------------------------

    def _selected_address(self) -> str | None:
        items = self.devices.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None

    def _on_connect(self) -> None:
        address = self._selected_address()
        if address:
            self.connect_requested.emit(address)

    def _on_placement(self, _index: int) -> None:
        self.placement_changed.emit(*self.placement())

    def _update_buttons(self) -> None:
        self.connect_button.setEnabled(self._selected_address() is not None)
        self.disconnect_button.setEnabled(self._connected)
