# Builds the encoding tables the firmware reads on the board.
#
# The GB2312 table maps Unicode code points to GB2312 byte pairs. CPython's
# gb2312 codec is the source; the board has no codec and searches this file.
# Layout (all big-endian), read by firmware/terminal/textenc.py:
#
#   header: magic "RSGB", version (u8), entry size (u8) = 4, entry count (u16),
#           entries per block (u16)
#   index:  the first code point (u16) of each block
#   blocks: entries sorted by code point: code point (u16), GB2312 bytes (2)

import os
import struct
import sys

_MAGIC = b"RSGB"
_VERSION = 1
_ENTRY_SIZE = 4
_PER_BLOCK = 64

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_GB2312_TABLE = os.path.join(REPO_ROOT, "build", "gb2312.bin")


def gb2312_entries():
    """(code point, two GB2312 bytes) for every non-ASCII character GB2312 holds."""
    entries = []
    for code in range(0x80, 0x10000):
        if 0xD800 <= code < 0xE000:
            continue
        try:
            encoded = chr(code).encode("gb2312")
        except UnicodeEncodeError:
            continue
        if len(encoded) == 2:
            entries.append((code, encoded))
    return entries


def gb2312_table_bytes():
    entries = gb2312_entries()
    starts = [entries[at][0] for at in range(0, len(entries), _PER_BLOCK)]
    parts = [struct.pack(">4sBBHH", _MAGIC, _VERSION, _ENTRY_SIZE, len(entries), _PER_BLOCK)]
    parts.extend(struct.pack(">H", start) for start in starts)
    parts.extend(struct.pack(">H", code) + encoded for code, encoded in entries)
    return b"".join(parts)


def build_gb2312_table(path=DEFAULT_GB2312_TABLE):
    """Writes the table to `path` (folders made as needed); returns its size."""
    data = gb2312_table_bytes()
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    partial = path + ".partial"
    with open(partial, "wb") as out:
        out.write(data)
    os.replace(partial, path)
    return len(data)


def ensure_gb2312_table(path=DEFAULT_GB2312_TABLE):
    """Builds the table only when `path` is missing or differs; True if it wrote."""
    wanted = gb2312_table_bytes()
    try:
        with open(path, "rb") as existing:
            if existing.read() == wanted:
                return False
    except OSError:
        pass
    build_gb2312_table(path)
    return True


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    path = args[0] if args else DEFAULT_GB2312_TABLE
    wrote = ensure_gb2312_table(path)
    print("%s %s" % ("wrote" if wrote else "up to date:", path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
