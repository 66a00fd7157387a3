"""Volumes and masses of the twitchwatch pods, computed from the OpenSCAD parameters.

Run with plain Python (no dependencies):  python hardware/enclosure/mass.py

The numbers come from the PARAMETERS block of twitchwatch_pods.scad, so the model and this
computation share one set of dimensions. Printed parts: volume x filament density (solid
print: walls this thin are all perimeter). Bought parts: stated estimates; weigh yours.
The sensor pod must stay at or under SENSOR_POD_LIMIT_G: a heavier sensor damps the twitch it
measures (a lighter mass follows the skin more faithfully).
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

SCAD = Path(__file__).with_name("twitchwatch_pods.scad")
SENSOR_POD_LIMIT_G = 5.0

DENSITY_G_CM3 = {
    "PLA": 1.24,   # typical PLA filament datasheets
    "TPU": 1.24,   # TPU 95A filaments list 1.20-1.24; the upper bound is used
    "FR4": 1.85,   # FR-4 laminate
}
_SPEC = {
    "cu_g_cm3": 8.96,          # copper
    "silicone_g_cm3": 1.15,    # silicone rubber insulation
    "awg30_cu_mm2": 0.0509,    # 30 AWG conductor cross-section
    "wire_od_mm": 0.9,         # 30 AWG silicone wire outer diameter
}


class ScadParamError(ValueError):
    """The SCAD file's PARAMETERS block is missing or malformed."""


def read_params(path: Path = SCAD) -> dict[str, float]:
    """Every `name = number;` line between the PARAMETERS markers of the SCAD file."""
    text = path.read_text(encoding="utf-8")
    m = re.search(r"---- PARAMETERS.*?\n(.*?)// ---- END PARAMETERS", text, re.S)
    if not m:
        raise ScadParamError(f"{path.name}: no '// ---- PARAMETERS' ... '// ---- END PARAMETERS' block")
    params = {}
    for line in m.group(1).splitlines():
        hit = re.match(r"\s*([A-Za-z_]\w*)\s*=\s*(-?[\d.]+)\s*;", line)
        if hit:
            params[hit.group(1)] = float(hit.group(2))
    return params


def rbox_mm3(w: float, l: float, h: float, r: float) -> float:
    """Volume of a box with rounded vertical edges (corner radius r)."""
    return (w * l - (4 - math.pi) * r * r) * h


def _cyl_mm3(d: float, h: float) -> float:
    return math.pi * d * d / 4 * h


def derived(p: dict[str, float]) -> dict[str, float]:
    """The derived dimensions, with the same formulas as the SCAD file."""
    d = {}
    d["s_in_w"] = p["s_pcb_w"] + 2 * p["s_gap"]
    d["s_in_l"] = p["s_pcb_l"] + 2 * p["s_gap"]
    d["s_in_h"] = p["s_tape_t"] + p["s_pcb_t"] + p["s_comp_h"] + p["s_gap_z"]
    d["s_out_w"] = d["s_in_w"] + 2 * p["s_wall"]
    d["s_out_l"] = d["s_in_l"] + 2 * p["s_wall"]
    d["s_tray_h"] = p["s_floor"] + d["s_in_h"]
    d["w_in_w"] = max(p["w_batt_w"], p["w_xiao_w"]) + 2 * p["w_gap"]
    d["w_in_l"] = max(p["w_batt_l"], p["w_xiao_l"]) + 2 * p["w_gap"]
    d["w_in_h"] = p["w_batt_t"] + p["w_stack_gap"] + p["w_xiao_h"]
    d["w_out_w"] = d["w_in_w"] + 2 * p["w_wall"]
    d["w_out_l"] = d["w_in_l"] + 2 * p["w_wall"]
    d["w_tray_h"] = p["w_floor"] + d["w_in_h"]
    return d


def check_geometry(p: dict[str, float]) -> list[str]:
    """Conditions under which the volume formulas below are exact (openings lie wholly in flat
    wall, lugs meet the flat end wall). Returns what is violated; empty means fine."""
    d = derived(p)
    bad = []
    if p["s_slot_w"] > d["s_out_w"] - 2 * p["s_r"]:
        bad.append("sensor cable slot reaches the rounded corners")
    xiao_z = p["w_floor"] + p["w_batt_t"] + p["w_stack_gap"]
    if xiao_z + p["w_usb_z"] + p["w_usb_h"] / 2 > d["w_tray_h"]:
        bad.append("USB-C opening sticks out above the wrist tray")
    if p["w_usb_w"] > d["w_out_w"] - 2 * p["w_r"]:
        bad.append("USB-C opening reaches the rounded corners")
    if abs(p["w_sw_y"]) + p["w_sw_w"] / 2 > d["w_out_l"] / 2 - p["w_r"]:
        bad.append("switch opening reaches the rounded corners")
    if p["w_lug_w"] > d["w_out_w"] - 2 * p["w_r"]:
        bad.append("strap lugs are wider than the flat end wall")
    if p["w_lug_slot_w"] >= p["w_lug_w"] or p["w_lug_slot_l"] >= p["w_lug_l"]:
        bad.append("strap slot does not fit in its lug")
    if p["s_r"] <= p["s_wall"] or p["w_r"] <= p["w_wall"]:
        bad.append("corner radius must exceed the wall")
    if p["w_led_d"] / 2 >= d["w_in_w"] / 2 - p["w_lip_gap"] - p["w_lip_t"] or p["w_led_y"] < p["w_led_d"] / 2:
        bad.append("LED window hits a locating bar or the end wall")
    return bad


