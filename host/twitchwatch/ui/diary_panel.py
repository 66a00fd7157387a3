"""The diary: an "I felt a twitch" button and a notes form (covariates, red-flag questions,
free text). The panel only collects; it emits plain dicts and the controller saves them to
the store at once."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..store.schema import RED_FLAG_LABELS, RED_FLAGS

FELT_SHORTCUT = "F"
NOT_ANSWERED = "—"


def _spin(maximum: float, step: float, suffix: str, decimals: int = 0) -> QDoubleSpinBox:
    """A spin box whose lowest value means "not answered" (shown as a dash, saved as None)."""
    box = QDoubleSpinBox()
    box.setDecimals(decimals)
    box.setRange(-step, maximum)
    box.setSingleStep(step)
    box.setSuffix(suffix)
    box.setSpecialValueText(NOT_ANSWERED)
    box.setValue(-step)
    return box


def _spin_value(box: QDoubleSpinBox | QSpinBox) -> float | None:
    return None if box.value() == box.minimum() else float(box.value())


class DiaryPanel(QWidget):
    """Emits ``felt_twitch(text)`` and ``note_saved(note, red_flags)``."""

    felt_twitch = Signal(str)
    note_saved = Signal(dict, dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.felt_button = QPushButton(f"I felt a twitch   [{FELT_SHORTCUT}]")
        self.felt_button.setObjectName("feltButton")
        self.felt_button.setToolTip(f"Mark a twitch you felt, now (shortcut: {FELT_SHORTCUT})")
        self.felt_button.clicked.connect(self.mark_felt)
        self.felt_status = QLabel("Marks are saved straight away.")
        self.felt_status.setObjectName("muted")

        self.caffeine = _spin(2000, 20, " mg")
        self.stress = QSpinBox()
        self.stress.setRange(-1, 10)
        self.stress.setSpecialValueText(NOT_ANSWERED)
        self.stress.setValue(-1)
        self.stress.setSuffix(" / 10")
        self.sleep = _spin(24, 0.5, " h", decimals=1)
        self.exercise = _spin(600, 10, " min")
        self.alcohol = _spin(30, 1, " units", decimals=1)
        self.medication = QLineEdit()
        self.medication.setPlaceholderText("e.g. magnesium, none")
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(4)
        form.addRow("Caffeine today", self.caffeine)
        form.addRow("Stress", self.stress)
        form.addRow("Sleep last night", self.sleep)
        form.addRow("Exercise today", self.exercise)
        form.addRow("Alcohol today", self.alcohol)
        form.addRow("Medication", self.medication)

        self.red_flags: dict[str, QComboBox] = {}
        flags = QGridLayout()
        flags.setContentsMargins(0, 0, 0, 0)
        flags.setVerticalSpacing(2)
        for row, key in enumerate(RED_FLAGS):
            combo = QComboBox()
            combo.addItems([NOT_ANSWERED, "No", "Yes"])
            self.red_flags[key] = combo
            flags.addWidget(QLabel(RED_FLAG_LABELS[key]), row, 0)
            flags.addWidget(combo, row, 1)

        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("Anything else: what you were doing, how it felt…")
        self.text.setFixedHeight(54)
        self.save_button = QPushButton("Save note")
        self.save_button.clicked.connect(self.save_note)
        self.save_status = QLabel("")
        self.save_status.setObjectName("muted")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.felt_button)
        layout.addWidget(self.felt_status)
        layout.addWidget(_title("Today so far"))
        layout.addLayout(form)
        layout.addWidget(_title("Since your last note, have you noticed…"))
        layout.addLayout(flags)
        layout.addWidget(self.text)
        layout.addWidget(self.save_button)
        layout.addWidget(self.save_status)
        layout.addStretch(1)

    def mark_felt(self) -> None:
        self.felt_twitch.emit("")

    def show_felt_result(self, message: str) -> None:
        self.felt_status.setText(message)

    def note_values(self) -> tuple[dict, dict]:
        note = {
            "text": self.text.toPlainText().strip(),
            "caffeine_mg": _spin_value(self.caffeine),
            "stress_0_10": None if self.stress.value() < 0 else int(self.stress.value()),
            "sleep_h": _spin_value(self.sleep),
            "exercise_min": _spin_value(self.exercise),
            "alcohol_units": _spin_value(self.alcohol),
            "medication": self.medication.text().strip(),
        }
        answers = {key: {0: None, 1: 0, 2: 1}[combo.currentIndex()] for key, combo in self.red_flags.items()}
        return note, answers

    def save_note(self) -> None:
        note, answers = self.note_values()
        self.note_saved.emit(note, answers)

    def show_save_result(self, message: str, ok: bool) -> None:
        if ok:
            self.text.clear()
        self.save_status.setText(message)


def _title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    return label
