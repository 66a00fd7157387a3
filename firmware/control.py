"""Validate control-characteristic writes (PROTOCOL.md, "Control"). Pure.

parse() never raises on bad input: it returns an error code the firmware puts in the status, so a
malformed write from any client can change nothing and crash nothing.
"""

try:
    from micropython import const  # pyright: ignore[reportAssignmentType]  # CPython fallback below is untyped
except ImportError:  # CPython
    def const(x):
        return x

OP_START = const(0x01)
OP_STOP = const(0x02)
OP_SET_RATE = const(0x03)
OP_SET_RANGE = const(0x04)
OP_BACKFILL = const(0x05)
OP_IDENTIFY = const(0x06)

ERR_NONE = const(0)
ERR_UNKNOWN_OPCODE = const(1)
ERR_LENGTH = const(2)
ERR_RATE = const(3)
ERR_RANGE = const(4)
ERR_BACKFILL_RANGE = const(5)
ERR_IMU_MISSING = const(6)
ERR_IMU_READ = const(7)

ERROR_NAMES = ("none", "unknown opcode", "wrong length", "rate not supported",
               "range not supported", "backfill range not in ring", "IMU not found",
               "IMU read failed")

# Total write length (opcode included) per opcode.
_LENGTHS = {OP_START: 1, OP_STOP: 1, OP_SET_RATE: 3, OP_SET_RANGE: 4, OP_BACKFILL: 9,
            OP_IDENTIFY: 1}

RATES_HZ = (104, 208, 416)
ACCEL_RANGES_G = (2, 4, 8, 16)
GYRO_RANGES_DPS = (250, 500, 1000, 2000)


def _u16(b, off):
    return b[off] | (b[off + 1] << 8)


def _u32(b, off):
    return b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)


def parse(data):
    """Parse one control write.

    Returns (error, opcode, arg1, arg2). On error opcode is the received opcode (or 0 if the
    write was empty) and the args are 0. Args: SET_RATE (rate_hz, 0); SET_RANGE (accel_g,
    gyro_dps); BACKFILL (from_index, to_index); others (0, 0).
    """
    if len(data) == 0:
        return (ERR_LENGTH, 0, 0, 0)
    op = data[0]
    want = _LENGTHS.get(op)
    if want is None:
        return (ERR_UNKNOWN_OPCODE, op, 0, 0)
    if len(data) != want:
        return (ERR_LENGTH, op, 0, 0)
    if op == OP_SET_RATE:
        rate = _u16(data, 1)
        if rate not in RATES_HZ:
            return (ERR_RATE, op, 0, 0)
        return (ERR_NONE, op, rate, 0)
    if op == OP_SET_RANGE:
        accel = data[1]
        gyro = _u16(data, 2)
        if accel not in ACCEL_RANGES_G or gyro not in GYRO_RANGES_DPS:
            return (ERR_RANGE, op, 0, 0)
        return (ERR_NONE, op, accel, gyro)
    if op == OP_BACKFILL:
        first = _u32(data, 1)
        end = _u32(data, 5)
        if ((end - first) & 0xFFFFFFFF) == 0 or ((end - first) & 0xFFFFFFFF) >= 0x80000000:
            # empty or inverted (modulo 2^32): nothing that could ever be in the ring
            return (ERR_BACKFILL_RANGE, op, 0, 0)
        return (ERR_NONE, op, first, end)
    return (ERR_NONE, op, 0, 0)
