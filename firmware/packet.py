"""Data-packet codec (PROTOCOL.md, "Data packet"). Pure: runs unchanged on CPython and MicroPython.

The encoder writes into caller-owned buffers and never allocates, so it is safe in the sampling and
notify hot path. The decoder allocates freely; it is for tests and tools, not for the sensor.
"""

try:
    from micropython import const  # pyright: ignore[reportAssignmentType]  # CPython fallback below is untyped
except ImportError:  # CPython
    def const(x):
        return x

VERSION = const(1)
FLAG_BACKFILL = const(0x01)
FLAG_OVERRUN = const(0x02)
HEADER_LEN = const(8)
SAMPLE_LEN = const(12)
MAX_SAMPLES = const(19)
ATT_OVERHEAD = const(3)          # opcode + attribute handle of a notification
MAX_PACKET_LEN = const(236)      # HEADER_LEN + MAX_SAMPLES * SAMPLE_LEN

# Codes <-> physical values; the index in each tuple is the code on the wire.
ACCEL_RANGES_G = (2, 4, 8, 16)
GYRO_RANGES_DPS = (250, 500, 1000, 2000)
RATES_HZ = (104, 208, 416)
# LSM6DSO datasheet sensitivities, per LSB.
ACCEL_MG_PER_LSB = (0.061, 0.122, 0.244, 0.488)
GYRO_MDPS_PER_LSB = (8.75, 17.5, 35.0, 70.0)


def samples_per_packet(mtu):
    """Samples that fit one notification at ATT_MTU `mtu` (PROTOCOL.md): 19 at 247, 1 at 23."""
    n = (mtu - ATT_OVERHEAD - HEADER_LEN) // SAMPLE_LEN
    if n > MAX_SAMPLES:
        return MAX_SAMPLES
    if n < 1:
        return 1
    return n


def packet_len(n_samples):
    return HEADER_LEN + SAMPLE_LEN * n_samples


def config_byte(accel_code, gyro_code, rate_code):
    return (accel_code & 3) | ((gyro_code & 3) << 2) | ((rate_code & 3) << 4)


def write_header(buf, flags, config, seq, first_index):
    """Write the 8-byte header into `buf` (a bytearray) without allocating."""
    buf[0] = (VERSION << 4) | (flags & 3)
    buf[1] = config
    buf[2] = seq & 0xFF
    buf[3] = (seq >> 8) & 0xFF
    buf[4] = first_index & 0xFF
    buf[5] = (first_index >> 8) & 0xFF
    buf[6] = (first_index >> 16) & 0xFF
    buf[7] = (first_index >> 24) & 0xFF


# ---- decoding (host side, tests, tools: allocates) -----------------------------------------------

def _i16(b, off):
    v = b[off] | (b[off + 1] << 8)
    return v - 0x10000 if v & 0x8000 else v


def decode(data):
    """Decode one data notification into a dict; raises ValueError on a malformed packet."""
    n_bytes = len(data)
    if n_bytes < HEADER_LEN + SAMPLE_LEN or (n_bytes - HEADER_LEN) % SAMPLE_LEN:
        raise ValueError("data packet of %d bytes: want 8 + 12*n (n >= 1)" % n_bytes)
    version = data[0] >> 4
    if version != VERSION:
        raise ValueError("protocol version %d, this decoder speaks %d" % (version, VERSION))
    cfg = data[1]
    if cfg & 0xC0 or (cfg >> 4) & 3 > 2:
        raise ValueError("config byte 0x%02x has reserved bits or an unknown rate" % cfg)
    n = (n_bytes - HEADER_LEN) // SAMPLE_LEN
    raw = []
    for k in range(n):
        off = HEADER_LEN + SAMPLE_LEN * k
        raw.append([_i16(data, off + 2 * j) for j in range(6)])
    return {
        "flags": data[0] & 0x0F,
        "backfill": bool(data[0] & FLAG_BACKFILL),
        "overrun": bool(data[0] & FLAG_OVERRUN),
        "accel_code": cfg & 3,
        "gyro_code": (cfg >> 2) & 3,
        "rate_code": (cfg >> 4) & 3,
        "seq": data[2] | (data[3] << 8),
        "first_index": data[4] | (data[5] << 8) | (data[6] << 16) | (data[7] << 24),
        "n": n,
        "raw": raw,
    }


def to_physical(raw_row, accel_code, gyro_code):
    """One raw sample row -> ([ax, ay, az] in g, [gx, gy, gz] in dps)."""
    a = ACCEL_MG_PER_LSB[accel_code] / 1000.0
    g = GYRO_MDPS_PER_LSB[gyro_code] / 1000.0
    return [v * a for v in raw_row[:3]], [v * g for v in raw_row[3:]]
