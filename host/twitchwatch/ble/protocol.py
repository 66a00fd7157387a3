"""Sensor protocol version 1 (``firmware/PROTOCOL.md``): UUIDs, the vectorised data-packet
decoder, the status blob and the control-write encoders.

The decoder takes a batch of raw notifications and never raises on bad input: every packet
that does not follow the contract (too short, a length that is not 8 + 12·n, another protocol
version, reserved config bits set, an unknown data rate) is counted in ``DataBatch.bad`` with the
reason, and the rest decode with a handful of numpy operations whatever the batch size.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

PROTOCOL_VERSION = 1

SERVICE_UUID = "7c5a0001-9e3b-4f1a-8d2e-3b6f0c1d2e4f"
DATA_UUID = "7c5a0002-9e3b-4f1a-8d2e-3b6f0c1d2e4f"
CONTROL_UUID = "7c5a0003-9e3b-4f1a-8d2e-3b6f0c1d2e4f"
STATUS_UUID = "7c5a0004-9e3b-4f1a-8d2e-3b6f0c1d2e4f"
BATTERY_SERVICE_UUID = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"
DIS_SERVICE_UUID = "0000180a-0000-1000-8000-00805f9b34fb"
MANUFACTURER_UUID = "00002a29-0000-1000-8000-00805f9b34fb"
MODEL_UUID = "00002a24-0000-1000-8000-00805f9b34fb"
FIRMWARE_REV_UUID = "00002a26-0000-1000-8000-00805f9b34fb"
NAME_PREFIX = "TWW-"

HEADER_BYTES = 8
SAMPLE_BYTES = 12
MAX_SAMPLES_PER_PACKET = 19
FLAG_BACKFILL = 0x01
FLAG_OVERRUN = 0x02
INDEX_MODULUS = 1 << 32
SEQ_MODULUS = 1 << 16

ACCEL_RANGES_G = (2, 4, 8, 16)
GYRO_RANGES_DPS = (250, 500, 1000, 2000)
ODRS_HZ = (104, 208, 416)
ACCEL_G_PER_LSB = np.array([0.061, 0.122, 0.244, 0.488]) * 1e-3     # LSM6DSO datasheet
GYRO_DPS_PER_LSB = np.array([8.75, 17.5, 35.0, 70.0]) * 1e-3

OP_START, OP_STOP, OP_SET_RATE, OP_SET_RANGE, OP_BACKFILL, OP_IDENTIFY = 1, 2, 3, 4, 5, 6
ERR_NONE, ERR_OPCODE, ERR_LENGTH, ERR_RATE, ERR_RANGE, ERR_BACKFILL, ERR_NO_IMU, ERR_IMU_READ = range(8)
ERROR_TEXT = {
    ERR_NONE: "none", ERR_OPCODE: "unknown opcode", ERR_LENGTH: "wrong length",
    ERR_RATE: "rate not supported", ERR_RANGE: "range not supported",
    ERR_BACKFILL: "backfill range not in the ring", ERR_NO_IMU: "IMU not found on I2C",
    ERR_IMU_READ: "IMU read failed",
}

_HEADER = np.dtype([("flags", "u1"), ("config", "u1"), ("seq", "<u2"), ("first_index", "<u4")])


def config_byte(accel_g: int = 8, gyro_dps: int = 1000, odr_hz: int = 208) -> int:
    """The packet config byte for these full scales and rate."""
    return (ACCEL_RANGES_G.index(accel_g) | GYRO_RANGES_DPS.index(gyro_dps) << 2
            | ODRS_HZ.index(odr_hz) << 4)


def samples_per_packet(att_mtu: int) -> int:
    """Samples the sensor puts in one notification at this ATT MTU (1 at 23, 19 at 247)."""
    return max(1, min(MAX_SAMPLES_PER_PACKET, (att_mtu - 3 - HEADER_BYTES) // SAMPLE_BYTES))


@dataclass
class DataBatch:
    """The valid packets of a batch (arrays per packet) and their samples (arrays per sample).

    ``bad`` lists ``(position in the input batch, reason)`` for every packet skipped.
    """

    seq: np.ndarray              # (p,) int64
    first_index: np.ndarray      # (p,) int64, 0 .. 2**32-1 (unwrapping is the caller's job)
    n: np.ndarray                # (p,) int64 samples per packet
    backfill: np.ndarray         # (p,) bool
    overrun: np.ndarray          # (p,) bool
    config: np.ndarray           # (p,) uint8
    position: np.ndarray         # (p,) int64 position of each valid packet in the input batch
    raw: np.ndarray              # (s, 6) int16: ax ay az gx gy gz LSB
    accel_g: np.ndarray          # (s, 3) float64
    gyro_dps: np.ndarray         # (s, 3) float64
    bad: list[tuple[int, str]] = field(default_factory=list)

    @property
    def odr_hz(self) -> np.ndarray:
        return np.asarray(ODRS_HZ)[(self.config >> 4) & 3]

    def packet_starts(self) -> np.ndarray:
        """Row in ``raw`` where each packet's samples begin."""
        return np.concatenate(([0], np.cumsum(self.n)[:-1])).astype(np.int64)


