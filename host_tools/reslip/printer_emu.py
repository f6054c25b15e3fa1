"""A thermal printer on the PC: decodes an ESC/POS byte stream into slips.

It stands in for the printer in the simulation and the tests:

* as a UART (``write``, ``read``, ``any``) it answers status queries and, given
  a clock, models a small input buffer that drops bytes on overflow and a
  print head of a given speed, like the real units (no flow control);
* its faults are set by hand or part way through a job: paper running out
  after a number of rows, the cover open, offline, a line with no replies,
  or a wrong baud rate (replies and input turn to garbage);
* it decodes text (Chinese mode: GB2312 pairs; otherwise the selected code
  page), alignment, bold, double size, feeds, cuts, CODE39 barcodes, QR codes
  (GS ( k) and raster images (GS v 0), and lists every command it does not know;
* it renders each slip as a PNG 384 dots wide (QR codes drawn with segno).

Slips are split by a clear rule: a slip ends at a cut (GS V), at an ESC @ that
follows printed content (the next job begins), or, when ``split_blank_lines``
is set, after that many blank lines in a row.
"""

import importlib.util
import os
import shutil
import subprocess
import unicodedata

from terminal.escpos import get_profile

_CODE_PAGES = {0: "cp437", 2: "cp850", 16: "cp1252", 19: "cp858"}

# ESC commands with a fixed number of parameter bytes, by command byte.
_ESC_PARAMS = {
    0x40: 0, 0x32: 0, 0x61: 1, 0x45: 1, 0x21: 1, 0x64: 1, 0x4A: 1, 0x74: 1, 0x2D: 1,
    0x33: 1, 0x52: 1, 0x7B: 1, 0x3D: 1, 0x38: 2, 0x37: 3, 0x76: 1, 0x47: 1, 0x4D: 1,
}
_GS_PARAMS = {0x21: 1, 0x68: 1, 0x77: 1, 0x48: 1, 0x72: 1, 0x42: 1, 0x61: 1, 0x66: 1}

# CODE39 bar patterns: nine elements, bar first, 1 = wide.
_CODE39 = {
    "0": "000110100", "1": "100100001", "2": "001100001", "3": "101100000",
    "4": "000110001", "5": "100110000", "6": "001110000", "7": "000100101",
    "8": "100100100", "9": "001100100", "A": "100001001", "B": "001001001",
    "C": "101001000", "D": "000011001", "E": "100011000", "F": "001011000",
    "G": "000001101", "H": "100001100", "I": "001001100", "J": "000011100",
    "K": "100000011", "L": "001000011", "M": "101000010", "N": "000010011",
    "O": "100010010", "P": "001010010", "Q": "000000111", "R": "100000110",
    "S": "001000110", "T": "000010110", "U": "110000001", "V": "011000001",
    "W": "111000000", "X": "010010001", "Y": "110010000", "Z": "011010000",
    "-": "010000101", ".": "110000100", " ": "011000100", "*": "010010100",
    "$": "010101000", "/": "010100010", "+": "010001010", "%": "000101010",
}

DOTS_PER_LINE = 384
_GLYPH_HEIGHT = 24
_LINE_SPACING = 6
_HALF_WIDTH = 12


class Row:
    """One printed text line: cells of (char, columns, bold, width x, height x)."""

    def __init__(self, align):
        self.align = align
        self.cells = []

    @property
    def text(self):
        return "".join(cell[0] for cell in self.cells)

    @property
    def height(self):
        tallest = max([cell[4] for cell in self.cells] or [1])
        return _GLYPH_HEIGHT * tallest + _LINE_SPACING

    def __repr__(self):
        return "Row(%r)" % self.text


class Barcode:
    def __init__(self, kind, value, height_dots, module_dots, align):
        self.kind = kind
        self.value = value
        self.height_dots = height_dots
        self.module_dots = module_dots
        self.align = align

    @property
    def text(self):
        return "[%s %s]" % (self.kind, self.value)

    @property
    def height(self):
        return self.height_dots + _GLYPH_HEIGHT + _LINE_SPACING


class Raster:
    """One band of a GS v 0 image: rows of `row_bytes`, a set bit is a black dot."""

    def __init__(self, row_bytes, rows, data, align):
        self.row_bytes = row_bytes
        self.rows = rows
        self.data = data
        self.align = align
        self.text = "[IMAGE %dx%d]" % (8 * row_bytes, rows)
        self.height = rows


