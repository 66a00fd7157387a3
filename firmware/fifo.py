"""Parse LSM6DSO/LSM6DSOX tagged FIFO words into indexed samples. Pure, allocation-free.

A FIFO word is 7 bytes: FIFO_DATA_OUT_TAG (TAG_SENSOR in bits 7-3, TAG_CNT in bits 2-1, parity in
bit 0) and 6 data bytes. We batch gyro, accel and a timestamp in every time slot; words of one slot
share TAG_CNT. A slot's sample index comes from the sensor's own clock: the timestamp (25 us LSB)
advances by `ticks_per_sample` per output sample, so a jump of k periods means k-1 samples were lost
to a FIFO overrun. Only the low 24 timestamp bits are used (wrap every 419 s) so that every integer
stays small (no heap allocation on a 32-bit port).
"""

try:
    from micropython import const  # pyright: ignore[reportAssignmentType]  # CPython fallback below is untyped
except ImportError:  # CPython
    def const(x):
        return x

WORD_LEN = const(7)
TAG_GYRO = const(0x01)
TAG_ACCEL = const(0x02)
TAG_TIMESTAMP = const(0x04)
TS_MASK = const(0xFFFFFF)
TS_HZ = const(40000)          # timestamp resolution 25 us (nominal)
BASE_ODR_HZ = 6667            # output rates are 6667 Hz / (2**k); 208 Hz is really 208.3 Hz

# Timestamp ticks per output sample: 40000 / (6667 / divider) = 6 * divider.
TICKS_PER_SAMPLE = {104: 384, 208: 192, 416: 96}

_HAVE_G = const(1)
_HAVE_A = const(2)
_HAVE_T = const(4)
_COMPLETE = const(7)


class FifoParser:
    """Turns FIFO words into samples stored in a SampleRing (or anything with put()/next_index)."""

    def __init__(self, ring, ticks_per_sample):
        self.ring = ring
        self.slot = bytearray(12)   # ax ay az gx gy gz, the wire layout
        self.reset(ticks_per_sample)

    def reset(self, ticks_per_sample):
        self.ticks_per_sample = ticks_per_sample
        self.cur_cnt = -1
        self.have = 0
        self.slot_ts = 0
        self.last_ts = -1            # -1: no sample yet since (re)start
        self.samples = 0             # samples stored since reset
        self.lost = 0                # samples lost to overruns (from timestamp gaps)
        self.partial = 0             # incomplete slots discarded (their sample counts in `lost`)
        self.other_words = 0         # words with tags we do not batch (ignored)

    def feed(self, buf, n_words):
        """Parse the first n_words words of buf. Returns the number of samples stored."""
        stored = 0
        slot = self.slot
        for w in range(n_words):
            off = w * WORD_LEN
            tag_byte = buf[off]
            tag = tag_byte >> 3
            cnt = (tag_byte >> 1) & 3
            if tag != TAG_GYRO and tag != TAG_ACCEL and tag != TAG_TIMESTAMP:
                self.other_words += 1
                continue
            if cnt != self.cur_cnt:
                if self.have:
                    self.partial += 1   # the rest of that slot was overwritten before we read it
                self.cur_cnt = cnt
                self.have = 0
            if tag == TAG_GYRO:
                for j in range(6):
                    slot[6 + j] = buf[off + 1 + j]
                self.have |= _HAVE_G
            elif tag == TAG_ACCEL:
                for j in range(6):
                    slot[j] = buf[off + 1 + j]
                self.have |= _HAVE_A
            else:
                self.slot_ts = buf[off + 1] | (buf[off + 2] << 8) | (buf[off + 3] << 16)
                self.have |= _HAVE_T
            if self.have == _COMPLETE:
                self._store()
                stored += 1
                self.have = 0
                self.cur_cnt = -1
        return stored

    def _store(self):
        ring = self.ring
        ts = self.slot_ts
        if self.last_ts < 0:
            index = ring.next_index
        else:
            tps = self.ticks_per_sample
            steps = (((ts - self.last_ts) & TS_MASK) + (tps >> 1)) // tps
            if steps < 1:
                steps = 1   # clock jitter can't reorder slots; never go backwards
            index = ring.next_index - 1 + steps
            self.lost += steps - 1
        self.last_ts = ts
        ring.put(index, self.slot, 0)
        self.samples += 1