def _bad_reason(packet: bytes) -> str | None:
    size = len(packet)
    if size < HEADER_BYTES + SAMPLE_BYTES:
        return f"too short ({size} bytes)"
    if (size - HEADER_BYTES) % SAMPLE_BYTES:
        return f"length {size} is not 8 + 12*n"
    flags, config = packet[0], packet[1]
    if flags >> 4 != PROTOCOL_VERSION:
        return f"protocol version {flags >> 4}"
    # Flag bits 2-3 are reserved (sent as 0) and ignored, as the firmware's reference decoder does.
    if config & 0xC0:
        return "reserved config bits set"
    if (config >> 4) & 3 == 3:
        return "unknown data rate code 3"
    return None


def decode_packets(packets: list[bytes] | tuple[bytes, ...]) -> DataBatch:
    """Decode a batch of data notifications; never raises on malformed packets."""
    good: list[bytes] = []
    position: list[int] = []
    bad: list[tuple[int, str]] = []
    for i, pkt in enumerate(packets):
        reason = _bad_reason(pkt)
        if reason is None:
            good.append(bytes(pkt))
            position.append(i)
        else:
            bad.append((i, reason))
    if not good:
        e6 = np.zeros((0, 6), np.int16)
        z = np.zeros(0, np.int64)
        return DataBatch(z, z, z, z.astype(bool), z.astype(bool), z.astype(np.uint8), z,
                         e6, np.zeros((0, 3)), np.zeros((0, 3)), bad)
    sizes = np.fromiter((len(p) for p in good), np.int64, len(good))
    heads = np.frombuffer(b"".join(p[:HEADER_BYTES] for p in good), _HEADER)
    raw = np.frombuffer(b"".join(p[HEADER_BYTES:] for p in good), "<i2").reshape(-1, 6)
    n = (sizes - HEADER_BYTES) // SAMPLE_BYTES
    config = heads["config"].copy()
    per_sample_cfg = np.repeat(config, n)
    accel_g = raw[:, :3] * ACCEL_G_PER_LSB[per_sample_cfg & 3][:, None]
    gyro_dps = raw[:, 3:] * GYRO_DPS_PER_LSB[(per_sample_cfg >> 2) & 3][:, None]
    flags = heads["flags"]
    return DataBatch(
        seq=heads["seq"].astype(np.int64),
        first_index=heads["first_index"].astype(np.int64),
        n=n,
        backfill=(flags & FLAG_BACKFILL).astype(bool),
        overrun=(flags & FLAG_OVERRUN).astype(bool),
        config=config,
        position=np.asarray(position, np.int64),
        raw=raw.astype(np.int16),
        accel_g=accel_g,
        gyro_dps=gyro_dps,
        bad=bad,
    )


def encode_data_packet(seq: int, first_index: int, raw: np.ndarray, config: int,
                       backfill: bool = False, overrun: bool = False) -> bytes:
    """One data notification (the sensor's side; used by the simulated peripheral and tests)."""
    raw = np.asarray(raw, dtype="<i2").reshape(-1, 6)
    if not 1 <= len(raw) <= MAX_SAMPLES_PER_PACKET:
        raise ValueError(f"a packet carries 1..{MAX_SAMPLES_PER_PACKET} samples, got {len(raw)}")
    flags = PROTOCOL_VERSION << 4 | (FLAG_BACKFILL if backfill else 0) | (FLAG_OVERRUN if overrun else 0)
    return (struct.pack("<BBHI", flags, config, seq % SEQ_MODULUS, first_index % INDEX_MODULUS)
            + raw.tobytes())


# ----------------------------------------------------------------------------- status

_STATUS = struct.Struct("<B3BHBBHBBHHIIII")
STATUS_BYTES = _STATUS.size     # 32


