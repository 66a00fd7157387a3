"""Register-level model of an LSM6DSO on I2C, for running the firmware without the part.

Runs under MicroPython (inside the fake `machine`) and CPython. Modelled: WHO_AM_I 0x6C; CTRL1_XL /
CTRL2_G ODR and full-scale fields; CTRL3_C (SW_RESET, auto-increment); CTRL10_C TIMESTAMP_EN;
FIFO_CTRL1-4 (watermark, BDR, timestamp batching, bypass/continuous mode); FIFO_STATUS1/2 (level,
watermark, overrun and latched overrun, cleared on read); FIFO_DATA_OUT_TAG + 6 bytes, read in
bursts with the address rolling over from 0x7E to 0x78. Each output sample puts three tagged words
in a time slot (gyro 0x01, accel 0x02, timestamp 0x04; TAG_CNT = slot mod 4). The FIFO holds 512
words; when full, continuous mode drops the oldest word (real overrun behaviour).

Timing comes from `clock()` (seconds), scaled by `speed`, at the part's real rates (6667 Hz / 2^k,
so "208 Hz" is 208.34 Hz); the timestamp counts 25 us ticks from power-on. The samples' values come
from `source.row(k, buf)` (fills 12 bytes ax ay az gx gy gz, returns False when exhausted).
"""

WHO_AM_I_VALUE = 0x6C
FIFO_WORDS = 512
_ODR_DIV = {4: 64, 5: 32, 6: 16}       # ODR code -> 6667 Hz divider (104, 208, 416 Hz)
_REG_FIFO_CTRL4 = 0x0A
_REG_CTRL1_XL = 0x10
_REG_CTRL2_G = 0x11
_REG_CTRL3_C = 0x12
_REG_CTRL10_C = 0x19
_REG_FIFO_STATUS1 = 0x3A
_REG_FIFO_STATUS2 = 0x3B
_REG_TAG = 0x78