class QrCode:
    """A stored QR symbol printed by GS ( k function 81."""

    def __init__(self, value, module_dots, level, align):
        import segno

        self.value = value
        self.module_dots = max(1, module_dots)
        self.level = level
        self.align = align
        self.matrix = segno.make_qr(value, error=level, boost_error=False).matrix
        self.text = "[QR %s]" % value
        self.height = len(self.matrix) * self.module_dots


class Feed:
    """Blank paper of `dots` height."""

    def __init__(self, dots):
        self.dots = dots
        self.text = ""
        self.height = dots


class Slip:
    def __init__(self, raw, rows, cut):
        self.raw = raw
        self.rows = rows
        self.cut = cut

    @property
    def text(self):
        """The printed lines, blank feeds included, joined by newlines."""
        lines = []
        for row in self.rows:
            if isinstance(row, Feed):
                lines.extend([""] * max(1, row.dots // (_GLYPH_HEIGHT + _LINE_SPACING)))
            else:
                lines.append(row.text)
        return "\n".join(lines)

    def render_png(self, path):
        """Draws the slip 384 dots wide and writes it to `path`; returns the image."""
        image = render(self.rows)
        image.save(path)
        return image


class PrinterEmulator:
    """An emulated printer of profile `profile_name`.

    With `clock_ms` (a function giving milliseconds) and `buffer_bytes`, bytes
    written while the input buffer is full are dropped and counted in
    `dropped_bytes`; the head prints each line in the profile's time unless
    `dot_print_us` / `dot_feed_us` say otherwise. `paper_out_after_rows` runs
    the paper out after that many printed rows. While the paper is out or the
    cover open nothing prints (`lost_rows` counts it). `rx_wired=False` never
    replies; `wrong_baud` garbles replies and decodes nothing it is sent.
    """

    def __init__(self, profile_name="qr204", paper_mm=58, clock_ms=None, buffer_bytes=None,
                 dot_print_us=None, dot_feed_us=None, split_blank_lines=None,
                 paper_out_after_rows=None, cover_open=False, offline=False,
                 rx_wired=True, wrong_baud=False):
        self.profile = get_profile(profile_name)
        self.paper_mm = paper_mm
        self.clock_ms = clock_ms
        self.buffer_bytes = buffer_bytes
        self.dot_print_us = dot_print_us or self.profile.dot_print_us
        self.dot_feed_us = dot_feed_us or self.profile.dot_feed_us
        self.split_blank_lines = split_blank_lines
        self.paper_out_after_rows = paper_out_after_rows
        self.paper_out = False
        self.cover_open = cover_open
        self.offline = offline
        self.rx_wired = rx_wired
        self.wrong_baud = wrong_baud
        self.garbled_bytes = 0
        self.head_us_total = 0  # head time of everything printed: the least a job can take
        self.unknown_commands = []
        self.dropped_bytes = 0
        self.lost_rows = 0
        self.printed_rows = 0
        self.stream = bytearray()
        self._pending = bytearray()
        self._replies = bytearray()
        self._slips = []
        self._slip_start = 0
        self._rows = []
        self._blank_run = 0
        self._units = []  # [arrived ms, bytes, head µs] of work the head has not started
        self._open_unit = [0, 0, 0]
        self._closing_us = -1  # head time of a unit whose last command is being decoded
        self._head_free_ms = 0
        self._buffered = 0
        self._now = 0
        self.head_busy_until_ms = 0
        self._reset()

    # The UART side.

    def write(self, data):
        """Bytes from the host; returns their count even when some are dropped."""
        data = bytes(data)
        given = len(data)
        if self.clock_ms is not None and self.buffer_bytes is not None:
            now = self.clock_ms()
            self._drain(now)
            room = max(0, self.buffer_bytes - self._buffered)
            if len(data) > room:
                self.dropped_bytes += len(data) - room
                data = data[:room]
            self._buffered += len(data)
            self._now = now
        if self.wrong_baud:
            # Bytes at the wrong rate arrive as other bytes: nothing is decoded,
            # a query is not recognised, and what comes back is noise.
            self.garbled_bytes += len(data)
            self.stream.extend(data)
            if self.rx_wired:
                self._replies.extend(b"\xfe\xe0" * (len(data) // 3))
            return given
        self.feed(data)
        return given

    def read(self, count=1):
        if not self._replies:
            return None
        data = bytes(self._replies[:count])
        del self._replies[:count]
        return data

    def any(self):
        return len(self._replies)

    def load_paper(self):
        self.paper_out = False
        self.paper_out_after_rows = None

    def status_reply(self, query):
        """The reply byte(s) to one status query, or b'' for a query it ignores."""
        out = self.paper_out
        if query[:2] == b"\x10\x04" and len(query) >= 3:
            n = query[2]
            stopped = out or self.cover_open or self.offline
            if n == 1:
                return bytes((0x12 | (0x08 if stopped else 0),))
            if n == 2:
                return bytes((0x12 | (0x04 if self.cover_open else 0)
                              | (0x20 if out else 0),))
            if n == 3:
                return b"\x12"
            if n == 4:
                return bytes((0x12 | (0x60 if out else 0),))
            return b""
        if query[:2] == b"\x1bv":
            return b"\x04" if out else b"\x00"
        if query[:2] == b"\x1dr":
            return b"\x0c" if out else b"\x00"
        return b""

    # Decoding.

    def feed(self, data):
        """Decodes a piece of the stream; pieces may split commands anywhere."""
        self.stream.extend(data)
        self._pending.extend(data)
        at = 0
        while at < len(self._pending):
            used = self._step(at)
            if used == 0:
                break  # an incomplete command: wait for the rest
            at += used
            self._open_unit[0] = self._now
            self._open_unit[1] += used
            if self._closing_us >= 0 and self.clock_ms is not None:
                self._end_unit()
            self._closing_us = -1
        del self._pending[:at]

    def slips(self):
        """Every slip so far, the one still open included if it printed anything."""
        result = list(self._slips)
        if self._has_content():
            result.append(Slip(bytes(self.stream[self._slip_start:]), list(self._rows), False))
        return result

    def _reset(self):
        self.align = "left"
        self.bold = False
        self.width_x = 1
        self.height_x = 1
        self.chinese = self.profile.chinese
        self.code_page = "cp437"
        self.barcode_height = 162
        self.barcode_module = 3
        self.qr_module = 3
        self.qr_level = "L"
        self.qr_data = ""
        self._row = Row(self.align)

    def _step(self, at):
        """Handles the item at `at` of the pending bytes; returns bytes used (0: need more)."""
        data = self._pending
        byte = data[at]
        left = len(data) - at

        if byte == 0x0A:
            self._end_row()
            self._close_unit(self._row_us())
            return 1
        if byte == 0x0D:
            return 1
        if byte == 0x1B:
            return self._esc(at, left)
        if byte == 0x1D:
            return self._gs(at, left)
        if byte == 0x1C:
            if left < 2:
                return 0
            command = data[at + 1]
            if command in (0x26, 0x2E) and self.profile.fs_commands:
                self.chinese = command == 0x26
            else:
                self._unknown(data[at:at + 2])
            return 2
        if byte == 0x10:
            if left < 3:
                return 0
            self._query(bytes(data[at:at + 3]))
            return 3
        if byte == 0x12:
            if left < 2:
                return 0
            if data[at + 1] == 0x23:
                return 3 if left >= 3 else 0
            if data[at + 1] != 0x54:
                self._unknown(data[at:at + 2])
            return 2
        if byte < 0x20 or byte == 0x7F:
            self._unknown(data[at:at + 1])
            return 1
        if byte < 0x80:
            self._put(chr(byte), 1)
            return 1
        if self.chinese:
            if left < 2:
                return 0
            pair = bytes(data[at:at + 2])
            try:
                self._put(pair.decode("gb2312"), 2)
            except UnicodeDecodeError:
                self._put("\ufffd", 2)
            return 2
        self._put(bytes((byte,)).decode(self.code_page, "replace"), 1)
        return 1

    def _esc(self, at, left):
        data = self._pending
        if left < 2:
            return 0
        command = data[at + 1]
        count = _ESC_PARAMS.get(command)
        if count is None:
            self._unknown(data[at:at + 2])
            return 2
        if left < 2 + count:
            return 0
        value = data[at + 2] if count else 0
        if command == 0x40:
            if self._has_content():
                self._end_slip(at_cut=False, end=len(self.stream) - len(data) + at)
            self._reset()
        elif command == 0x61:
            where = value - 48 if value >= 48 else value
            if not 0 <= where <= 2:
                self._unknown(data[at:at + 3])
                return 3
            self.align = ("left", "center", "right")[where]
            if not self._row.cells:
                self._row.align = self.align
        elif command == 0x45:
            self.bold = bool(value & 1)
        elif command == 0x21:
            self.bold = bool(value & 0x08)
            self.height_x = 2 if value & 0x10 else 1
            self.width_x = 2 if value & 0x20 else 1
        elif command == 0x64:
            self._feed_lines(value)
        elif command == 0x4A:
            self._end_row(blank_ok=False)
            self._paper(Feed(value))
            self._close_unit(value * self.dot_feed_us)
        elif command == 0x74:
            page = _CODE_PAGES.get(value)
            if page is None:
                self._unknown(data[at:at + 3])
            else:
                self.code_page = page
        elif command == 0x76:
            self._query(bytes(data[at:at + 3]))
        return 2 + count

    def _gs(self, at, left):
        data = self._pending
        if left < 3:
            return 0
        command = data[at + 1]
        value = data[at + 2]
        if command == 0x56:  # GS V m [n]: cut
            used = 4 if value >= 65 else 3
            if left < used:
                return 0
            if not self.profile.cutter:
                self._unknown(data[at:at + used])
                return used
            self._end_row(blank_ok=False)
            self._end_slip(at_cut=True, end=len(self.stream) - len(data) + at + used)
            self._close_unit(self.profile.cut_ms * 1000)
            return used
        if command == 0x76:  # GS v 0 m xL xH yL yH data: raster image
            if left < 8:
                return 0
            row_bytes = data[at + 4] | data[at + 5] << 8
            rows = data[at + 6] | data[at + 7] << 8
            used = 8 + row_bytes * rows
            if data[at + 2] != 0x30 or data[at + 3] not in (0, 48) or row_bytes == 0:
                self._unknown(data[at:at + 4])
                return 8 if row_bytes == 0 else used
            if left < used:
                return 0
            self._raster(row_bytes, rows, bytes(data[at + 8:at + used]))
            return used
        if command == 0x28:  # GS ( k pL pH cn fn ...: QR code functions
            if left < 5:
                return 0
            used = 5 + (data[at + 3] | data[at + 4] << 8)
            if left < used:
                return 0
            self._qr_function(bytes(data[at:at + used]))
            return used
        if command == 0x6B:  # GS k m ...: barcode
            if value >= 65:
                if left < 4 or left < 4 + data[at + 3]:
                    return 0
                body = bytes(data[at + 4:at + 4 + data[at + 3]])
                used = 4 + len(body)
                kind = value - 65
            else:
                end = data.find(b"\x00", at + 3)
                if end < 0:
                    return 0
                body = bytes(data[at + 3:end])
                used = end + 1 - at
                kind = value
            self._barcode(kind, body)
            return used
        count = _GS_PARAMS.get(command)
        if count is None:
            self._unknown(data[at:at + 2])
            return 2
        if command == 0x21:
            self.width_x = (value >> 4) + 1
            self.height_x = (value & 0x0F) + 1
        elif command == 0x68:
            self.barcode_height = value
        elif command == 0x77:
            self.barcode_module = value
        elif command == 0x72:
            self._query(bytes(data[at:at + 3]))
        return 3

    # Paper and slips.

    def _put(self, char, columns):
        if not self._row.cells:
            self._row.align = self.align
        self._row.cells.append((char, columns, self.bold, self.width_x, self.height_x))

    def _end_row(self, blank_ok=True):
        row = self._row
        self._row = Row(self.align)
        if row.cells:
            self._paper(row)
        elif blank_ok:
            self._paper(Feed(_GLYPH_HEIGHT + _LINE_SPACING))

    def _feed_lines(self, lines):
        self._end_row(blank_ok=False)
        for _ in range(lines):
            self._paper(Feed(_GLYPH_HEIGHT + _LINE_SPACING))
        self._close_unit(lines * (_GLYPH_HEIGHT + _LINE_SPACING) * self.dot_feed_us)

    def _raster(self, row_bytes, rows, data):
        self._end_row(blank_ok=False)
        self._paper(Raster(row_bytes, rows, data, self.align))
        self._close_unit(rows * self.dot_print_us)

    def _qr_function(self, command):
        # command: GS ( k pL pH cn fn [parameters]
        if command[2] != 0x6B or len(command) < 7 or command[5] != 0x31:
            self._unknown(command[:7])
            return
        function = command[6]
        if function == 0x41:
            if len(command) < 9 or command[7] != 0x32:
                self._unknown(command[:9])  # only model 2 is known here
        elif function == 0x43 and len(command) >= 8:
            self.qr_module = command[7]
        elif function == 0x45 and len(command) >= 8 and 48 <= command[7] <= 51:
            self.qr_level = "LMQH"[command[7] - 48]
        elif function == 0x50 and len(command) >= 8:
            self.qr_data = command[8:].decode("latin-1")
        elif function == 0x51:
            self._end_row(blank_ok=False)
            if not self.qr_data:
                self._unknown(command[:8])  # print with nothing stored
                return
            code = QrCode(self.qr_data, self.qr_module, self.qr_level, self.align)
            self._paper(code)
            self._close_unit(code.height * self.dot_print_us)
        else:
            self._unknown(command[:7])

    def _barcode(self, kind, body):
        self._end_row(blank_ok=False)
        if kind != 4:
            self._unknown(b"\x1dk" + bytes((kind + 65,)))
            return
        value = body.decode("ascii", "replace")
        self._paper(Barcode("CODE39", value, self.barcode_height, self.barcode_module,
                            self.align))
        self._close_unit(self.barcode_height * self.dot_print_us
                         + _GLYPH_HEIGHT * self.dot_print_us + _LINE_SPACING * self.dot_feed_us)

    def _paper(self, item):
        if self.paper_out or self.cover_open or self.offline:
            self.lost_rows += 1
            return
        self._rows.append(item)
        if isinstance(item, Feed):
            self._blank_run += 1
            if self.split_blank_lines and self._blank_run >= self.split_blank_lines:
                self._end_slip(at_cut=False, end=len(self.stream) - len(self._pending))
            return
        self._blank_run = 0
        self.printed_rows += 1
        if self.paper_out_after_rows is not None and self.printed_rows >= self.paper_out_after_rows:
            self.paper_out = True

    def _has_content(self):
        return any(not isinstance(row, Feed) for row in self._rows)

    def _end_slip(self, at_cut, end):
        if self._has_content():
            self._slips.append(Slip(bytes(self.stream[self._slip_start:end]), self._rows, at_cut))
        self._rows = []
        self._blank_run = 0
        self._slip_start = end

    def _unknown(self, command):
        self.unknown_commands.append(bytes(command).hex(" "))

    def _query(self, query):
        if self.rx_wired:
            self._replies.extend(self.status_reply(query))

    # The head and its input buffer.

    def _row_us(self):
        return (_GLYPH_HEIGHT * self._last_height() * self.dot_print_us
                + _LINE_SPACING * self.dot_feed_us)

    def _last_height(self):
        for row in reversed(self._rows):
            if isinstance(row, Row):
                return max(cell[4] for cell in row.cells)
            return 1
        return 1

    def _close_unit(self, head_us):
        # The unit closes once the command's own bytes are counted in it (feed()).
        self.head_us_total += head_us
        self._closing_us = max(0, self._closing_us) + head_us

    def _end_unit(self):
        arrived, size, _ = self._open_unit
        self._units.append([arrived, size, self._closing_us])
        self._open_unit = [arrived, 0, 0]
        self._closing_us = -1

    def head_done_ms(self):
        """When the head will have printed everything received so far (clock ms)."""
        done = self._head_free_ms
        for arrived, _, head_us in self._units:
            done = max(arrived, done) + head_us / 1000
        return done

    def _drain(self, now_ms):
        # The head takes a unit's bytes out of the buffer when it starts printing it.
        while self._units:
            arrived, size, head_us = self._units[0]
            start = max(arrived, self._head_free_ms)
            if start > now_ms:
                break
            self._units.pop(0)
            self._buffered -= size
            self._head_free_ms = start + head_us / 1000
        self.head_busy_until_ms = self._head_free_ms


# Rendering.

def _find_font(candidates):
    for path in candidates:
        if path and os.path.exists(path):
            return path
    return None


def _packaged_cjk_font():
    # WenQuanYi Micro Hei, installed from PyPI with the project.
    spec = importlib.util.find_spec("paperang_p2_fonts_cjk")
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(spec.submodule_search_locations[0], "fonts", "wqy-microhei.ttc")


def _cjk_font_path():
    # Without any CJK font, Chinese characters are drawn as boxes.
    found = _find_font([os.environ.get("RESLIP_CJK_FONT"),
                        _packaged_cjk_font(),
                        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
                        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"])
    if found or not shutil.which("fc-list"):
        return found
    try:
        listing = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True,
                                 text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in listing.splitlines():
        path = line.split(":")[0].strip()
        if path:
            return path
    return None


class _Fonts:
    def __init__(self):
        from PIL import ImageFont

        mono = _find_font(["/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
                           "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf"])
        self.latin = (ImageFont.truetype(mono, 20) if mono
                      else ImageFont.load_default(size=20))
        cjk = _cjk_font_path()
        self.cjk = ImageFont.truetype(cjk, 22) if cjk else None


_fonts = []


def _get_fonts():
    if not _fonts:
        _fonts.append(_Fonts())
    return _fonts[0]


def render(rows, width=DOTS_PER_LINE):
    """The picture of `rows`: white paper, black dots, `width` dots wide."""
    from PIL import Image, ImageDraw

    height = max(1, sum(row.height for row in rows))
    image = Image.new("1", (width, height), 1)
    top = 0
    for row in rows:
        if isinstance(row, Row):
            _draw_row(image, row, top, width)
        elif isinstance(row, Barcode):
            _draw_barcode(ImageDraw.Draw(image), image, row, top, width)
        elif isinstance(row, Raster):
            _draw_raster(image, row, top, width)
        elif isinstance(row, QrCode):
            _draw_qr(ImageDraw.Draw(image), row, top, width)
        top += row.height
    return image


def _draw_row(image, row, top, width):
    from PIL import Image, ImageDraw

    fonts = _get_fonts()
    row_width = sum(cell[1] * _HALF_WIDTH * cell[3] for cell in row.cells)
    x = _aligned_left(row.align, row_width, width)
    tallest = max(cell[4] for cell in row.cells)
    for char, columns, bold, width_x, height_x in row.cells:
        cell_width = columns * _HALF_WIDTH
        glyph = Image.new("1", (cell_width, _GLYPH_HEIGHT), 1)
        draw = ImageDraw.Draw(glyph)
        wide = unicodedata.east_asian_width(char) in ("W", "F")
        if wide and fonts.cjk is None:
            draw.rectangle((2, 2, cell_width - 3, _GLYPH_HEIGHT - 3), outline=0)
        else:
            # A Latin letter from the GB2312 set still takes a full-width cell.
            font = fonts.cjk if wide else fonts.latin
            left = (cell_width - _HALF_WIDTH) // 2 if not wide else 0
            draw.text((left, 1), char, font=font, fill=0)
            if bold:
                draw.text((left + 1, 1), char, font=font, fill=0)
        if width_x != 1 or height_x != 1:
            glyph = glyph.resize((cell_width * width_x, _GLYPH_HEIGHT * height_x))
        y = top + (tallest - height_x) * _GLYPH_HEIGHT
        if x < width:
            image.paste(glyph, (x, y))
        x += cell_width * width_x


def _draw_barcode(draw, image, barcode, top, width):
    module = max(1, barcode.module_dots)
    bars = []
    for char in "*" + barcode.value + "*":
        pattern = _CODE39.get(char, _CODE39["-"])
        for index, wide in enumerate(pattern):
            bars.append((index % 2 == 0, module * (3 if wide == "1" else 1)))
        bars.append((False, module))  # the gap between characters
    total = sum(size for _, size in bars)
    x = _aligned_left(barcode.align, total, width)
    for is_bar, size in bars:
        if is_bar:
            draw.rectangle((x, top, x + size - 1, top + barcode.height_dots - 1), fill=0)
        x += size
    digits = Row(barcode.align)
    digits.cells = [(char, 1, False, 1, 1) for char in barcode.value]
    _draw_row(image, digits, top + barcode.height_dots, width)


def _draw_raster(image, raster, top, width):
    from PIL import Image

    # In mode "1" a set bit is white; on the printer it is a black dot.
    inverted = bytes(byte ^ 0xFF for byte in raster.data)
    band = Image.frombytes("1", (8 * raster.row_bytes, raster.rows), inverted)
    image.paste(band, (_aligned_left(raster.align, band.width, width), top))


def _draw_qr(draw, code, top, width):
    module = code.module_dots
    side = len(code.matrix) * module
    left = _aligned_left(code.align, side, width)
    for y, row in enumerate(code.matrix):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle((left + x * module, top + y * module,
                                left + (x + 1) * module - 1, top + (y + 1) * module - 1),
                               fill=0)


def _aligned_left(align, used, width):
    if align == "center":
        return max(0, (width - used) // 2)
    if align == "right":
        return max(0, width - used)
    return 0
