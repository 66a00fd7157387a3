"""The live plot: band-passed signal, threshold, twitch markers, shaded episodes and shaded
unmonitored (moving) time, scrolling over the last 10–60 s.

The widget *pulls*: a QTimer (≤ 30 fps) asks a provider for a :class:`ViewWindow` and redraws
only when something new arrived. Producers never touch widgets. The x axis is "seconds ago"
(−window … 0) so it never moves and its tick labels are painted once, not every frame.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QBrush, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGraphicsItem,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from . import theme
from .markers import MarkerLayer
from .plot_data import ViewWindow, peak_decimate, step_points

WINDOW_CHOICES_S = (10, 20, 30, 60)
FRAME_INTERVAL_MS = 34            # just under 30 fps (33 ms gives 30.3)
MIN_Y_TOP_G = 0.01                # never zoom in below 10 mg: noise would look like events
COLUMNS_PER_PX = 0.5              # min/max pairs per pixel: 2 px wide columns still show every spike

Provider = Callable[[float, bool], "ViewWindow | None"]   # (window_s, with_raw)


class BoundedCurve(pg.PlotCurveItem):
    """A curve whose data bounds come with its data.

    pyqtgraph's ``boundingRect`` would scan the points with nanmin/nanmax under a warnings
    guard for both axes on every new frame; the plot already knows them (x ascends, and the
    y extremes are needed for the y range anyway).
    """

    _known: tuple[tuple[float, float], tuple[float, float]] | None = None

    def set_points(self, t_s: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
        """Show ``(t_s, y)`` (``t_s`` ascending); returns the finite y extremes, or None."""
        with np.errstate(invalid="ignore"):
            lo, hi = (float(np.fmin.reduce(y)), float(np.fmax.reduce(y))) if len(y) else (np.nan, np.nan)
        finite_bounds = np.isfinite(lo) and np.isfinite(hi)
        self._known = ((float(t_s[0]), float(t_s[-1])), (lo, hi)) if finite_bounds else None
        # "finite" paths cost about twice "all": use them only when a gap must show.
        connect = "all" if finite_bounds and np.isfinite(y).all() else "finite"
        self.setData(t_s, y, connect=connect, skipFiniteCheck=connect == "all")
        return (lo, hi) if finite_bounds else None

    def clear_points(self) -> None:
        self._known = None
        self.setData([], [])

    def dataBounds(self, ax, frac=1.0, orthoRange=None):  # noqa: N802 (pyqtgraph override)
        if self._known is not None and frac >= 1.0 and orthoRange is None and ax in (0, 1):
            return self._known[ax]
        return super().dataBounds(ax, frac, orthoRange)


class SpanShading:
    """A small pool of unfilled-edge rectangles shading x spans over the full plot height."""

    def __init__(self, plot_item: pg.PlotItem, rgba: tuple[int, int, int, int], z: float) -> None:
        self._plot_item = plot_item
        self._brush = QBrush(theme.qcolor_rgba(rgba))
        self._z = z
        self._items: list[QGraphicsRectItem] = []

    def show(self, spans_s: list[tuple[float, float]], y_lo: float, y_hi: float) -> None:
        while len(self._items) < len(spans_s):
            item = QGraphicsRectItem()
            item.setPen(QPen(Qt.PenStyle.NoPen))
            item.setBrush(self._brush)
            item.setZValue(self._z)
            self._plot_item.addItem(item, ignoreBounds=True)
            self._items.append(item)
        for item, (a, b) in zip(self._items, spans_s):
            item.setRect(QRectF(a, y_lo, max(b - a, 1e-3), y_hi - y_lo))
            item.setVisible(True)
        for item in self._items[len(spans_s):]:
            item.setVisible(False)


class LivePlot(QWidget):
    """The scrolling signal plot with its two controls (window length, raw on/off)."""

    def __init__(self, provider: Provider | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._provider = provider
        self.window_s = 30.0
        self.frames_drawn = 0
        self._y_top = MIN_Y_TOP_G
        self._y_bottom = 0.0

        self.plot_widget = pg.PlotWidget(background=theme.PANEL)
        self.plot_widget.setMinimumHeight(220)
        item = self.plot_widget.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        # No grid: grid lines belong to the axis items, so with a grid every frame would
        # repaint both axes as well (measured: about 12 ms of a 34 ms frame).
        item.setMouseEnabled(x=False, y=False)
        item.setLabel("bottom", "seconds ago")
        item.setLabel("left", "movement", units="g")
        for name in ("bottom", "left"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(theme.BORDER))
            axis.setTextPen(pg.mkPen(theme.MUTED_TEXT))
            # The inward ticks overlap the data area, so every frame repaints both axes;
            # from a pixmap cache that is a blit instead of replaying the labels' text.
            axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._view_box = item.getViewBox()
        self._view_box.disableAutoRange()

        # Bare PlotCurveItems: peak decimation happens in draw() (plot_data.peak_decimate),
        # cheaper than PlotDataItem's auto-downsampling and clip-to-view; the x range is fixed.
        self._raw = BoundedCurve(pen=pg.mkPen(theme.RAW, width=0))
        self._band = BoundedCurve(pen=pg.mkPen(theme.SIGNAL, width=0))
        self._threshold = BoundedCurve(
            pen=pg.mkPen(theme.THRESHOLD, width=0, style=Qt.PenStyle.DashLine))
        for curve in (self._raw, self._band, self._threshold):
            item.addItem(curve)
        self._raw.setVisible(False)
        self._markers = MarkerLayer(self._view_box, "t", 7, theme.TWITCH, z=10)
        # Taps come from the wall clock, which drifts from the sample clock by a few ms a
        # frame: moving them only past half a pixel (at 60 s on 900 px) keeps them still.
        self._felt = MarkerLayer(self._view_box, "t1", 9, theme.FELT, z=11, tolerance_s=0.03)
        self._episodes = SpanShading(item, theme.EPISODE_RGBA, z=-5)
        self._unmonitored = SpanShading(item, theme.UNMONITORED_RGBA, z=-6)

        self.window_combo = QComboBox()
        for s in WINDOW_CHOICES_S:
            self.window_combo.addItem(f"{s} s", s)
        self.window_combo.setCurrentIndex(WINDOW_CHOICES_S.index(30))
        self.window_combo.currentIndexChanged.connect(self._on_window_changed)
        self.raw_check = QCheckBox("Show raw")
        self.raw_check.toggled.connect(self._on_raw_toggled)

        controls = QHBoxLayout()
        controls.setContentsMargins(4, 0, 4, 0)
        controls.addWidget(QLabel("Window"))
        controls.addWidget(self.window_combo)
        controls.addSpacing(12)
        controls.addWidget(self.raw_check)
        controls.addStretch(1)
        controls.addWidget(_legend_label())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.placeholder = QLabel("")
        self.placeholder.setObjectName("muted")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        # With nothing streaming, a sentence instead of empty axes.
        self.stack = QStackedWidget()
        self.stack.addWidget(self.plot_widget)
        self.stack.addWidget(self.placeholder)
        layout.addWidget(self.stack, 1)
        layout.addLayout(controls)

        self._apply_x_range()
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_INTERVAL_MS)
        self._timer.timeout.connect(self.pull)

    # -- public -------------------------------------------------------------------------------

    def show_placeholder(self, text: str) -> None:
        """Show ``text`` instead of the plot ("" shows the plot)."""
        self.placeholder.setText(text)
        target = self.placeholder if text else self.plot_widget
        if self.stack.currentWidget() is not target:
            self.stack.setCurrentWidget(target)

    def set_provider(self, provider: Provider | None) -> None:
        self._provider = provider

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def set_window_s(self, window_s: float) -> None:
        idx = self.window_combo.findData(int(window_s))
        if idx >= 0:
            self.window_combo.setCurrentIndex(idx)

    def pull(self) -> None:
        """One frame: ask the provider for new data and redraw if there is any."""
        if self._provider is None:
            return
        view = self._provider(self.window_s, self.raw_check.isChecked())
        if view is not None:
            self.draw(view)

    def draw(self, view: ViewWindow) -> None:
        # One min/max pair per pixel column: every spike stays visible. A window that is not
        # full yet (the first minute) gets proportionally fewer columns.
        filled = len(view.t_s) / max(1.0, self.window_s * self.fs_hz(view))
        columns = max(100, int(COLUMNS_PER_PX * self._view_box.width() * min(1.0, filled)))
        i0 = view.first_index
        band = peak_decimate(view.t_s, view.band_g, columns, i0)
        # The threshold steps at most once a second: its change points draw it exactly.
        threshold = step_points(view.t_s, view.threshold_g)
        if len(threshold[0]) > 4 * self.window_s:
            threshold = peak_decimate(view.t_s, view.threshold_g, int(2 * self.window_s), i0)
        raw = peak_decimate(view.t_s, view.raw_g, columns, i0) if self._raw.isVisible() else None
        extremes = [self._band.set_points(*band), self._threshold.set_points(*threshold)]
        if raw is not None:
            extremes.append(self._raw.set_points(*raw))
        self._update_y_range([e for e in extremes if e is not None])
        self._markers.show(view.twitch_t_s, view.twitch_peak_g, view.t_end_s)
        # Felt taps sit on the floor of the plot, pointing up at what the sensor saw.
        floor_g = self._y_bottom + 0.04 * (self._y_top - self._y_bottom)
        self._felt.show(view.felt_t_s, np.full(len(view.felt_t_s), floor_g), view.t_end_s)
        lo, hi = self._y_bottom - 1.0, self._y_top + 1.0
        self._episodes.show(view.episode_spans_s, lo, hi)
        self._unmonitored.show(view.unmonitored_spans_s, lo, hi)
        self.frames_drawn += 1

    # -- internals ----------------------------------------------------------------------------

    @staticmethod
    def fs_hz(view: ViewWindow) -> float:
        return 1.0 / float(view.t_s[1] - view.t_s[0]) if len(view.t_s) > 1 else 1.0

    def _update_y_range(self, extremes: list[tuple[float, float]]) -> None:
        # Only re-range on a real change (hysteresis), so the axis is not relaid out each frame.
        if not extremes:
            return
        top = max(MIN_Y_TOP_G, max(hi for _, hi in extremes) * 1.15)
        bottom = min(0.0, min(lo for lo, _ in extremes) * 1.15)
        if top > self._y_top or top < 0.5 * self._y_top or bottom < self._y_bottom or (
            bottom > 0.5 * self._y_bottom
        ):
            self._y_top, self._y_bottom = top, bottom
            self._view_box.setYRange(bottom, top, padding=0)

    def _apply_x_range(self) -> None:
        self._view_box.setXRange(-self.window_s, 0.0, padding=0.01)

    def _on_window_changed(self, _index: int) -> None:
        self.window_s = float(self.window_combo.currentData())
        self._apply_x_range()
        self.pull()

    def _on_raw_toggled(self, on: bool) -> None:
        self._raw.setVisible(on)
        if not on:
            self._raw.clear_points()
        self._y_top = MIN_Y_TOP_G  # let the range settle again on the next frame
        self.pull()


def _legend_label() -> QLabel:
    """A one-line legend as rich text: cheaper and calmer than a floating pyqtgraph legend."""
    def swatch(colour: str, text: str) -> str:
        return f'<span style="color:{colour}">&#9632;</span>&nbsp;{text}'

    ep, um = theme.EPISODE_SWATCH, theme.UNMONITORED_SWATCH
    label = QLabel(
        "&nbsp;&nbsp;".join([
            swatch(theme.SIGNAL, "signal"),
            swatch(theme.THRESHOLD, "threshold"),
            f'<span style="color:{theme.TWITCH}">&#9660;</span>&nbsp;twitch',
            f'<span style="color:{theme.FELT}">&#9650;</span>&nbsp;felt',
            swatch(ep, "episode"),
            swatch(um, "moving (not monitored)"),
        ])
    )
    label.setObjectName("muted")
    return label
