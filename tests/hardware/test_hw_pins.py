"""The pin map (hardware/pins.toml) agrees with the firmware, the wiring drawing and the README."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from hw_common import HW

# Seeed XIAO ESP32S3 silkscreen pad -> ESP32-S3 GPIO (Seeed's pinout), written out independently
# of pins.toml so a wrong pad/GPIO pair there is caught.
XIAO_ESP32S3_PADS = {
    "D0": 1, "D1": 2, "D2": 3, "D3": 4, "D4": 5, "D5": 6, "D6": 43,
    "D7": 44, "D8": 7, "D9": 8, "D10": 9,
}
COLOURS = {  # the colour names used in pins.toml -> the stroke the SVG draws them with
    "red": "#d62728", "black": "#222222", "blue": "#1f5fd6", "yellow": "#e0b000", "green": "#2ca02c",
}


def _gpio_signals(pins: dict) -> list[dict]:
    return [s for s in pins["signal"] if s["gpio"] >= 0]


def test_every_gpio_signal_matches_the_firmware_constant(pins, fw_config):
    for sig in _gpio_signals(pins):
        name = sig["config"]
        assert name in fw_config, f"firmware/config.py has no {name} (signal {sig['name']})"
        assert fw_config[name] == sig["gpio"], (
            f"{sig['name']}: pins.toml says GPIO{sig['gpio']}, firmware/config.py {name} = {fw_config[name]}"
        )


def test_i2c_settings_match_the_firmware(pins, fw_config):
    imu = pins["imu"]
    assert fw_config["I2C_ID"] == imu["i2c_id"]
    assert fw_config["I2C_FREQ_HZ"] == imu["i2c_freq_hz"]
    assert tuple(fw_config["IMU_ADDRESSES"]) == tuple(imu["i2c_addresses"])


def test_battery_divider_matches_the_firmware_scale(pins, fw_config):
    d = pins["divider"]
    ratio = (d["r_top_ohm"] + d["r_bottom_ohm"]) / d["r_bottom_ohm"]
    assert ratio == pytest.approx(fw_config["BAT_DIVIDER"])
    # The ADC must never see more than ~3.1 V (ESP32-S3 at 11 dB attenuation), even at 4.2 V full.
    assert 4.2 / ratio < 3.1


def test_pads_are_the_xiao_pads_for_those_gpios(pins):
    for sig in _gpio_signals(pins):
        if sig["pad"]:
            assert XIAO_ESP32S3_PADS[sig["pad"]] == sig["gpio"], f"{sig['name']}: {sig['pad']} is not GPIO{sig['gpio']}"
    gpios = [s["gpio"] for s in _gpio_signals(pins)]
    assert len(gpios) == len(set(gpios)), "a GPIO is used twice"


def test_cable_carries_exactly_the_wired_signals(pins):
    wired = [s["name"] for s in pins["signal"] if s["wire_colour"]]
    assert sorted(wired) == sorted(pins["cable"]["wires"])
    assert len(wired) == 5
    assert pins["cable"]["length_max_mm"] <= 300
    colours = [s["wire_colour"] for s in pins["signal"] if s["wire_colour"]]
    assert len(set(colours)) == len(colours), "two wires share a colour"
    assert set(colours) <= set(COLOURS)


def _svg_text(root: ET.Element) -> str:
    return " ".join(t.strip() for t in root.itertext() if t.strip())


def test_svg_labels_name_exactly_the_pin_map_gpios(pins):
    root = ET.parse(HW / "wiring.svg").getroot()
    text = _svg_text(root)
    in_svg = {int(n) for n in re.findall(r"GPIO\s?(\d+)", text)}
    assert in_svg == {s["gpio"] for s in _gpio_signals(pins)}
    for sig in _gpio_signals(pins):
        if sig["pad"]:
            assert re.search(rf"\b{sig['pad']}\b", text), f"wiring.svg does not label pad {sig['pad']}"


def test_svg_wires_have_the_pin_map_colours(pins):
    root = ET.parse(HW / "wiring.svg").getroot()
    drawn: dict[str, set[str]] = {}
    for el in root.iter():
        sig = el.get("data-signal")
        if sig:
            drawn.setdefault(sig, set()).add(el.get("stroke", "").lower())
    for sig in pins["signal"]:
        if sig["wire_colour"]:
            assert sig["name"] in drawn, f"wiring.svg draws no wire for {sig['name']}"
            assert drawn[sig["name"]] == {COLOURS[sig["wire_colour"]]}, sig["name"]


def _readme_pin_rows() -> list[list[str]]:
    text = (HW / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- pin-table -->", 2)
    assert len(block) == 3, "README.md must wrap its pin table in two <!-- pin-table --> markers"
    rows = [r.strip() for r in block[1].strip().splitlines() if r.strip().startswith("|")]
    cells = [[c.strip().strip("`") for c in r.strip("|").split("|")] for r in rows]
    return [c for c in cells[2:]]  # skip header and the |---| line


def test_readme_pin_table_matches_the_pin_map(pins):
    rows = _readme_pin_rows()
    got = {r[0]: r for r in rows}
    assert set(got) == {s["name"] for s in pins["signal"]}
    for sig in pins["signal"]:
        row = got[sig["name"]]
        signal, pad, gpio, constant, colour = row[:5]
        assert pad == (sig["pad"] or "—"), sig["name"]
        assert gpio == (f"GPIO{sig['gpio']}" if sig["gpio"] >= 0 else "—"), sig["name"]
        assert constant == (sig["config"] or "—"), sig["name"]
        assert colour == (sig["wire_colour"] or "—"), sig["name"]
    readme_gpios = {int(n) for n in re.findall(r"GPIO(\d+)", (HW / "README.md").read_text(encoding="utf-8"))}
    assert readme_gpios == {s["gpio"] for s in _gpio_signals(pins)}, "README mentions a GPIO the pin map does not have"


def _pullup_window_ohm(pins: dict) -> tuple[float, float]:
    """(smallest, largest) pull-up that keeps fast-mode I2C in spec on the longest cable."""
    bus, logic_v = pins["i2c_bus"], pins["board"]["logic_v"]
    c_pf = (pins["cable"]["length_max_mm"] / 1000 * bus["cable_pf_per_m"]
            + bus["devices"] * bus["device_pin_pf"] + bus["board_trace_pf"])
    # RC rise from 30 % to 70 % of VDD takes ln(0.7/0.3) = 0.8473 RC.
    r_max = bus["rise_time_max_ns"] * 1e-9 / (0.8473 * c_pf * 1e-12)
    r_min = (logic_v - bus["v_ol_max"]) / (bus["sink_current_max_ma"] * 1e-3)
    return r_min, r_max


def test_pullup_advice_keeps_400_khz_in_spec(pins):
    r_min, r_max = _pullup_window_ohm(pins)
    adafruit_ohm = 10_000
    with_extra = 1 / (1 / adafruit_ohm + 1 / pins["i2c_bus"]["extra_pullup_ohm"])
    assert adafruit_ohm > r_max, "if 10 kOhm were fine, the extra resistors would be pointless"
    assert r_min <= with_extra <= r_max
    # Even a strong 2.2 kOhm breakout plus the extra resistors still sinks less than 3 mA.
    assert 1 / (1 / 2200 + 1 / pins["i2c_bus"]["extra_pullup_ohm"]) >= r_min


def test_readme_states_the_pullup_window(pins):
    r_min, r_max = _pullup_window_ohm(pins)
    text = (HW / "README.md").read_text(encoding="utf-8")
    m = re.search(r"pull-ups between ([\d.]+) and ([\d.]+) kOhm", text)
    assert m, "README.md must state 'pull-ups between A and B kOhm'"
    assert float(m.group(1)) == pytest.approx(r_min / 1000, abs=0.05)
    assert float(m.group(2)) == pytest.approx(r_max / 1000, abs=0.05)
