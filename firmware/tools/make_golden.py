"""Write firmware/golden/vectors.json: the protocol's golden vectors (run with CPython).

Built with `struct` straight from PROTOCOL.md, not with the firmware's codec, so the firmware tests
and the host tests both check their code against an independent rendering of the spec.
    python firmware/tools/make_golden.py          # rewrites the file
    python firmware/tools/make_golden.py --check  # exit 1 if the file is out of date
"""

import json
import pathlib
import random
import struct
import sys

OUT = pathlib.Path(__file__).resolve().parents[1] / "golden" / "vectors.json"
ACCEL_G = [2, 4, 8, 16]
GYRO_DPS = [250, 500, 1000, 2000]
RATE_HZ = [104, 208, 416]
ACCEL_MG = [0.061, 0.122, 0.244, 0.488]
GYRO_MDPS = [8.75, 17.5, 35.0, 70.0]


def data_packet(name, flags, a, g, r, seq, first, rows):
    cfg = a | (g << 2) | (r << 4)
    blob = struct.pack("<BBHI", 0x10 | flags, cfg, seq, first)
    for row in rows:
        blob += struct.pack("<6h", *row)
    return {
        "name": name, "hex": blob.hex(), "len": len(blob),
        "flags": flags, "backfill": bool(flags & 1), "overrun": bool(flags & 2),
        "config_byte": cfg, "accel_code": a, "gyro_code": g, "rate_code": r,
        "accel_range_g": ACCEL_G[a], "gyro_range_dps": GYRO_DPS[g], "rate_hz": RATE_HZ[r],
        "seq": seq, "first_index": first, "n": len(rows), "raw": rows,
        "accel_g": [[round(v * ACCEL_MG[a] / 1000.0, 9) for v in row[:3]] for row in rows],
        "gyro_dps": [[round(v * GYRO_MDPS[g] / 1000.0, 9) for v in row[3:]] for row in rows],
    }


def rows(rng, n, extremes=False):
    out = [[rng.randint(-32768, 32767) for _ in range(6)] for _ in range(n)]
    if extremes and n:
        out[0] = [-32768, 32767, 0, 1, -1, 16393]
    return out


