"""LSM6DSO / LSM6DSOX driver: configuration and FIFO draining over I2C.

It receives its bus (anything with readfrom_mem_into / writeto_mem, like machine.I2C), so the same
code runs against the real part and against the register model in tests. The FIFO batches gyro,
accel and a timestamp every output sample, in continuous mode; the host never sees Python timing,
only the sensor's clock (see fifo.py).

LSM6DS3TR-C (WHO_AM_I 0x6A) answers on the same addresses but has an untagged, pattern-based FIFO
with different registers; it is recognised and reported as unsupported rather than misread.
"""

try:
    from micropython import const  # pyright: ignore[reportAssignmentType]  # CPython fallback below is untyped
except ImportError:  # CPython
    def const(x):
        return x

from fifo import TICKS_PER_SAMPLE, WORD_LEN

WHO_AM_I = const(0x0F)
WHO_AM_I_LSM6DSO = const(0x6C)      # LSM6DSO and LSM6DSOX
WHO_AM_I_LSM6DS3TRC = const(0x6A)

FIFO_CTRL1 = const(0x07)   # WTM[7:0]
FIFO_CTRL2 = const(0x08)   # bit0 WTM8
FIFO_CTRL3 = const(0x09)   # BDR_GY[7:4] BDR_XL[3:0]
FIFO_CTRL4 = const(0x0A)   # DEC_TS_BATCH[7:6] ODR_T_BATCH[5:4] (bit 3 unused) FIFO_MODE[2:0]
INT1_CTRL = const(0x0D)
CTRL1_XL = const(0x10)
CTRL2_G = const(0x11)
CTRL3_C = const(0x12)
CTRL6_C = const(0x15)
CTRL7_G = const(0x16)
CTRL10_C = const(0x19)
FIFO_STATUS1 = const(0x3A)
FIFO_STATUS2 = const(0x3B)
FIFO_DATA_OUT_TAG = const(0x78)

FIFO_MODE_BYPASS = const(0x00)
FIFO_MODE_CONTINUOUS = const(0x06)
DEC_TS_EVERY_SAMPLE = const(0x40)   # DEC_TS_BATCH = 01
STATUS2_OVR = const(0x40)           # FIFO_OVR_IA
STATUS2_OVR_LATCHED = const(0x08)
INT1_FIFO_TH = const(0x08)
CTRL3_BDU_IF_INC = const(0x44)      # block data update + register address auto-increment
CTRL3_SW_RESET = const(0x01)
CTRL10_TIMESTAMP_EN = const(0x20)

# ODR codes shared by CTRL1_XL/CTRL2_G (bits 7:4) and FIFO_CTRL3 BDR fields
ODR_CODE = {104: 0x4, 208: 0x5, 416: 0x6}
# CTRL1_XL FS_XL[3:2] and CTRL2_G FS_G[3:1]: note the LSM6DSO's non-monotonic accel encoding
FS_XL_BITS = {2: 0x0, 16: 0x4, 4: 0x8, 8: 0xC}
FS_G_BITS = {250: 0x0, 500: 0x4, 1000: 0x8, 2000: 0xC}

# One I2C read from FIFO_DATA_OUT_TAG returns several 7-byte words: after 0x7E the register
# address rolls back to 0x78 (the Linux st_lsm6dsx driver reads its tagged FIFO the same way).
CHUNK_WORDS = const(24)       # words per I2C burst (168 bytes)
WATERMARK_WORDS = const(57)   # 19 samples x 3 words: about one full notification


class ImuError(Exception):
    pass


class LSM6DSO:
    def __init__(self, i2c, addresses):
        self.i2c = i2c
        self.addr = -1
        self.rate_hz = 0
        self.reg = bytearray(1)
        self.status = bytearray(2)
        self.chunk = bytearray(CHUNK_WORDS * WORD_LEN)
        mv = memoryview(self.chunk)
        self.views = [mv[:k * WORD_LEN] for k in range(CHUNK_WORDS + 1)]
        self.overruns = 0
        self.words_read = 0
        self.unsupported = ""
        for a in addresses:
            who = self._probe(a)
            if who == WHO_AM_I_LSM6DSO:
                self.addr = a
                break
            if who == WHO_AM_I_LSM6DS3TRC:
                self.unsupported = "LSM6DS3TR-C at 0x%02x (untagged FIFO): use an LSM6DSO/DSOX" % a

    @property
    def present(self):
        return self.addr >= 0

    def _probe(self, addr):
        try:
            self.i2c.readfrom_mem_into(addr, WHO_AM_I, self.reg)
        except OSError:
            return -1
        return self.reg[0]

    def _write(self, reg, value):
        self.reg[0] = value
        self.i2c.writeto_mem(self.addr, reg, self.reg)

    def _read(self, reg):
        self.i2c.readfrom_mem_into(self.addr, reg, self.reg)
        return self.reg[0]

    def configure(self, rate_hz, accel_g, gyro_dps):
        """(Re)start sampling: high-performance mode, the given ODR and full scales, FIFO cleared.

        Raises OSError if the bus fails; the caller reports IMU read failed.
        """
        if not self.present:
            raise ImuError("no LSM6DSO on the bus")
        odr = ODR_CODE[rate_hz]
        self._write(FIFO_CTRL4, FIFO_MODE_BYPASS)     # empties the FIFO
        self._write(CTRL3_C, CTRL3_BDU_IF_INC)
        self._write(CTRL6_C, 0x00)                    # XL_HM_MODE = 0: high-performance
        self._write(CTRL7_G, 0x00)                    # G_HM_MODE = 0: high-performance
        self._write(CTRL1_XL, (odr << 4) | FS_XL_BITS[accel_g])
        self._write(CTRL2_G, (odr << 4) | FS_G_BITS[gyro_dps])
        self._write(CTRL10_C, CTRL10_TIMESTAMP_EN)
        self._write(FIFO_CTRL1, WATERMARK_WORDS & 0xFF)
        self._write(FIFO_CTRL2, (WATERMARK_WORDS >> 8) & 0x01)
        self._write(FIFO_CTRL3, (odr << 4) | odr)     # batch gyro and accel at the ODR
        self._write(INT1_CTRL, INT1_FIFO_TH)          # INT1 goes high at the watermark
        self._write(FIFO_CTRL4, DEC_TS_EVERY_SAMPLE | FIFO_MODE_CONTINUOUS)
        self.rate_hz = rate_hz
        return TICKS_PER_SAMPLE[rate_hz]

    def power_down(self):
        if self.present:
            self._write(FIFO_CTRL4, FIFO_MODE_BYPASS)
            self._write(CTRL1_XL, 0)
            self._write(CTRL2_G, 0)

    def drain(self, parser, max_words):
        """Read what the FIFO holds (at most max_words) into `parser`. Returns samples stored.

        An overrun (FIFO_OVR_IA) is counted; the samples it cost show up as a timestamp gap in the
        parser, so indices stay true. No allocation.
        """
        i2c = self.i2c
        st = self.status
        i2c.readfrom_mem_into(self.addr, FIFO_STATUS1, st)
        words = st[0] | ((st[1] & 0x03) << 8)
        if st[1] & STATUS2_OVR_LATCHED:   # cleared by this read: one count per overrun episode
            self.overruns += 1
        if words > max_words:
            words = max_words
        stored = 0
        while words > 0:
            k = words if words < CHUNK_WORDS else CHUNK_WORDS
            i2c.readfrom_mem_into(self.addr, FIFO_DATA_OUT_TAG, self.views[k])
            stored += parser.feed(self.chunk, k)
            self.words_read += k
            words -= k
        return stored
