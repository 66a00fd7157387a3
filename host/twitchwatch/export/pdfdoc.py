"""A small fpdf2 document with the report's house style: DejaVu fonts (full Unicode, the same
face as the charts), calm colours, headings, key-figure boxes, zebra tables and a footer."""

from __future__ import annotations

import os
from typing import cast

from fpdf import FPDF
from fpdf.enums import XPos, YPos

INK = (31, 42, 54)
MUTED = (107, 119, 133)
RULE = (217, 222, 228)
PANEL = (238, 242, 246)
BLUE = (47, 102, 144)
ZEBRA = (246, 248, 250)

MARGIN_MM = 15.0
PAGE_W_MM = 210.0
PAGE_H_MM = 297.0
CONTENT_W_MM = PAGE_W_MM - 2 * MARGIN_MM
BOTTOM_MM = PAGE_H_MM - 16.0   # content stops here; the footer lives below


def _font_dir() -> str:
    import matplotlib

    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf")


class ReportPdf(FPDF):
    """A4 portrait, 15 mm margins, manual page breaks (the layout decides what fits)."""

    def __init__(self, footer_left: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_left = footer_left
        self.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        self.set_auto_page_break(False)
        d = _font_dir()
        self.add_font("DejaVu", "", os.path.join(d, "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", os.path.join(d, "DejaVuSans-Bold.ttf"))
        self.add_font("DejaVu", "I", os.path.join(d, "DejaVuSans-Oblique.ttf"))
        self.set_text_color(*INK)
        self.set_draw_color(*RULE)

    def footer(self) -> None:
        self.set_y(-12)
        self.font("", 6.8)
        self.set_text_color(*MUTED)
        self.cell(CONTENT_W_MM * 0.8, 5, self.footer_left)
        self.cell(CONTENT_W_MM * 0.2, 5, f"page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(*INK)

    # -- building blocks -------------------------------------------------------------------

    def font(self, style: str, size_pt: float) -> None:
        """Set the DejaVu face; sizes may be fractional (fpdf2 accepts floats, its stubs say int)."""
        self.set_font("DejaVu", style, size_pt)  # pyright: ignore[reportArgumentType]

    def room(self) -> float:
        """Millimetres left above the footer on this page."""
        return BOTTOM_MM - self.get_y()

    def heading(self, text: str, *, gap_mm: float = 3.0) -> None:
        self.set_y(self.get_y() + gap_mm)
        self.font("B", 10.5)
        self.set_text_color(*BLUE)
        self.cell(CONTENT_W_MM, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        y = self.get_y()
        self.set_draw_color(*RULE)
        self.line(MARGIN_MM, y, MARGIN_MM + CONTENT_W_MM, y)
        self.set_y(y + 1.6)
        self.set_text_color(*INK)

    def para(self, text: str, size: float = 8.2, *, style: str = "", color=INK, h: float = 4.0) -> None:
        self.font(style, size)
        self.set_text_color(*color)
        self.multi_cell(CONTENT_W_MM, h, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        self.set_text_color(*INK)

    def panel(self, text: str, size: float = 8.2) -> None:
        """Text on a light panel with a blue left rule (the plain-language statement)."""
        self.font("", size)
        x, y = self.get_x(), self.get_y()
        lines = self.multi_cell(CONTENT_W_MM - 8, 4.2, text, dry_run=True, output="LINES", align="L")
        h = 4.2 * len(cast(list, lines)) + 5
        self.set_fill_color(*PANEL)
        self.rect(x, y, CONTENT_W_MM, h, style="F")
        self.set_fill_color(*BLUE)
        self.rect(x, y, 1.2, h, style="F")
        self.set_xy(x + 5, y + 2.5)
        self.multi_cell(CONTENT_W_MM - 8, 4.2, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        self.set_y(y + h)

    def key_figures(self, items: list[tuple[str, str]]) -> None:
        """A row of boxes, each a big figure over a short caption."""
        gap = 3.0
        w = (CONTENT_W_MM - gap * (len(items) - 1)) / len(items)
        y = self.get_y()
        for i, (big, caption) in enumerate(items):
            x = MARGIN_MM + i * (w + gap)
            self.set_draw_color(*RULE)
            self.set_line_width(0.3)
            self.rect(x, y, w, 19)
            self.set_xy(x + 3, y + 2.4)
            self.font("B", 13.5)
            self.set_text_color(*BLUE)
            self.cell(w - 6, 7, big)
            self.set_xy(x + 3, y + 10)
            self.font("", 6.8)
            self.set_text_color(*MUTED)
            self.multi_cell(w - 6, 3.2, caption, align="L")
        self.set_text_color(*INK)
        self.set_xy(MARGIN_MM, y + 19)

    def image_png(self, image, w_mm: float, h_mm: float) -> None:
        """Place a chart (a PIL image) across the content width at the cursor."""
        self.image(image, x=MARGIN_MM, y=self.get_y(), w=w_mm, h=h_mm)
        self.set_y(self.get_y() + h_mm)

    def zebra_table(self, header: list[str], rows: list[list[str]], widths: list[float], *,
              size: float = 7.2, row_h: float = 4.2, align: str = "", bold_last: bool = False) -> None:
        """A zebra-striped table; ``align`` gives one letter per column (L, R, C)."""
        align = align or "L" + "R" * (len(header) - 1)
        self.font("B", size)
        self.set_text_color(*MUTED)
        for h, w, a in zip(header, widths, align):
            self.cell(w, row_h + 0.6, h, align=a)
        self.ln(row_h + 0.6)
        y = self.get_y()
        self.set_draw_color(*RULE)
        self.line(MARGIN_MM, y, MARGIN_MM + sum(widths), y)
        self.set_text_color(*INK)
        for r, row in enumerate(rows):
            last = bold_last and r == len(rows) - 1
            self.font("B" if last else "", size)
            fill = r % 2 == 1 and not last
            if fill:
                self.set_fill_color(*ZEBRA)
            if last:
                self.line(MARGIN_MM, self.get_y(), MARGIN_MM + sum(widths), self.get_y())
            for text, w, a in zip(row, widths, align):
                self.cell(w, row_h, _fit(self, text, w - 1.0), align=a, fill=fill)
            self.ln(row_h)


def _fit(pdf: FPDF, text: str, width_mm: float) -> str:
    """Shorten ``text`` with an ellipsis so it fits the cell (tables never wrap)."""
    if pdf.get_string_width(text) <= width_mm:
        return text
    while text and pdf.get_string_width(text + "\u2026") > width_mm:
        text = text[:-1]
    return text.rstrip() + "\u2026"
