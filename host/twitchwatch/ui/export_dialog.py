"""Export from the menu: the clinic report (PDF) or the CSV files, for a range of days."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..errors import TwitchwatchError


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


class ExportDialog(QDialog):
    """``kind`` is "pdf" (clinic report, one file) or "csv" (a folder of CSV files)."""

    def __init__(self, controller: Any, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.kind = kind
        self.result_path: Path | None = None
        self.setWindowTitle("Export clinic report" if kind == "pdf" else "Export CSV")
        today = date.today()
        self.first = QDateEdit(_qdate(today - timedelta(days=13)))
        self.last = QDateEdit(_qdate(today))
        for edit in (self.first, self.last):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setMaximumDate(_qdate(today))
        default_dir = Path.home()
        name = f"twitchwatch-report-{today.isoformat()}.pdf" if kind == "pdf" else f"twitchwatch-csv-{today.isoformat()}"
        self.path = QLineEdit(str(default_dir / name))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("From", self.first)
        form.addRow("To", self.last)
        form.addRow("Save to" if kind == "pdf" else "Folder", path_row)
        hint = QLabel("The report summarises counts, episodes and your diary for your clinician. "
                      "It is a self-monitoring record, not a diagnosis." if kind == "pdf" else
                      "One CSV file per kind of entry (sessions, episodes, twitches, felt, notes, red flags).")
        hint.setWordWrap(True)
        hint.setObjectName("muted")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.export)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(520, 220)

    def _browse(self) -> None:
        if self.kind == "pdf":
            path, _ = QFileDialog.getSaveFileName(self, "Save the clinic report", self.path.text(), "PDF (*.pdf)")
        else:
            path = QFileDialog.getExistingDirectory(self, "Folder for the CSV files", str(Path(self.path.text()).parent))
        if path:
            self.path.setText(path)

    def export(self) -> bool:
        """Write the export; on a user error show it in the dialog and stay open."""
        from ..export.period import Period

        out = Path(self.path.text().strip()).expanduser()
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            period = Period.checked(_pydate(self.first.date()), _pydate(self.last.date()),
                                    max_days=31 if self.kind == "pdf" else 3660)
            if self.kind == "pdf":
                from ..export.report import make_report

                result = make_report(self.controller.data_dir, period.first, period.last, out)
                message = f"Wrote {result.path.name} ({result.pages} pages)."
                self.result_path = result.path
            else:
                from ..export.csv_export import export_csv

                paths = export_csv(self.controller.data_dir, period, out)
                message = f"Wrote {len(paths)} CSV files to {out}."
                self.result_path = out
        except TwitchwatchError as exc:
            self.status.setText(str(exc))
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        parent = self.parent()
        if parent is not None and hasattr(parent, "statusBar"):
            parent.statusBar().showMessage(message, 10000)
        self.status.setText(message)
        self.accept()
        return True
