"""Constants of the ``.twr`` layout, shared by the writer and the reader (see docs/formats.md)."""

FORMAT_NAME = "twitchwatch-recording"
FORMAT_VERSION = 1
#: 8 bytes, PNG-style: a non-ASCII first byte and CR LF / ^Z / LF catch text-mode mangling.
FILE_MAGIC = b"\x89TWR\r\n\x1a\n"
BLOCK_MAGIC = b"TWB1"
END_MAGIC = b"TWE1"
#: Block head: magic (4) + first sample index u64 + sample count u32 + CRC32 u32, little-endian.
BLOCK_HEAD = 20
#: A block never holds more samples than this (bounds what one damaged block can take).
MAX_BLOCK_SAMPLES = 8192
#: int16 value meaning "this value was lost"; real values saturate at +-RAW_MAX.
LOST_VALUE = -32768
RAW_MAX = 32767
#: Headers and end records are small; anything larger is damage, not data.
MAX_JSON_BYTES = 1 << 20
