"""Fake `machine` for running the firmware on the MicroPython unix port (tests only).

I2C serves the LSM6DSO register model (lsm6dso_model.py) at 0x6B; its samples come from a binary
file of little-endian int16 rows (ax ay az gx gy gz), named by TWW_FAKE_SAMPLES, and its clock runs
TWW_FAKE_SPEED times faster than the wall clock. Pin and ADC are just enough for the LED and the
battery divider (the ADC reads 1.95 V: a 3.9 V cell).
"""

import os
import time

from lsm6dso_model import LSM6DSOModel


class _FileSource:
    def __init__(self, path):
        self.f = open(path, "rb")
        self.f.seek(0, 2)
        self.rows = self.f.tell() // 12
        self.pos = -1

    def row(self, k, buf):
        if k >= self.rows:
            return False
        if k != self.pos:
            self.f.seek(k * 12)
        self.f.readinto(buf)
        self.pos = k + 1
        return True


class _Zeros:
    def row(self, k, buf):
        for i in range(12):
            buf[i] = 0
        return True


def _clock():
    return time.ticks_us() / 1e6


_model = None


def imu_model():
    """The one simulated IMU (created on first use, like the part powering up)."""
    global _model
    if _model is None:
        path = os.getenv("TWW_FAKE_SAMPLES")
        speed = float(os.getenv("TWW_FAKE_SPEED") or "1")
        source = _FileSource(path) if path else _Zeros()
        _model = LSM6DSOModel(source, _clock, speed)
    return _model


class I2C:
    def __init__(self, id=0, scl=None, sda=None, freq=400000):
        self.model = imu_model() if os.getenv("TWW_FAKE_NO_IMU") is None else None

    def _check(self, addr):
        if self.model is None or addr != self.model.address:
            raise OSError(19)   # ENODEV: nobody acknowledged the address

    def scan(self):
        return [] if self.model is None else [self.model.address]

    def readfrom_mem_into(self, addr, memaddr, buf):
        self._check(addr)
        self.model.read(memaddr, buf)

    def readfrom_mem(self, addr, memaddr, nbytes):
        buf = bytearray(nbytes)
        self.readfrom_mem_into(addr, memaddr, buf)
        return bytes(buf)

    def writeto_mem(self, addr, memaddr, buf):
        self._check(addr)
        self.model.write(memaddr, buf)


class Pin:
    IN = 0
    OUT = 1
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, id, mode=-1, value=None):
        self.id = id
        self._value = 0 if value is None else value
        self.handler = None

    def value(self, v=None):
        if v is None:
            return self._value
        self._value = v

    def irq(self, handler=None, trigger=1):
        self.handler = handler   # INT1 is not simulated: the firmware's poll covers it


class ADC:
    ATTN_11DB = 3

    def __init__(self, pin):
        self.pin = pin

    def atten(self, a):
        pass

    def read_uv(self):
        return 1950000
