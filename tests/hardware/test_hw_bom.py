"""hardware/bom.csv parses, totals add up, and README.md states the same totals."""

from __future__ import annotations

import re

import pytest

from hw_common import HW, load_script


bom = load_script(HW / "bom.py", "tw_bom")


def test_bom_parses_with_all_fields():
    lines = bom.read_bom()
    assert len(lines) >= 10
    parts = " ".join(l.part for l in lines)
    for needed in ("XIAO ESP32S3", "LSM6DSO", "LiPo", "100 kOhm", "switch", "tape", "strap"):
        assert needed in parts, f"BOM lacks {needed}"
    assert all(l.unit_price_usd > 0 for l in lines)


def test_totals_are_the_sum_of_lines():
    lines = bom.read_bom()
    required, everything = bom.totals_usd(lines)
    assert required == pytest.approx(sum(l.quantity * l.unit_price_usd for l in lines if not l.optional))
    assert everything >= required
    assert everything > required or not any(l.optional for l in lines)


def test_readme_states_the_computed_totals():
    required, everything = bom.totals_usd(bom.read_bom())
    text = (HW / "README.md").read_text(encoding="utf-8")
    m_req = re.search(r"required parts[^0-9]*([\d.]+) USD", text)
    m_all = re.search(r"with optional parts[^0-9]*([\d.]+) USD", text)
    assert m_req and m_all, "README.md must state 'required parts ... N USD' and 'with optional parts ... N USD'"
    assert float(m_req.group(1)) == pytest.approx(required, abs=0.005)
    assert float(m_all.group(1)) == pytest.approx(everything, abs=0.005)


def test_divider_resistors_in_bom_match_pin_map(pins):
    lines = bom.read_bom()
    r100k = [l for l in lines if l.part.startswith("Resistor 100 kOhm")]
    assert sum(l.quantity for l in r100k) == 2
    assert pins["divider"]["r_top_ohm"] == pins["divider"]["r_bottom_ohm"] == 100_000


@pytest.mark.parametrize(
    "csv_text, what",
    [
        ("part,manufacturer\nx,y\n", "header"),
        ("part,manufacturer,mpn,quantity,unit_price_usd,optional,note\na,b,c,two,1.0,no,n\n", "integer"),
        ("part,manufacturer,mpn,quantity,unit_price_usd,optional,note\na,b,c,1,1.0,maybe,n\n", "yes or no"),
        ("part,manufacturer,mpn,quantity,unit_price_usd,optional,note\na,b,c,1,1.0,no\n", "number of fields"),
    ],
)
def test_malformed_bom_gives_a_one_line_error(tmp_path, csv_text, what):
    p = tmp_path / "bom.csv"
    p.write_text(csv_text, encoding="utf-8")
    with pytest.raises(bom.BomError, match=what) as e:
        bom.read_bom(p)
    assert "\n" not in str(e.value)