def build():
    rng = random.Random(4)
    packets = [
        data_packet("2g/250dps/104Hz live", 0, 0, 0, 0, 0, 0, rows(rng, 3, True)),
        data_packet("4g/500dps/208Hz live (default config)", 0, 1, 1, 1, 1, 19, rows(rng, 2)),
        data_packet("8g/1000dps/416Hz live", 0, 2, 2, 2, 300, 123456, rows(rng, 2)),
        data_packet("16g/2000dps/104Hz live", 0, 3, 3, 0, 65535, 4294967295, rows(rng, 2)),
        data_packet("backfill", 1, 1, 1, 1, 7, 1000, rows(rng, 4)),
        data_packet("overrun: first_index skips the lost samples", 2, 1, 1, 1, 8, 2050,
                    rows(rng, 2)),
        data_packet("backfill across an overrun", 3, 1, 1, 1, 9, 2100, rows(rng, 1)),
        data_packet("MTU 23: one sample, 20 bytes", 0, 1, 1, 1, 10, 77, rows(rng, 1)),
        data_packet("MTU 247: 19 samples, 236 bytes", 0, 1, 1, 1, 11, 4181, rows(rng, 19)),
    ]
    bad = [
        {"hex": "1015000000000000", "why": "header only, no sample"},
        {"hex": "10150000000000000102030405060708090a0b", "why": "11 bytes of sample"},
        {"hex": "2015000000000000" + "00" * 12, "why": "protocol version 2"},
        {"hex": "1035000000000000" + "00" * 12, "why": "rate code 3 is not defined"},
        {"hex": "10d5000000000000" + "00" * 12, "why": "reserved config bits set"},
    ]
    mtus = [{"mtu": m, "samples": max(1, min(19, (m - 11) // 12)),
             "max_packet_len": 8 + 12 * max(1, min(19, (m - 11) // 12))}
            for m in (23, 27, 35, 100, 185, 247, 517)]
    c = []

    def ctl(name, blob, err, op=None, args=None):
        c.append({"name": name, "hex": blob.hex(), "error": err,
                  "opcode": blob[0] if blob else 0, "args": args or []})

    ctl("START", b"\x01", 0, args=[])
    ctl("STOP", b"\x02", 0)
    ctl("SET_RATE 104", struct.pack("<BH", 3, 104), 0, args=[104])
    ctl("SET_RATE 208", struct.pack("<BH", 3, 208), 0, args=[208])
    ctl("SET_RATE 416", struct.pack("<BH", 3, 416), 0, args=[416])
    ctl("SET_RANGE 4 g 500 dps", struct.pack("<BBH", 4, 4, 500), 0, args=[4, 500])
    ctl("SET_RANGE 16 g 2000 dps", struct.pack("<BBH", 4, 16, 2000), 0, args=[16, 2000])
    ctl("BACKFILL 100..300", struct.pack("<BII", 5, 100, 300), 0, args=[100, 300])
    ctl("BACKFILL across the 2^32 wrap", struct.pack("<BII", 5, 4294967290, 10), 0,
        args=[4294967290, 10])
    ctl("IDENTIFY", b"\x06", 0)
    ctl("empty write", b"", 2)
    ctl("unknown opcode 0x00", b"\x00", 1)
    ctl("unknown opcode 0x07", b"\x07", 1)
    ctl("unknown opcode 0xff with args", b"\xff\x01\x02", 1)
    ctl("START with an argument", b"\x01\x00", 2)
    ctl("SET_RATE one byte short", b"\x03\xd0", 2)
    ctl("SET_RATE as u32", struct.pack("<BI", 3, 208), 2)
    ctl("SET_RATE 200 Hz", struct.pack("<BH", 3, 200), 3)
    ctl("SET_RATE 0 Hz", struct.pack("<BH", 3, 0), 3)
    ctl("SET_RATE 833 Hz", struct.pack("<BH", 3, 833), 3)
    ctl("SET_RANGE 3 g", struct.pack("<BBH", 4, 3, 500), 4)
    ctl("SET_RANGE 125 dps", struct.pack("<BBH", 4, 4, 125), 4)
    ctl("SET_RANGE missing gyro", b"\x04\x04", 2)
    ctl("BACKFILL short", struct.pack("<BI", 5, 100), 2)
    ctl("BACKFILL empty range", struct.pack("<BII", 5, 300, 300), 5)
    ctl("BACKFILL inverted range", struct.pack("<BII", 5, 300, 100), 5)

    fields = {"protocol_version": 1, "fw_version": [1, 0, 0], "rate_hz": 208, "accel_g": 4,
              "flags": 3, "gyro_dps": 500, "battery_pct": 87, "last_error": 5,
              "battery_mv": 4012, "ring_s": 75, "fifo_overruns": 2, "notify_dropped": 0,
              "next_index": 123456, "oldest_index": 107856}
    blob = struct.pack("<BBBBHBBHBBHHIIII", 1, 1, 0, 0, 208, 4, 3, 500, 87, 5, 4012, 75, 2, 0,
                       123456, 107856)
    fields2 = {"protocol_version": 1, "fw_version": [1, 2, 3], "rate_hz": 416, "accel_g": 16,
               "flags": 2, "gyro_dps": 2000, "battery_pct": 255, "last_error": 6,
               "battery_mv": 0, "ring_s": 0, "fifo_overruns": 4294967295,
               "notify_dropped": 70000, "next_index": 4294967295, "oldest_index": 4294967295}
    blob2 = struct.pack("<BBBBHBBHBBHHIIII", 1, 1, 2, 3, 416, 16, 2, 2000, 255, 6, 0, 0,
                        4294967295, 70000, 4294967295, 4294967295)
    return {
        "about": "Golden vectors for PROTOCOL.md v1; generated by firmware/tools/make_golden.py. "
                 "Physical values are raw * datasheet sensitivity, rounded to 1e-9.",
        "protocol_version": 1,
        "uuids": {"service": "7c5a0001-9e3b-4f1a-8d2e-3b6f0c1d2e4f",
                  "data": "7c5a0002-9e3b-4f1a-8d2e-3b6f0c1d2e4f",
                  "control": "7c5a0003-9e3b-4f1a-8d2e-3b6f0c1d2e4f",
                  "status": "7c5a0004-9e3b-4f1a-8d2e-3b6f0c1d2e4f"},
        "accel_mg_per_lsb": ACCEL_MG, "gyro_mdps_per_lsb": GYRO_MDPS,
        "accel_range_g": ACCEL_G, "gyro_range_dps": GYRO_DPS, "rate_hz": RATE_HZ,
        "samples_per_notification": mtus,
        "data_packets": packets,
        "bad_data_packets": bad,
        "control_writes": c,
        "error_codes": {"0": "none", "1": "unknown opcode", "2": "wrong length",
                        "3": "rate not supported", "4": "range not supported",
                        "5": "backfill range no longer (or not yet) in the ring",
                        "6": "IMU not found on I2C", "7": "IMU read failed"},
        "status": [{"name": "streaming, IMU ok, last error 5", "hex": blob.hex(),
                    "fields": fields},
                   {"name": "no IMU, all counters at their maximum", "hex": blob2.hex(),
                    "fields": fields2}],
    }


def render():
    return json.dumps(build(), indent=1) + "\n"


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        if OUT.read_text() != text:
            print("firmware/golden/vectors.json is out of date: run firmware/tools/make_golden.py")
            sys.exit(1)
        print("vectors.json is up to date")
    else:
        OUT.write_text(text)
        print("wrote", OUT)