class LSM6DSOModel:
    def __init__(self, source, clock, speed=1.0, address=0x6B):
        self.source = source
        self.clock = clock
        self.speed = speed
        self.address = address
        self.regs = bytearray(128)
        self.t0 = clock()
        self._power_on()
        self.fifo = bytearray(FIFO_WORDS * 7)   # circular store of 7-byte words
        self.head = 0        # index of the oldest word
        self.level = 0
        self.word_pos = 0    # byte within the word being read (burst reads)
        self.row = bytearray(12)
        self.rows_used = 0   # rows taken from the source (the true sample stream)
        self.overwritten_words = 0
        self.overruns = 0
        self.ovr_now = False
        self.ovr_latched = False
        self.running = False
        self.exhausted = False

    def _power_on(self):
        self.regs[0x0F] = WHO_AM_I_VALUE
        self.regs[_REG_CTRL3_C] = 0x04

    # ---- time ------------------------------------------------------------------------------------
    def sensor_s(self):
        return (self.clock() - self.t0) * self.speed

    def _start(self):
        odr_xl = self.regs[_REG_CTRL1_XL] >> 4
        odr_g = self.regs[_REG_CTRL2_G] >> 4
        bdr = self.regs[0x09]
        ts_batch = self.regs[_REG_FIFO_CTRL4] >> 6
        if odr_xl not in _ODR_DIV or odr_g != odr_xl or bdr != (odr_g << 4 | odr_xl):
            self.running = False   # a configuration the firmware never uses: no data
            return
        if not (self.regs[_REG_CTRL10_C] & 0x20) or ts_batch != 1:
            self.running = False
            return
        self.div = _ODR_DIV[odr_xl]
        self.tps = 6 * self.div                       # 40 kHz ticks per sample
        self.start_s = self.sensor_s()
        self.start_ts = int(self.start_s * 40000)
        self.slots = 0
        self.running = True

    def _advance(self):
        if not self.running or self.exhausted:
            return
        due = int((self.sensor_s() - self.start_s) * 6667 / self.div)
        while self.slots < due:
            if not self.source.row(self.rows_used, self.row):
                self.exhausted = True
                return
            self.rows_used += 1
            cnt = (self.slots & 3) << 1
            ts = (self.start_ts + (self.slots + 1) * self.tps) & 0xFFFFFFFF
            r = self.row
            self._push(0x01 << 3 | cnt, r[6], r[7], r[8], r[9], r[10], r[11])
            self._push(0x02 << 3 | cnt, r[0], r[1], r[2], r[3], r[4], r[5])
            self._push(0x04 << 3 | cnt, ts & 0xFF, (ts >> 8) & 0xFF, (ts >> 16) & 0xFF,
                       ts >> 24, 0, 0)
            self.slots += 1

    def _push(self, tag, b0, b1, b2, b3, b4, b5):
        if self.level == FIFO_WORDS:
            self.head = (self.head + 1) % FIFO_WORDS      # continuous mode: oldest word lost
            self.level -= 1
            self.overwritten_words += 1
            if not self.ovr_now:
                self.overruns += 1
            self.ovr_now = True
            self.ovr_latched = True
        pos = ((self.head + self.level) % FIFO_WORDS) * 7
        f = self.fifo
        f[pos] = tag
        f[pos + 1] = b0
        f[pos + 2] = b1
        f[pos + 3] = b2
        f[pos + 4] = b3
        f[pos + 5] = b4
        f[pos + 6] = b5
        self.level += 1

    # ---- bus ---------------------------------------------------------------------------------------
    def read(self, reg, buf):
        self._advance()
        for i in range(len(buf)):
            if reg >= _REG_TAG and reg <= 0x7E:
                buf[i] = self._fifo_byte()
                reg = _REG_TAG + self.word_pos   # the address rolls over within the FIFO output
                continue
            buf[i] = self._reg_value(reg)
            reg += 1

    def _fifo_byte(self):
        if self.level == 0:
            value = 0
        else:
            value = self.fifo[self.head * 7 + self.word_pos]
        self.word_pos += 1
        if self.word_pos == 7:
            self.word_pos = 0
            if self.level:
                self.head = (self.head + 1) % FIFO_WORDS
                self.level -= 1
                if self.level < FIFO_WORDS:
                    self.ovr_now = False
        return value

    def _reg_value(self, reg):
        if reg == _REG_FIFO_STATUS1:
            return self.level & 0xFF
        if reg == _REG_FIFO_STATUS2:
            wtm = (self.regs[0x07] | ((self.regs[0x08] & 1) << 8))
            v = (self.level >> 8) & 3
            if wtm and self.level >= wtm:
                v |= 0x80
            if self.ovr_now:
                v |= 0x40
            if self.level == FIFO_WORDS:
                v |= 0x20
            if self.ovr_latched:
                v |= 0x08
                self.ovr_latched = False     # FIFO_OVR_LATCHED resets when read
            return v
        return self.regs[reg & 0x7F]

    def write(self, reg, buf):
        self._advance()
        for b in buf:
            self._write_reg(reg & 0x7F, b)
            reg += 1

    def _write_reg(self, reg, value):
        if reg in (0x0F, _REG_FIFO_STATUS1, _REG_FIFO_STATUS2) or reg >= _REG_TAG:
            return   # read-only
        if reg == _REG_CTRL3_C and value & 0x01:
            self.regs = bytearray(128)
            self._power_on()
            self.level = 0
            self.running = False
            return
        self.regs[reg] = value
        if reg == _REG_FIFO_CTRL4:
            mode = value & 0x07
            if mode == 0:
                self.level = 0
                self.head = 0
                self.word_pos = 0
                self.running = False
                self.ovr_now = False
                self.ovr_latched = False
            elif mode == 6:
                self._start()
        elif reg in (_REG_CTRL1_XL, _REG_CTRL2_G) and (self.regs[_REG_FIFO_CTRL4] & 7) == 6:
            self._start()
