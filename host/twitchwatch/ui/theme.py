"""Colours and the stylesheet: a calm, light, clinical look meant to sit beside work all day.

Muted colours on an off-white ground; one accent (slate blue) for the signal; warm amber for
episodes and a soft terracotta for twitch markers, never alarm red. Kept in one place so the
plot, the counters and the tables agree.
"""

from __future__ import annotations

BACKGROUND = "#f7f7f5"
PANEL = "#ffffff"
TEXT = "#2f3437"
MUTED_TEXT = "#6b7278"
GRID = "#e3e4e1"
BORDER = "#d9dad6"

SIGNAL = "#3b5b8c"        # band-passed signal
RAW = "#a9b0b8"           # raw trace, when shown
THRESHOLD = "#c08a3e"     # detector threshold (dashed)
TWITCH = "#b4583f"        # twitch markers
FELT = "#4f7f5a"          # "I felt a twitch" taps (calm green)
# Shading is opaque, pre-blended onto the white plot: translucent fills over the whole plot
# height cost a full-area alpha blend every frame.
EPISODE_RGBA = (248, 236, 214, 255)      # shaded episodes (warm sand)
UNMONITORED_RGBA = (236, 237, 239, 255)  # shaded "moving, not monitored" time (light grey)
EPISODE_SWATCH = "#e2c28e"               # the same two, a little stronger, for the legend text
UNMONITORED_SWATCH = "#c3c6cb"

BANNER_BG = "#fbf3dc"
BANNER_BORDER = "#e8d9a8"
OK = "#4f7f5a"
WARN = "#a66f2a"

STYLESHEET = f"""
QMainWindow, QWidget#central {{ background: {BACKGROUND}; }}
QWidget {{ color: {TEXT}; font-size: 10pt; }}
QLabel#banner {{
    background: {BANNER_BG}; border: 1px solid {BANNER_BORDER}; border-radius: 4px;
    padding: 6px 10px; color: #6a5320;
}}
QFrame#card {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 6px; }}
QLabel#counterValue {{ font-size: 18pt; font-weight: 600; color: {TEXT}; }}
QLabel#counterCaption {{ font-size: 9pt; color: {MUTED_TEXT}; }}
QLabel#muted {{ color: {MUTED_TEXT}; }}
QLabel#sectionTitle {{ font-weight: 600; color: {TEXT}; padding-top: 4px; }}
QPushButton {{
    background: {PANEL}; border: 1px solid {BORDER}; border-radius: 4px; padding: 5px 12px;
}}
QPushButton:hover {{ background: #eef1f5; }}
QPushButton:disabled {{ color: #a4a8ad; }}
QPushButton#feltButton {{
    background: #e9eff7; border: 1px solid #b9c8dc; font-size: 12pt; font-weight: 600;
    padding: 10px 12px; color: #2e4a73;
}}
QPushButton#feltButton:hover {{ background: #dde7f3; }}
QTabWidget::pane {{ border: 1px solid {BORDER}; background: {PANEL}; border-radius: 4px; }}
QTabBar::tab {{ padding: 6px 14px; background: {BACKGROUND}; border: 1px solid {BORDER};
    border-bottom: none; margin-right: 2px; }}
QTabBar::tab:selected {{ background: {PANEL}; }}
QTableWidget {{ background: {PANEL}; gridline-color: {GRID}; border: 1px solid {BORDER};
    selection-background-color: #dde7f3; selection-color: {TEXT}; }}
QHeaderView::section {{ background: {BACKGROUND}; border: none; border-bottom: 1px solid {BORDER};
    padding: 4px; color: {MUTED_TEXT}; }}
QStatusBar {{ background: {PANEL}; border-top: 1px solid {BORDER}; color: {MUTED_TEXT}; }}
QProgressBar {{ border: 1px solid {BORDER}; border-radius: 3px; background: {BACKGROUND};
    text-align: center; height: 14px; }}
QProgressBar::chunk {{ background: #9fb4d1; }}
"""


def qcolor_rgba(rgba: tuple[int, int, int, int]):
    """A QColor from an RGBA tuple (imported lazily so this module stays Qt-free to import)."""
    from PySide6.QtGui import QColor

    return QColor(*rgba)