@dataclass(frozen=True)
class Status:
    """The 32-byte status characteristic."""

    protocol_version: int = PROTOCOL_VERSION
    firmware_version: tuple[int, int, int] = (0, 0, 0)
    odr_hz: int = 208
    accel_range_g: int = 8
    streaming: bool = False
    imu_present: bool = True
    charging: bool = False
    gyro_range_dps: int = 1000
    battery_pct: int = 255           # 255 = unknown
    last_error: int = ERR_NONE
    battery_mv: int = 0              # 0 = unknown
    ring_s: int = 0
    fifo_overruns: int = 0
    dropped_notifications: int = 0
    next_index: int = 0
    oldest_index: int = 0

    def encode(self) -> bytes:
        flags = int(self.streaming) | int(self.imu_present) << 1 | int(self.charging) << 2
        return _STATUS.pack(
            self.protocol_version, *self.firmware_version, self.odr_hz, self.accel_range_g,
            flags, self.gyro_range_dps, self.battery_pct, self.last_error, self.battery_mv,
            self.ring_s, self.fifo_overruns % INDEX_MODULUS,
            self.dropped_notifications % INDEX_MODULUS, self.next_index % INDEX_MODULUS,
            self.oldest_index % INDEX_MODULUS,
        )


def decode_status(blob: bytes) -> Status:
    """Decode the status characteristic; raises ``ValueError`` when it is not 32 bytes of v1."""
    if len(blob) != STATUS_BYTES:
        raise ValueError(f"status is {len(blob)} bytes, expected {STATUS_BYTES}")
    (ver, fa, fb, fc, odr, arange, flags, grange, bpct, err, bmv, ring_s, ovr, dropped,
     nxt, oldest) = _STATUS.unpack(bytes(blob))
    if ver != PROTOCOL_VERSION:
        raise ValueError(f"status protocol version {ver}, this app speaks {PROTOCOL_VERSION}")
    return Status(ver, (fa, fb, fc), odr, arange, bool(flags & 1), bool(flags & 2),
                  bool(flags & 4), grange, bpct, err, bmv, ring_s, ovr, dropped, nxt, oldest)


# ----------------------------------------------------------------------------- control

def encode_start() -> bytes:
    return bytes([OP_START])


def encode_stop() -> bytes:
    return bytes([OP_STOP])


def encode_set_rate(rate_hz: int) -> bytes:
    return struct.pack("<BH", OP_SET_RATE, rate_hz)


def encode_set_range(accel_g: int, gyro_dps: int) -> bytes:
    return struct.pack("<BBH", OP_SET_RANGE, accel_g, gyro_dps)


def encode_backfill(from_index: int, to_index: int) -> bytes:
    """Ask for samples ``[from_index, to_index)`` (sensor-clock indices, taken modulo 2**32)."""
    return struct.pack("<BII", OP_BACKFILL, from_index % INDEX_MODULUS, to_index % INDEX_MODULUS)


def encode_identify() -> bytes:
    return bytes([OP_IDENTIFY])


_CONTROL_LEN = {OP_START: 1, OP_STOP: 1, OP_SET_RATE: 3, OP_SET_RANGE: 4, OP_BACKFILL: 9,
                OP_IDENTIFY: 1}


def decode_control(data: bytes) -> tuple[int, tuple[int, ...], int]:
    """Parse a control write: ``(opcode, args, last_error)``; ``last_error`` 0 means valid."""
    if not data:
        return 0, (), ERR_LENGTH
    op = data[0]
    if op not in _CONTROL_LEN:
        return op, (), ERR_OPCODE
    if len(data) != _CONTROL_LEN[op]:
        return op, (), ERR_LENGTH
    if op == OP_SET_RATE:
        (rate,) = struct.unpack_from("<H", data, 1)
        return op, (rate,), ERR_NONE if rate in ODRS_HZ else ERR_RATE
    if op == OP_SET_RANGE:
        a, g = struct.unpack_from("<BH", data, 1)
        ok = a in ACCEL_RANGES_G and g in GYRO_RANGES_DPS
        return op, (a, g), ERR_NONE if ok else ERR_RANGE
    if op == OP_BACKFILL:
        lo, hi = struct.unpack_from("<II", data, 1)
        span = (hi - lo) % INDEX_MODULUS
        # An empty or backwards range can never be in the ring.
        return op, (lo, hi), ERR_NONE if 0 < span < INDEX_MODULUS // 2 else ERR_BACKFILL
    return op, (), ERR_NONE
