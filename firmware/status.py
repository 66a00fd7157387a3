"""The 32-byte status blob (PROTOCOL.md, "Status"). Pure."""

try:
    from micropython import const  # pyright: ignore[reportAssignmentType]  # CPython fallback below is untyped
except ImportError:  # CPython
    def const(x):
        return x

STATUS_LEN = const(32)
FLAG_STREAMING = const(0x01)
FLAG_IMU_PRESENT = const(0x02)
FLAG_CHARGING = const(0x04)

FIELDS = ("protocol_version", "fw_version", "rate_hz", "accel_g", "flags", "gyro_dps",
          "battery_pct", "last_error", "battery_mv", "ring_s", "fifo_overruns",
          "notify_dropped", "next_index", "oldest_index")


def _put16(b, off, v):
    b[off] = v & 0xFF
    b[off + 1] = (v >> 8) & 0xFF


def _put32(b, off, v):
    b[off] = v & 0xFF
    b[off + 1] = (v >> 8) & 0xFF
    b[off + 2] = (v >> 16) & 0xFF
    b[off + 3] = (v >> 24) & 0xFF


def pack_into(buf, fw_version, rate_hz, accel_g, flags, gyro_dps, battery_pct, last_error,
              battery_mv, ring_s, fifo_overruns, notify_dropped, next_index, oldest_index):
    """Fill `buf` (32-byte bytearray) in place."""
    buf[0] = 1
    buf[1] = fw_version[0]
    buf[2] = fw_version[1]
    buf[3] = fw_version[2]
    _put16(buf, 4, rate_hz)
    buf[6] = accel_g
    buf[7] = flags
    _put16(buf, 8, gyro_dps)
    buf[10] = battery_pct
    buf[11] = last_error
    _put16(buf, 12, battery_mv)
    _put16(buf, 14, ring_s if ring_s < 0xFFFF else 0xFFFF)
    _put32(buf, 16, fifo_overruns)
    _put32(buf, 20, notify_dropped)
    _put32(buf, 24, next_index)
    _put32(buf, 28, oldest_index)


def _u16(b, off):
    return b[off] | (b[off + 1] << 8)


def _u32(b, off):
    return _u16(b, off) | (_u16(b, off + 2) << 16)


def unpack(data):
    """32 bytes -> dict of the fields (tests, tools)."""
    if len(data) != STATUS_LEN:
        raise ValueError("status is %d bytes, want 32" % len(data))
    return {
        "protocol_version": data[0],
        "fw_version": [data[1], data[2], data[3]],
        "rate_hz": _u16(data, 4),
        "accel_g": data[6],
        "flags": data[7],
        "gyro_dps": _u16(data, 8),
        "battery_pct": data[10],
        "last_error": data[11],
        "battery_mv": _u16(data, 12),
        "ring_s": _u16(data, 14),
        "fifo_overruns": _u32(data, 16),
        "notify_dropped": _u32(data, 20),
        "next_index": _u32(data, 24),
        "oldest_index": _u32(data, 28),
    }
