"""RAM ring of the most recent samples, addressed by sample index. Pure, allocation-free.

Each slot holds one 12-byte sample (ax, ay, az, gx, gy, gz as little-endian i16, the wire layout),
at slot `index % capacity`. Samples the IMU lost (FIFO overrun) are stored as a LOST marker: all six
values -32768, a pattern a real sensor cannot produce (it would need every accel and gyro axis at
negative full scale at once). That keeps the ring dense while the sender can still tell the host
exactly which indices never existed.
"""

try:
    from micropython import const  # pyright: ignore[reportAssignmentType]  # CPython fallback below is untyped
except ImportError:  # CPython
    def const(x):
        return x

SAMPLE_LEN = const(12)


class SampleRing:
    """Fixed-size ring; `next_index` is the index the next sample will get."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.buf = bytearray(capacity * SAMPLE_LEN)
        self.next_index = 0
        self.count = 0
        self.lost_total = 0

    def reset(self, next_index=0):
        """Forget everything (the sample index restarts, e.g. after SET_RATE)."""
        self.next_index = next_index
        self.count = 0

    def oldest_index(self):
        return self.next_index - self.count

    def _advance(self):
        self.next_index += 1
        if self.count < self.capacity:
            self.count += 1

    def put(self, index, src, src_off):
        """Store the sample at src[src_off:src_off+12] under `index` (>= next_index).

        Indices skipped since the last put are marked LOST (at most one ring's worth).
        Returns the number of indices marked lost.
        """
        lost = index - self.next_index
        if lost > 0:
            if lost > self.capacity:
                # Nothing older survives: jump ahead, then mark a full ring lost.
                self.next_index = index - self.capacity
            n = index - self.next_index
            for _ in range(n):
                self._mark_lost(self.next_index)
                self._advance()
            self.lost_total += lost
        elif lost < 0:
            return 0   # a duplicate or out-of-order index: never rewrite history
        buf = self.buf
        off = (index % self.capacity) * SAMPLE_LEN
        for j in range(SAMPLE_LEN):
            buf[off + j] = src[src_off + j]
        self._advance()
        return lost if lost > 0 else 0

    def _mark_lost(self, index):
        buf = self.buf
        off = (index % self.capacity) * SAMPLE_LEN
        for j in range(0, SAMPLE_LEN, 2):
            buf[off + j] = 0x00
            buf[off + j + 1] = 0x80

    def holds(self, index):
        return self.next_index - self.count <= index < self.next_index

    def is_lost(self, index):
        buf = self.buf
        off = (index % self.capacity) * SAMPLE_LEN
        for j in range(0, SAMPLE_LEN, 2):
            if buf[off + j] != 0x00 or buf[off + j + 1] != 0x80:
                return False
        return True

    def copy_out(self, index, dst, dst_off):
        """Copy the sample stored under `index` into dst[dst_off:dst_off+12]."""
        buf = self.buf
        off = (index % self.capacity) * SAMPLE_LEN
        for j in range(SAMPLE_LEN):
            dst[dst_off + j] = buf[off + j]
