"""Read hardware/bom.csv and print the parts list with totals.

Run with plain Python (no dependencies):  python hardware/bom.py
The totals it prints are the ones hardware/README.md states; a test checks they agree.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

BOM_CSV = Path(__file__).with_name("bom.csv")
COLUMNS = ("part", "manufacturer", "mpn", "quantity", "unit_price_usd", "optional", "note")


class BomError(ValueError):
    """bom.csv is malformed; the message names the row and what to fix."""


@dataclass(frozen=True)
class Line:
    part: str
    manufacturer: str
    mpn: str
    quantity: int
    unit_price_usd: float
    optional: bool
    note: str

    @property
    def cost_usd(self) -> float:
        return self.quantity * self.unit_price_usd


def read_bom(path: Path = BOM_CSV) -> list[Line]:
    """Parse the BOM; raise BomError naming the row for anything that is not a valid line."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise BomError(f"{path.name}: header must be {','.join(COLUMNS)}, got {reader.fieldnames}")
        lines = []
        for row_no, row in enumerate(reader, start=2):
            if None in row or any(row[c] is None for c in COLUMNS):
                raise BomError(f"{path.name} row {row_no}: wrong number of fields (quote fields with commas)")
            try:
                qty = int(row["quantity"])
                price = float(row["unit_price_usd"])
            except ValueError:
                raise BomError(f"{path.name} row {row_no}: quantity must be an integer and unit_price_usd a number") from None
            if qty <= 0 or price < 0:
                raise BomError(f"{path.name} row {row_no}: quantity must be > 0 and price >= 0")
            if row["optional"] not in ("yes", "no"):
                raise BomError(f"{path.name} row {row_no}: optional must be yes or no")
            if not row["part"].strip() or not row["mpn"].strip():
                raise BomError(f"{path.name} row {row_no}: part and mpn must not be empty")
            lines.append(Line(row["part"], row["manufacturer"], row["mpn"], qty, price, row["optional"] == "yes", row["note"]))
    return lines


def totals_usd(lines: list[Line]) -> tuple[float, float]:
    """(total of the required parts, total including the optional ones), rounded to cents."""
    required = round(sum(l.cost_usd for l in lines if not l.optional), 2)
    everything = round(sum(l.cost_usd for l in lines), 2)
    return required, everything


def main() -> int:
    try:
        lines = read_bom()
    except BomError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for l in lines:
        flag = " (optional)" if l.optional else ""
        print(f"{l.quantity:>3} x {l.part[:58]:<58} {l.mpn[:22]:<22} {l.cost_usd:7.2f} USD{flag}")
    required, everything = totals_usd(lines)
    print(f"Total (required parts): {required:.2f} USD")
    print(f"Total (with optional parts): {everything:.2f} USD")
    return 0


if __name__ == "__main__":
    sys.exit(main())
