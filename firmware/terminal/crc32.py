# CRC-32 as zlib computes it (CRC-32/ISO-HDLC): polynomial 0x04C11DB7,
# reflected in and out, initial value and final XOR 0xFFFFFFFF. The check
# value of b"123456789" is 0xCBF43926.
#
# The journal and the serial link both frame their data with it. Every port we
# target ships binascii.crc32 in C; the table below is for a build without it.

from micropython import const

try:
    from binascii import crc32 as _native_crc32
except ImportError:
    _native_crc32 = None

_REFLECTED_POLYNOMIAL = const(0xEDB88320)
_MASK = const(0xFFFFFFFF)

_table = None


def _make_table():
    table = []
    for index in range(256):
        value = index
        for _ in range(8):
            value = (value >> 1) ^ _REFLECTED_POLYNOMIAL if value & 1 else value >> 1
        table.append(value)
    return table


def table_crc32(data, value=0):
    """The same CRC in pure Python: slow, but needs nothing from the port."""
    global _table
    if _table is None:
        _table = _make_table()
    table = _table

    # The running value is kept inverted between calls, as zlib does, so a
    # CRC can be continued over several pieces.
    value = (value ^ _MASK) & _MASK
    for byte in data:
        value = table[(value ^ byte) & 0xFF] ^ (value >> 8)
    return value ^ _MASK


def crc32(data, value=0):
    """CRC-32 of data, continued from value (the CRC of what came before)."""
    if _native_crc32 is not None:
        return _native_crc32(data, value) & _MASK
    return table_crc32(data, value)
