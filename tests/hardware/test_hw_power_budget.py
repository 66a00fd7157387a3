"""hardware/power_budget.py: runs with plain Python, its inputs match the firmware, it meets 10 h."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from hw_common import HW, load_script


pb = load_script(HW / "power_budget.py", "tw_power_budget")


def _run_script() -> subprocess.CompletedProcess:
    # Plain python: a fresh interpreter with no site-packages of the venv (-I isolates it).
    python = shutil.which("python3") or sys.executable
    return subprocess.run([python, "-I", str(HW / "power_budget.py")], capture_output=True, text=True, timeout=60)


def test_script_runs_standalone_and_prints_inputs_with_sources():
    proc = _run_script()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for name in list(pb.COMMON) + list(pb.POINTS["conservative"]):
        line = next((l for l in out.splitlines() if l.strip().startswith(name + " ")), None)
        assert line is not None, f"input {name} is not printed"
        assert re.search(r"\[(datasheet|vendor|spec|protocol|assumption)\] \S", line), line
    assert "Result: meets" in out


def test_printed_life_is_the_computed_life():
    out = _run_script().stdout
    for point in pb.POINTS:
        m = re.search(rf"battery life \({point}\): ([\d.]+) h", out)
        assert m, f"no battery life printed for {point}"
        printed = float(m.group(1))
        computed = pb.battery_life_h(sum(pb.average_current_mA(point).values()))
        assert printed == pytest.approx(computed, abs=0.05)


def test_conservative_point_meets_a_workday_with_margin():
    total = sum(pb.average_current_mA("conservative").values())
    assert total > 20, "ESP32-S3 BLE streaming at 7.5 ms draws tens of mA; a lower figure is not credible"
    assert pb.battery_life_h(total) >= pb.TARGET_H * pb.MARGIN
    assert pb.TARGET_H >= 10 and pb.MARGIN >= 1.0


def test_design_point_draws_less_than_conservative():
    cons = sum(pb.average_current_mA("conservative").values())
    design = sum(pb.average_current_mA("design").values())
    assert 0 < design < cons


def test_inputs_match_the_firmware_and_the_protocol(fw_config):
    c = pb.COMMON
    assert c["odr_hz"].value == fw_config["DEFAULT_RATE_HZ"]
    assert c["mtu_bytes"].value == fw_config["MTU_REQUEST"]
    lo, hi = fw_config["CONN_INTERVAL_MIN_MS"], fw_config["CONN_INTERVAL_MAX_MS"]
    intervals = [p["interval_ms"].value for p in pb.POINTS.values()]
    assert all(lo <= i <= hi for i in intervals)
    assert min(intervals) == lo, "the conservative point must use the fastest interval the firmware asks for"
    assert pb.samples_per_packet(247) == 19 and pb.samples_per_packet(23) == 1   # PROTOCOL.md


def test_battery_in_the_budget_is_the_one_in_the_bom():
    import csv
    with open(HW / "bom.csv", newline="", encoding="utf-8") as f:
        cells = [r for r in csv.DictReader(f) if r["part"].startswith("LiPo")]
    assert len(cells) == 1
    m = re.search(r"(\d+) mAh", cells[0]["part"])
    assert m, "the LiPo line must state its capacity in mAh"
    mah = float(m.group(1))
    assert mah == pb.COMMON["battery_mAh"].value


def test_airtime_model_is_physical():
    # One 19-sample notification at 1M PHY with 251-byte packets: 243 payload bytes + 10 overhead
    # at 8 us/byte, plus two inter-frame spaces and the peer's empty packet.
    assert pb.packet_airtime_us(19, 251) == pytest.approx((243 + 10) * 8 + 2 * 150 + 80)
    # Without data-length extension the same notification needs 9 fragments and takes longer.
    assert pb.packet_airtime_us(19, 27) > 2.5 * pb.packet_airtime_us(19, 251)


def test_faster_interval_costs_more_current(monkeypatch):
    base = sum(pb.average_current_mA("conservative").values())
    slower = dict(pb.POINTS["conservative"])
    slower["interval_ms"] = pb.Input(15, "ms", "test", "assumption")
    monkeypatch.setitem(pb.POINTS, "conservative", slower)
    assert sum(pb.average_current_mA("conservative").values()) < base


def test_readme_states_the_computed_battery_life():
    text = (HW / "README.md").read_text(encoding="utf-8")
    life = pb.battery_life_h(sum(pb.average_current_mA("conservative").values()))
    m = re.search(r"battery life \(conservative\): \*\*([\d.]+) h", text)
    assert m, "README.md must state 'battery life (conservative): **N h**'"
    assert float(m.group(1)) == pytest.approx(life, abs=0.05)
    # The smaller-cell comparison it quotes scales with capacity.
    m = re.search(r"A (\d+) mAh cell would give ([\d.]+) h", text)
    assert m
    smaller = life * float(m.group(1)) / pb.COMMON["battery_mAh"].value
    assert float(m.group(2)) == pytest.approx(smaller, abs=0.05)
    assert smaller < pb.TARGET_H * pb.MARGIN, "the README's reason for the bigger cell must hold"


def test_wiring_drawing_shows_the_budgeted_cell():
    svg = (HW / "wiring.svg").read_text(encoding="utf-8")
    assert f"{pb.COMMON['battery_mAh'].value:.0f} mAh" in svg


def test_divider_drain_uses_the_pin_map_resistors(pins):
    d = pins["divider"]
    assert pb.COMMON["divider_mA"].value == pytest.approx(4.2 / (d["r_top_ohm"] + d["r_bottom_ohm"]) * 1e3)
