"""Board wiring and fixed defaults for the Seeed XIAO ESP32S3 + LSM6DSO build.

The hardware guide's pin map (hardware/pins.toml) is tested against these constants, so change
both together. Everything here is plain data: importable under CPython and MicroPython.
"""

try:
    from micropython import const  # pyright: ignore[reportAssignmentType]  # CPython fallback below is untyped
except ImportError:  # CPython (tests, host tools)
    def const(x):
        return x

# --- wiring (XIAO ESP32S3 GPIO numbers) -------------------------------------------------------
I2C_ID = 0
PIN_SDA = 5        # XIAO D4
PIN_SCL = 6        # XIAO D5
PIN_IMU_INT1 = 4   # XIAO D3
PIN_LED = 21       # on-board user LED, active low
PIN_BAT_ADC = 1    # XIAO D0/A0, via a 2 x 100 kOhm divider from BAT+
I2C_FREQ_HZ = 400000
IMU_ADDRESSES = (0x6B, 0x6A)   # SA0 high (breakouts' default), then SA0 low

# --- firmware identity --------------------------------------------------------------------------
FW_VERSION = (1, 0, 0)
MANUFACTURER = "twitchwatch"
MODEL = "XIAO-ESP32S3+LSM6DSO"
NAME_PREFIX = "TWW-"
NAME_MAX_LEN = 12          # PROTOCOL.md: at most 12 characters in all
SETTINGS_FILE = "settings.json"   # optional, on the board: {"name": "left-thumb"}

# --- sampling defaults (PROTOCOL.md codes) ------------------------------------------------------
DEFAULT_RATE_HZ = const(208)
DEFAULT_ACCEL_G = const(4)
DEFAULT_GYRO_DPS = const(500)

# RAM ring, allocated once: 26624 samples x 12 B = 312 kB = 64 s at 416 Hz, 128 s at 208 Hz (the
# default), 256 s at 104 Hz. It needs the PSRAM firmware build (the XIAO ESP32S3 has 8 MB octal
# PSRAM); the whole firmware is held to HEAP_BUDGET_BYTES on the unix port in tests.
RING_SAMPLES = const(26624)

# --- BLE ----------------------------------------------------------------------------------------
CONN_INTERVAL_MIN_MS = 7.5
CONN_INTERVAL_MAX_MS = 15
MTU_REQUEST = const(247)
ADV_INTERVAL_US = const(100000)

# --- battery ------------------------------------------------------------------------------------
BAT_DIVIDER = 2            # 2 x 100 kOhm
BAT_EMPTY_MV = const(3300)
BAT_FULL_MV = const(4150)

# Heap the whole firmware must run in (tests run the unix port with -X heapsize=this). The board has
# far more with PSRAM; the budget keeps headroom and catches leaks. Objects on the 64-bit unix port
# are larger than on the 32-bit ESP32, so the same limit is stricter there.
HEAP_BUDGET_BYTES = 512 * 1024
