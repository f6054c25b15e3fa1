# Text to the bytes a thermal printer prints, from the project's own tables.
#
# MicroPython ignores the codec name in str.encode() and always sends UTF-8, so
# no codec is ever asked for here: ASCII passes through, Latin text maps via a
# 128-character table per code page, and Chinese text via the GB2312 table file
# that host_tools/reslip/tables.py builds on the PC (format in docs/printer.md).
# The table file is searched with seeks, one block at a time, never loaded whole.
#
# Anything that cannot be printed becomes '?', control characters included, so
# text can never smuggle a printer command into a job.

from micropython import const
import struct

_QUESTION = const(0x3F)

# The characters of bytes 0x80..0xFF, in byte order.
_CODE_PAGES = {
    "cp437": (
        "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐"
        "└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0"
    ),
    "cp858": (
        "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐"
        "└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈ€ÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u00ad±‗¾¶§÷¸°¨·¹³²■\u00a0"
    ),
}

# GB2312 table file: header, then the first code point of every block, then
# the blocks of fixed-size entries sorted by code point.
TABLE_MAGIC = b"RSGB"
TABLE_VERSION = const(1)
TABLE_HEADER = ">4sBBHH"  # magic, version, entry size, entry count, entries per block
_HEADER_SIZE = const(10)
_ENTRY_SIZE = const(4)  # code point (u16 BE), then the two GB2312 bytes


def code_page_names():
    return sorted(_CODE_PAGES)


class TextEncoder:
    """Encodes text for one printer setup.

    With a GB2312 table the printer is taken to be in Chinese mode: every byte
    of 0x80 and above belongs to a two-byte GB2312 character, so non-ASCII text
    goes through the table only. Without one, non-ASCII text goes through the
    code page and Chinese becomes '?'. `problem` is None or a short message
    (for the screen) when the table file is missing or damaged.
    """

    def __init__(self, gb2312_table_path=None, code_page="cp437"):
        if code_page not in _CODE_PAGES:
            raise ValueError("unknown code page " + code_page)
        self.code_page = code_page
        self._high_chars = _CODE_PAGES[code_page]
        self.problem = None
        self._table = None
        self._block_starts = None
        self._block = None
        self._cache = {}
        if gb2312_table_path is not None:
            self._open_table(gb2312_table_path)

    @property
    def chinese(self):
        """True when non-ASCII text is encoded as GB2312 (printer in Chinese mode)."""
        return self._table is not None

    def close(self):
        if self._table is not None:
            self._table.close()
            self._table = None

    def encode(self, text):
        """The printer bytes for `text`; never raises for an odd character."""
        out = bytearray()
        for char in text:
            code = ord(char)
            if 0x20 <= code < 0x7F:
                out.append(code)
            elif code < 0x80:
                out.append(_QUESTION)  # control characters never reach the printer
            elif self._table is not None:
                out.extend(self._gb2312(code))
            else:
                at = self._high_chars.find(char)
                out.append(0x80 + at if at >= 0 else _QUESTION)
        return bytes(out)

    def width(self, text):
        """Columns `text` takes when printed: a GB2312 character takes two."""
        return len(self.encode(text))

    def _open_table(self, path):
        try:
            table = open(path, "rb")
        except OSError:
            self.problem = "GB2312 TABLE MISSING"
            return
        header = table.read(_HEADER_SIZE)
        ok = len(header) == _HEADER_SIZE
        if ok:
            magic, version, entry_size, count, per_block = struct.unpack(TABLE_HEADER, header)
            ok = (magic == TABLE_MAGIC and version == TABLE_VERSION
                  and entry_size == _ENTRY_SIZE and count > 0 and per_block > 0)
        if ok:
            blocks = (count + per_block - 1) // per_block
            starts = table.read(2 * blocks)
            ok = len(starts) == 2 * blocks
        if not ok:
            table.close()
            self.problem = "GB2312 TABLE DAMAGED"
            return

        # Only the block index stays in RAM (about 240 bytes for GB2312).
        self._table = table
        self._count = count
        self._per_block = per_block
        self._blocks = blocks
        self._block_starts = starts
        self._entries_at = _HEADER_SIZE + 2 * blocks
        self._block = bytearray(_ENTRY_SIZE * per_block)

    def _gb2312(self, code):
        found = self._cache.get(code)
        if found is not None:
            return found
        found = self._lookup(code)
        if len(self._cache) >= 64:
            self._cache.clear()  # slips repeat the same labels; a small cache is enough
        self._cache[code] = found
        return found

    def _lookup(self, code):
        if code > 0xFFFF:
            return b"?"

        # The last block whose first code point is not above `code`.
        starts = self._block_starts
        low, high = 0, self._blocks - 1
        if code < (starts[0] << 8 | starts[1]):
            return b"?"
        while low < high:
            middle = (low + high + 1) // 2
            if (starts[2 * middle] << 8 | starts[2 * middle + 1]) <= code:
                low = middle
            else:
                high = middle - 1

        # One seek and one read for that block, then a search inside it.
        first = low * self._per_block
        entries = min(self._per_block, self._count - first)
        self._table.seek(self._entries_at + first * _ENTRY_SIZE)
        block = memoryview(self._block)[:entries * _ENTRY_SIZE]
        if self._table.readinto(block) != len(block):
            self.problem = "GB2312 TABLE DAMAGED"
            return b"?"
        low, high = 0, entries - 1
        while low <= high:
            middle = (low + high) // 2
            at = middle * _ENTRY_SIZE
            here = block[at] << 8 | block[at + 1]
            if here == code:
                return bytes(block[at + 2:at + 4])
            if here < code:
                low = middle + 1
            else:
                high = middle - 1
        return b"?"