def part_volumes_mm3(p: dict[str, float]) -> dict[str, float]:
    """Solid volume of each printed part (mm^3)."""
    d = derived(p)
    sensor_tray = (rbox_mm3(d["s_out_w"], d["s_out_l"], d["s_tray_h"], p["s_r"])
                   - rbox_mm3(d["s_in_w"], d["s_in_l"], d["s_in_h"], p["s_r"] - p["s_wall"])
                   - p["s_slot_w"] * p["s_slot_h"] * p["s_wall"])
    sensor_lid = rbox_mm3(d["s_out_w"], d["s_out_l"], p["s_lid_t"], p["s_r"])
    lug = (p["w_lug_w"] * p["w_lug_l"] - p["w_lug_slot_w"] * p["w_lug_slot_l"]) * p["w_lug_h"]
    wrist_tray = (rbox_mm3(d["w_out_w"], d["w_out_l"], d["w_tray_h"], p["w_r"])
                  - rbox_mm3(d["w_in_w"], d["w_in_l"], d["w_in_h"], p["w_r"] - p["w_wall"])
                  - p["w_usb_w"] * p["w_usb_h"] * p["w_wall"]
                  - p["w_sw_w"] * p["w_sw_h"] * p["w_wall"]
                  - _cyl_mm3(p["w_cable_d"], p["w_wall"])
                  + 2 * lug)
    bar_l = d["w_in_l"] - 2 * p["w_lip_gap"] - 2 * (p["w_r"] - p["w_wall"])
    wrist_lid = (rbox_mm3(d["w_out_w"], d["w_out_l"], p["w_lid_t"], p["w_r"])
                 - _cyl_mm3(p["w_led_d"], p["w_lid_t"])
                 + 2 * p["w_lip_t"] * bar_l * p["w_lip_h"])
    return {"sensor_tray": sensor_tray, "sensor_lid": sensor_lid, "wrist_tray": wrist_tray, "wrist_lid": wrist_lid}


def _wire_g_per_mm() -> float:
    s = _SPEC
    cu = s["awg30_cu_mm2"] * s["cu_g_cm3"] / 1000
    insulation = (math.pi * s["wire_od_mm"] ** 2 / 4 - s["awg30_cu_mm2"]) * s["silicone_g_cm3"] / 1000
    return cu + insulation


def pod_masses_g(p: dict[str, float]) -> dict[str, dict[str, float]]:
    """Mass of everything in each pod, by item (grams)."""
    v = part_volumes_mm3(p)
    imu_pcb_g = p["s_pcb_w"] * p["s_pcb_l"] * p["s_pcb_t"] / 1000 * DENSITY_G_CM3["FR4"]
    sensor = {
        "tray (TPU)": v["sensor_tray"] / 1000 * DENSITY_G_CM3["TPU"],
        "lid (TPU)": v["sensor_lid"] / 1000 * DENSITY_G_CM3["TPU"],
        "IMU board laminate (FR-4)": imu_pcb_g,
        "IMU board parts and connectors (estimate)": 0.4,
        "solder joints and wire ends (estimate)": 0.15,
        "thin double-sided tape": p["s_pcb_w"] * p["s_pcb_l"] * p["s_tape_t"] / 1000 * 1.0,
        "cable, first 30 mm up to its skin anchor": 5 * 30 * _wire_g_per_mm(),
    }
    wrist = {
        "tray (PLA)": v["wrist_tray"] / 1000 * DENSITY_G_CM3["PLA"],
        "lid (PLA)": v["wrist_lid"] / 1000 * DENSITY_G_CM3["PLA"],
        "LiPo 603450 1200 mAh (typical listing)": 22.0,
        "XIAO ESP32S3 (estimate)": 3.0,
        "switch, divider, tape, heat-shrink (estimate)": 1.0,
        "cable, rest of 300 mm": 5 * 270 * _wire_g_per_mm(),
    }
    return {"sensor pod": sensor, "wrist pod": wrist}


def main() -> int:
    try:
        p = read_params()
    except ScadParamError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    bad = check_geometry(p)
    if bad:
        print("error: " + "; ".join(bad) + " (fix the parameters in twitchwatch_pods.scad)", file=sys.stderr)
        return 1
    d = derived(p)
    print(f"sensor pod outside: {d['s_out_w']:.1f} x {d['s_out_l']:.1f} x {d['s_tray_h'] + p['s_lid_t']:.1f} mm")
    print(f"wrist pod outside:  {d['w_out_w']:.1f} x {d['w_out_l']:.1f} x {d['w_tray_h'] + p['w_lid_t']:.1f} mm"
          f" (+{p['w_lug_l']:.0f} mm strap lug at each end)")
    for name, vol in part_volumes_mm3(p).items():
        print(f"  {name:<12} {vol:8.0f} mm^3")
    for pod, items in pod_masses_g(p).items():
        print(f"{pod}:")
        for item, g in items.items():
            print(f"  {item:<46} {g:6.2f} g")
        print(f"  {'total':<46} {sum(items.values()):6.2f} g")
    sensor_g = sum(pod_masses_g(p)["sensor pod"].values())
    ok = sensor_g <= SENSOR_POD_LIMIT_G
    print(f"Sensor pod {sensor_g:.2f} g: {'within' if ok else 'OVER'} the {SENSOR_POD_LIMIT_G:.0f} g limit.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
