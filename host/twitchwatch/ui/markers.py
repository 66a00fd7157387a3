"""Event markers on the live plot (twitches, felt taps) drawn by Qt alone.

pyqtgraph's ScatterPlotItem rebuilds its point records on every ``setData`` and paints them
from Python; as the plot scrolls every frame, that cost about 0.6 ms a frame for a couple of
dozen markers. Here each marker is a pixmap item (the same antialiased symbol pyqtgraph
would draw) that ignores the view's scaling, placed at its *absolute* time under one parent;
scrolling moves only the parent, and the items change only when the events do.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.ScatterPlotItem import renderSymbol
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem, QGraphicsRectItem


class MarkerLayer:
    """A pool of symbol pixmaps at data positions, scrolled as one."""

    def __init__(self, view_box: pg.ViewBox, symbol: str, size: float, colour: str, z: float,
                 tolerance_s: float = 1e-6) -> None:
        image = renderSymbol(symbol, size, pg.mkPen(colour), pg.mkBrush(colour))
        self._pixmap = QPixmap.fromImage(image)
        self._offset = (-image.width() / 2.0, -image.height() / 2.0)
        # A bare parent (no contents, empty bounds): Qt draws its children wherever they are.
        self._group = QGraphicsRectItem()
        self._group.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self._group.setZValue(z)
        view_box.addItem(self._group, ignoreBounds=True)
        self._items: list[QGraphicsPixmapItem] = []
        self._x_abs = np.zeros(0)
        self._y = np.zeros(0)
        self._tolerance_s = tolerance_s     # how far a marker may lag before it is moved

    def show(self, t_rel_s: np.ndarray, y: np.ndarray, t_end_s: float) -> None:
        """Markers at ``t_rel_s`` (seconds before the newest sample at ``t_end_s``) and ``y``."""
        x_abs = np.asarray(t_rel_s, dtype=float) + t_end_s
        y = np.asarray(y, dtype=float)
        same = (len(x_abs) == len(self._x_abs) and np.array_equal(y, self._y)
                and (not len(x_abs) or np.abs(x_abs - self._x_abs).max() <= self._tolerance_s))
        if not same:
            self._place(x_abs, y)
        self._group.setPos(-t_end_s, 0.0)

    def positions(self) -> tuple[np.ndarray, np.ndarray]:
        """Where the visible markers are now, in plot coordinates (seconds ago, g)."""
        return self._x_abs + self._group.pos().x(), self._y.copy()

    def _place(self, x_abs: np.ndarray, y: np.ndarray) -> None:
        while len(self._items) < len(x_abs):
            item = QGraphicsPixmapItem(self._pixmap)
            item.setOffset(*self._offset)
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
            item.setParentItem(self._group)
            self._items.append(item)
        for item, x, v in zip(self._items, x_abs, y):
            item.setPos(float(x), float(v))
            item.setVisible(True)
        for item in self._items[len(x_abs):]:
            item.setVisible(False)
        self._x_abs, self._y = x_abs, y
