"""Power budget for the twitchwatch sensor: average current and battery life on one LiPo.

Run with plain Python (no dependencies):  python hardware/power_budget.py

It prints every input with its source and kind, then the average current and the battery life for
two operating points:

* **conservative** (sizes the battery): what MicroPython on the XIAO ESP32S3 does today. ESP-IDF
  keeps a BLE connection through light sleep only with a 32.768 kHz crystal (the XIAO has none) or
  with the main crystal kept running, and the MicroPython build enables neither, so between FIFO
  reads the chip stays in modem sleep with the CPU clock running; the BLE controller never sleeps; the connection interval is the fastest the firmware asks for (7.5 ms)
  and the central does not grant data-length extension (27-byte link-layer packets).
* **design** (what the brief aims for): light sleep between FIFO reads, BLE modem sleep, 15 ms
  interval, data-length extension on. Reaching it needs firmware and board work (a 32 kHz
  crystal or a build with the RC slow clock for BLE sleep); it is shown to say what is possible,
  not promised.

Every current is an estimate from datasheets, vendor pages or stated assumptions, not a
measurement of this build. README.md ("How long it lasts") says how to measure the real figure.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

TARGET_H = 10.0          # a full workday
MARGIN = 1.2             # the conservative point must reach TARGET_H * MARGIN


@dataclass(frozen=True)
class Input:
    value: float
    unit: str
    source: str
    kind: str            # datasheet | vendor | spec | protocol | assumption


# --- inputs shared by both operating points --------------------------------------------------
COMMON = {
    "battery_mAh": Input(1200, "mAh", "bom.csv: LiPo 603450 with protection circuit", "spec"),
    "usable_fraction": Input(0.85, "", "LiPo discharge curve: about 15 % of the charge lies below ~3.5 V, "
                             "where the XIAO's 3.3 V regulator drops out", "assumption"),
    "ageing_fraction": Input(0.80, "", "LiPo cells keep ~80 % of rated capacity after ~300 cycles "
                             "(typical cell datasheets)", "assumption"),
    "odr_hz": Input(208, "Hz", "firmware/config.py DEFAULT_RATE_HZ", "protocol"),
    "mtu_bytes": Input(247, "B", "firmware/config.py MTU_REQUEST", "protocol"),
    "imu_mA": Input(0.55, "mA", "ST LSM6DSO datasheet DS12140: 0.55 mA accel+gyro high-performance mode", "datasheet"),
    "rf_tx_mA": Input(120, "mA", "Espressif ESP32 datasheet: BT TX at 0 dBm 120 mA (upper bound for the S3)", "datasheet"),
    "rf_rx_mA": Input(90, "mA", "Espressif ESP32 datasheet: BT RX/listening 80-90 mA (upper bound)", "datasheet"),
    "cpu_active_mA": Input(40, "mA", "CPU running MicroPython at 160 MHz, radio off: Seeed's ~25 mA "
                           "modem-sleep figure + 15 mA for a busy core", "assumption"),
    "cpu_busy_ms_per_packet": Input(4, "ms", "I2C read of 19 x 12 B at 400 kHz (~5 ms on the wire, mostly "
                                    "waiting in the driver) + packing; MicroPython", "assumption"),
    "event_overhead_us": Input(500, "us", "radio wake-up, PLL settle and guard time per connection event", "assumption"),
    "cpu_awake_per_event_us": Input(1000, "us", "CPU awake around each connection event (wake-up from "
                                    "light sleep, controller ISR)", "assumption"),
    "divider_mA": Input(4.2 / 200e3 * 1e3, "mA", "pins.toml divider: 2 x 100 kOhm across BAT+ at 4.2 V", "spec"),
    "regulator_iq_mA": Input(0.1, "mA", "quiescent current of the XIAO's 3.3 V LDO and charger", "assumption"),
    "charge_mA": Input(100, "mA", "XIAO ESP32S3 charger (SGM40567) charge current, ~100 mA (Seeed forum)", "vendor"),
}

POINTS = {
    "conservative": {
        "interval_ms": Input(7.5, "ms", "firmware/config.py CONN_INTERVAL_MIN_MS (fastest asked for)", "protocol"),
        "cpu_idle_mA": Input(25, "mA", "Seeed XIAO ESP32S3 wiki: modem-sleep ~25 mA (CPU on, radio off)", "vendor"),
        "bt_controller_awake_mA": Input(10, "mA", "BLE controller and baseband clock kept on between events "
                                        "(no BT modem sleep in MicroPython builds)", "assumption"),
        "ll_payload_bytes": Input(27, "B", "no data-length extension granted by the central (BLE 4.0 default)", "protocol"),
    },
    "design": {
        "interval_ms": Input(15, "ms", "firmware/config.py CONN_INTERVAL_MAX_MS", "protocol"),
        "cpu_idle_mA": Input(2, "mA", "Seeed XIAO ESP32S3 wiki: light-sleep ~2 mA", "vendor"),
        "bt_controller_awake_mA": Input(0, "mA", "BLE modem sleep on (needs 32 kHz slow clock)", "assumption"),
        "ll_payload_bytes": Input(251, "B", "data-length extension (BLE 4.2+) granted", "protocol"),
    },
}

# Link-layer timing at the 1M PHY (Bluetooth Core spec, vol 6 part B): 8 us per byte, 10 bytes of
# preamble/access address/header/CRC around each payload, 150 us between packets, and an
# 80 us empty packet as the peer's answer.
_US_PER_BYTE = 8.0
_LL_OVERHEAD_BYTES = 10
_T_IFS_US = 150.0
_EMPTY_PDU_US = 80.0


def samples_per_packet(mtu_bytes: float) -> int:
    """PROTOCOL.md: floor((ATT_MTU - 3 - 8) / 12), capped at 19."""
    return max(1, min(19, int((mtu_bytes - 3 - 8) // 12)))


def packet_airtime_us(n_samples: int, ll_payload_bytes: float) -> float:
    """On-air time of one data notification, fragmented into link-layer packets, with the acks."""
    att_bytes = 3 + 8 + 12 * n_samples          # ATT notify header + our header + samples
    l2cap_bytes = att_bytes + 4
    fragments = math.ceil(l2cap_bytes / ll_payload_bytes)
    per_fragment_tx_us = (min(ll_payload_bytes, l2cap_bytes) + _LL_OVERHEAD_BYTES) * _US_PER_BYTE
    return fragments * (per_fragment_tx_us + 2 * _T_IFS_US + _EMPTY_PDU_US)


def average_current_mA(point: str) -> dict[str, float]:
    """Average battery current of one operating point, broken down by consumer (mA)."""
    c = {k: v.value for k, v in COMMON.items()}
    p = {k: v.value for k, v in POINTS[point].items()}
    n = samples_per_packet(c["mtu_bytes"])
    packets_per_s = c["odr_hz"] / n
    events_per_s = 1000.0 / p["interval_ms"]
    # Every connection event: the central's packet (RX) and our empty answer (TX), plus overhead.
    event_us = c["event_overhead_us"] + _EMPTY_PDU_US + _T_IFS_US + _EMPTY_PDU_US
    rf_avg_mA = (c["rf_tx_mA"] + c["rf_rx_mA"]) / 2
    cpu_step_mA = c["cpu_active_mA"] - p["cpu_idle_mA"]
    data_us = packet_airtime_us(n, p["ll_payload_bytes"])
    busy_s_per_s = packets_per_s * c["cpu_busy_ms_per_packet"] / 1000
    parts = {
        "cpu (idle or sleeping)": p["cpu_idle_mA"],
        "cpu busy (FIFO read, packing)": busy_s_per_s * cpu_step_mA,
        "cpu awake for connection events": events_per_s * c["cpu_awake_per_event_us"] * 1e-6 * cpu_step_mA,
        "ble controller awake": p["bt_controller_awake_mA"],
        "radio: connection events": events_per_s * event_us * 1e-6 * rf_avg_mA,
        "radio: data packets": packets_per_s * data_us * 1e-6 * c["rf_tx_mA"],
        "imu (LSM6DSO)": c["imu_mA"],
        "battery divider": c["divider_mA"],
        "regulator + charger": c["regulator_iq_mA"],
    }
    return parts


def battery_life_h(total_mA: float) -> float:
    c = COMMON
    usable_mAh = c["battery_mAh"].value * c["usable_fraction"].value * c["ageing_fraction"].value
    return usable_mAh / total_mA


def charge_time_h() -> float:
    """Constant-current phase plus ~20 % for the constant-voltage tail."""
    return COMMON["battery_mAh"].value / COMMON["charge_mA"].value * 1.2


def _print_inputs(title: str, inputs: dict[str, Input]) -> None:
    print(title)
    for name, i in inputs.items():
        print(f"  {name:<24} {i.value:>9.4g} {i.unit:<3} [{i.kind}] {i.source}")


def main() -> int:
    print("twitchwatch power budget (estimates; measure your build, see hardware/README.md)\n")
    _print_inputs("Inputs, both operating points:", COMMON)
    n = samples_per_packet(COMMON["mtu_bytes"].value)
    print(f"  -> {n} samples per notification, {COMMON['odr_hz'].value / n:.2f} notifications/s\n")
    lives = {}
    for point, inputs in POINTS.items():
        _print_inputs(f"Inputs, {point}:", inputs)
        parts = average_current_mA(point)
        for name, mA in parts.items():
            print(f"    {name:<32} {mA:7.2f} mA")
        total = sum(parts.values())
        lives[point] = battery_life_h(total)
        print(f"  average current ({point}): {total:.1f} mA")
        print(f"  battery life ({point}): {lives[point]:.1f} h\n")
    usable = battery_life_h(1.0)
    print(f"Usable charge: {usable:.0f} mAh; the {TARGET_H:.0f} h target allows at most "
          f"{usable / TARGET_H:.0f} mA average.")
    print(f"Charge time from empty at {COMMON['charge_mA'].value:.0f} mA: about {charge_time_h():.0f} h.")
    day_mAh = TARGET_H * sum(average_current_mA("conservative").values())
    print(f"Recharging one {TARGET_H:.0f} h day ({day_mAh:.0f} mAh) takes about "
          f"{day_mAh / COMMON['charge_mA'].value * 1.1:.1f} h.")
    ok = lives["conservative"] >= TARGET_H * MARGIN
    verdict = "meets" if ok else "MISSES"
    print(f"Result: {verdict} the {TARGET_H:.0f} h target with {MARGIN:.1f}x margin "
          f"(conservative {lives['conservative']:.1f} h).")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
