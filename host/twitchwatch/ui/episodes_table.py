"""Today's episodes in a table (time, duration, twitches, site); selecting one shows its trace."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from . import theme
from .snapshot import EpisodeRow

HEADERS = ("Time", "Duration", "Twitches", "Site")


@dataclass(frozen=True)
class EpisodeTrace:
    """A clip around one episode: seconds relative to the episode start."""

    t_s: np.ndarray
    band_g: np.ndarray
    threshold_g: np.ndarray
    twitch_t_s: np.ndarray           # each twitch's peak
    twitch_peak_g: np.ndarray
    duration_s: float


TraceLookup = Callable[[EpisodeRow], "EpisodeTrace | None"]


class EpisodesTable(QWidget):
    """The table and, beside it, the trace of the selected episode."""

    def __init__(self, lookup: TraceLookup | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lookup = lookup
        self._rows: list[EpisodeRow] = []
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(False)
        self.table.itemSelectionChanged.connect(self._on_selection)

        self.trace_plot = pg.PlotWidget(background=theme.PANEL)
        item = self.trace_plot.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(x=False, y=False)
        item.setLabel("bottom", "seconds from episode start")
        item.setLabel("left", "movement", units="g")
        for name in ("bottom", "left"):
            item.getAxis(name).setPen(pg.mkPen(theme.BORDER))
            item.getAxis(name).setTextPen(pg.mkPen(theme.MUTED_TEXT))
        self._trace = item.plot(pen=pg.mkPen(theme.SIGNAL, width=1.2))
        self._trace_threshold = item.plot(
            pen=pg.mkPen(theme.THRESHOLD, width=1, style=Qt.PenStyle.DashLine)
        )
        self._trace_marks = pg.ScatterPlotItem(
            size=7, symbol="t", pen=pg.mkPen(theme.TWITCH), brush=pg.mkBrush(theme.TWITCH)
        )
        item.addItem(self._trace_marks)
        self._span = pg.LinearRegionItem(
            movable=False, brush=pg.mkBrush(*theme.EPISODE_RGBA), pen=pg.mkPen(None)
        )
        self._span.setVisible(False)
        self._span.setZValue(-10)        # opaque shading: keep it under the trace
        item.addItem(self._span, ignoreBounds=True)
        self.trace_caption = QLabel("Select an episode to see its trace.")
        self.trace_caption.setObjectName("muted")
        self.trace_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # Until an episode is picked the plot is replaced by its caption: no empty axes.
        self.trace_stack = QStackedWidget()
        self.trace_stack.addWidget(self.trace_caption)
        self.trace_stack.addWidget(self.trace_plot)

        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.trace_stack, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.table, 5)
        layout.addLayout(right, 6)

    def set_lookup(self, lookup: TraceLookup | None) -> None:
        self._lookup = lookup

    @property
    def rows(self) -> list[EpisodeRow]:
        return list(self._rows)

    def set_rows(self, rows: list[EpisodeRow]) -> None:
        """Show ``rows`` (oldest first, newest at the top); a no-op when nothing changed."""
        if rows == self._rows:
            return
        selected = self._selected_row()
        self._rows = list(rows)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(reversed(rows)):
            site = " ".join(p for p in (row.side, row.site) if p) or "—"
            cells = (
                time.strftime("%H:%M:%S", time.localtime(row.start_wall_s)),
                f"{row.duration_s:.1f} s",
                str(row.twitch_count),
                site,
            )
            for c, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(r, c, cell)
        if selected is not None and selected in self._rows:
            self.table.selectRow(len(self._rows) - 1 - self._rows.index(selected))

    def select_latest(self) -> None:
        if self._rows:
            self.table.selectRow(0)

    def _selected_row(self) -> EpisodeRow | None:
        sel = self.table.selectionModel().selectedRows()
        if not sel:
            return None
        return self._rows[len(self._rows) - 1 - sel[0].row()]

    def _on_selection(self) -> None:
        row = self._selected_row()
        trace = self._lookup(row) if (row is not None and self._lookup) else None
        self.show_trace(trace)

    def show_trace(self, trace: EpisodeTrace | None) -> None:
        if trace is None:
            self._trace.setData([], [])
            self._trace_threshold.setData([], [])
            self._trace_marks.setData([], [])
            self._span.setVisible(False)
            row = self._selected_row()
            self.trace_stack.setCurrentWidget(self.trace_caption)
            self.trace_caption.setText(
                "The trace of this episode is not in memory (it was before this session)."
                if row is not None else "Select an episode to see its trace."
            )
            return
        self._trace.setData(trace.t_s, trace.band_g, connect="finite")
        self._trace_threshold.setData(trace.t_s, trace.threshold_g, connect="finite")
        self._trace_marks.setData(trace.twitch_t_s, trace.twitch_peak_g)
        self._span.setRegion((0.0, trace.duration_s))
        self._span.setVisible(True)
        self.trace_plot.getPlotItem().getViewBox().autoRange(padding=0.02)
        self.trace_caption.setText(
            f"{len(trace.twitch_t_s)} twitches over {trace.duration_s:.1f} s (shaded)."
        )
        self.trace_stack.setCurrentWidget(self.trace_plot)
        self.trace_plot.getPlotItem().setTitle(
            f'<span style="color:{theme.MUTED_TEXT}">{self.trace_caption.text()}</span>', size="9pt")
