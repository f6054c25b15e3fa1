# A small bytes-only ESC/POS driver for TTL thermal printers.
#
# Three parts:
#   - command bytes and printer profiles (what each printer model needs);
#   - JobBuilder, which turns text and layout into the bytes of one whole job;
#   - Printer, which feeds a job to the UART a piece at a time from pump(),
#     paced by a model of the print head, after asking the printer for status.
#     It lives in terminal.feed with the profile and status types, so that a
#     small board keeps only the feed in RAM while it prints; this module
#     offers them under their old names too.

from micropython import const

from terminal.feed import (  # noqa: F401  names this module has always offered
    CHINESE_OFF, CHINESE_ON, FAULT_MESSAGES, INIT, STATUS_COVER_OPEN, STATUS_LINK_FAULT,
    STATUS_NO_REPLY, STATUS_OFFLINE, STATUS_OK, STATUS_PAPER_OUT, STATUS_UNKNOWN, Printer,
    Profile, StatusCheck, plan_job, qr_dots, read_status)

# Command bytes. Parameters are always appended as bytes, never via chr().
ALIGN_LEFT = b"\x1ba\x00"  # ESC a n
ALIGN_CENTER = b"\x1ba\x01"
ALIGN_RIGHT = b"\x1ba\x02"
BOLD_ON = b"\x1bE\x01"  # ESC E n
BOLD_OFF = b"\x1bE\x00"
SIZE_NORMAL = b"\x1d!\x00"  # GS ! n: width multiple in the high nibble, height in the low
SIZE_DOUBLE = b"\x1d!\x11"
CUT_PARTIAL = b"\x1dV\x01"  # GS V m
LINE_FEED = b"\n"

# Status queries. DLE EOT n is answered at once, even while the buffer is
# full; ESC v 0 and GS r 1 are answered when the printer reaches them.
STATUS_PRINTER = b"\x10\x04\x01"  # DLE EOT 1: bit 3 offline
STATUS_OFFLINE_CAUSE = b"\x10\x04\x02"  # DLE EOT 2: bit 2 cover open, bit 5 stopped at paper end
STATUS_PAPER_REALTIME = b"\x10\x04\x04"  # DLE EOT 4: bits 5-6 paper end
STATUS_PAPER_ESC_V = b"\x1bv\x00"  # ESC v 0: Adafruit firmware 2.64 and later
STATUS_PAPER_GS_R = b"\x1dr\x01"  # GS r 1: older firmware

ALIGNMENTS = {"left": ALIGN_LEFT, "center": ALIGN_CENTER, "right": ALIGN_RIGHT}

_JOB_RESERVE = const(1024)  # bytes a job's buffer starts with: a sale slip fits
_BARCODE_CODE39 = const(69)  # GS k m, the form with a length byte
_CODE39_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ -.$/+%"
_QR_LEVELS = "LMQH"


def feed(lines):
    """ESC d n: feed `lines` text lines (0..255)."""
    return bytes((0x1B, 0x64, _byte(lines)))


def feed_rows(dots):
    """ESC J n: feed `dots` dot lines."""
    return bytes((0x1B, 0x4A, _byte(dots)))


def line_height(dots):
    """ESC 3 n: line spacing of `dots`, text included (24..255)."""
    if dots < 24:
        raise ValueError("line height is 24..255")
    return bytes((0x1B, 0x33, _byte(dots)))


def code_page(number):
    """ESC t n: select a character code table."""
    return bytes((0x1B, 0x74, _byte(number)))


def heat(dots, time_10us, interval_10us):
    """ESC 7 n1 n2 n3: heating dots, heating time and interval."""
    return bytes((0x1B, 0x37, _byte(dots), _byte(time_10us), _byte(interval_10us)))


def size(width, height):
    """GS ! n for a character `width` x `height` times normal (1..8 each)."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError("character size is 1..8")
    return bytes((0x1D, 0x21, (width - 1) << 4 | (height - 1)))


def print_mode(bold=False, double_height=False, double_width=False):
    """ESC ! n: bold and double size in one byte (resets what it does not set)."""
    return bytes((0x1B, 0x21, (0x08 if bold else 0) | (0x10 if double_height else 0)
                  | (0x20 if double_width else 0)))


def underline(thickness):
    """ESC - n: 0 off, 1 thin, 2 thick."""
    if not 0 <= thickness <= 2:
        raise ValueError("underline is 0..2")
    return bytes((0x1B, 0x2D, thickness))


def inverse(on):
    """GS B n: white text on black."""
    return bytes((0x1D, 0x42, 1 if on else 0))


def barcode_code39(value, height_dots=60, module_dots=2):
    """GS h, GS H, GS w, GS k: a CODE39 barcode with its digits printed below."""
    if not value or len(value) > 40:
        raise ValueError("CODE39 value is 1..40 characters")
    for char in value:
        if char not in _CODE39_CHARS:
            raise ValueError("CODE39 cannot carry " + repr(char))
    return b"".join((
        bytes((0x1D, 0x68, _byte(height_dots))),
        b"\x1dH\x02",
        bytes((0x1D, 0x77, _byte(module_dots))),
        bytes((0x1D, 0x6B, _BARCODE_CODE39, len(value))),
        value.encode(),
    ))


def qr_code(value, module_dots=4, level="M"):
    """GS ( k, QR model 2: select the model, module size and error level,
    store `value` (ASCII), then print it."""
    if not value or len(value) > 200:
        raise ValueError("QR value is 1..200 characters")
    if not 1 <= module_dots <= 16 or level not in _QR_LEVELS:
        raise ValueError("QR module is 1..16 dots, level one of LMQH")
    data = value.encode()
    stored = len(data) + 3
    return b"".join((
        b"\x1d(k\x04\x001A2\x00",  # fn 65: model 2
        b"\x1d(k\x03\x001C" + bytes((module_dots,)),  # fn 67: module size
        b"\x1d(k\x03\x001E" + bytes((48 + _QR_LEVELS.find(level),)),  # fn 69: error level
        bytes((0x1D, 0x28, 0x6B, stored & 0xFF, stored >> 8, 0x31, 0x50, 0x30)) + data,
        b"\x1d(k\x03\x001Q0",  # fn 81: print the stored symbol
    ))


def raster(width_dots, height, data):
    """GS v 0: one band of a 1-bit image, rows of (width_dots + 7) // 8 bytes, MSB left."""
    row_bytes = (width_dots + 7) // 8
    if not (1 <= row_bytes <= 48 and 1 <= height <= 2047):
        raise ValueError("image is 1..384 dots wide, 1..2047 high")
    if len(data) != row_bytes * height:
        raise ValueError("image data size does not match")
    return bytes((0x1D, 0x76, 0x30, 0, row_bytes & 0xFF, row_bytes >> 8,
                  height & 0xFF, height >> 8)) + bytes(data)


def _byte(value):
    if not 0 <= value <= 255:
        raise ValueError("command parameter out of 0..255")
    return value


# Real-time status replies (DLE EOT n) always have bits 1 and 4 set and bits
# 0 and 7 clear: that fixed pattern is how a wrong baud rate shows.
_REALTIME_FIXED_MASK = const(0x93)
_REALTIME_FIXED_BITS = const(0x12)
_REALTIME_CHECKS = (
    StatusCheck(STATUS_OFFLINE_CAUSE, _REALTIME_FIXED_MASK, _REALTIME_FIXED_BITS,
                ((0x04, STATUS_COVER_OPEN), (0x20, STATUS_PAPER_OUT))),
    StatusCheck(STATUS_PAPER_REALTIME, _REALTIME_FIXED_MASK, _REALTIME_FIXED_BITS,
                ((0x60, STATUS_PAPER_OUT),)),
    StatusCheck(STATUS_PRINTER, _REALTIME_FIXED_MASK, _REALTIME_FIXED_BITS,
                ((0x08, STATUS_OFFLINE),)),
)

# TODO: the timing numbers, buffer sizes, status bits and QR support below are
# from manuals and public reports, not measured on our own units; measure them
# (the ESC v 0 reply pattern of the Adafruit firmware above all).
PROFILES = {
    # Adafruit Mini / CSN-A2, Latin only: no FS commands, CP437, ESC 7 heating.
    # ESC v 0 answers bit 2 for paper end and nothing about the cover.
    "adafruit": Profile(
        "adafruit", heat(11, 120, 40) + code_page(0), chinese=False, fs_commands=False,
        code_page_name="cp437",
        status=(StatusCheck(STATUS_PAPER_ESC_V, 0xF0, 0x00, ((0x04, STATUS_PAPER_OUT),)),)),
    # QR204-style Chinese-market panel printer: stays in Chinese mode (GB2312).
    "qr204": Profile(
        "qr204", b"", chinese=True, fs_commands=True, code_page_name="cp437",
        status=_REALTIME_CHECKS, qr=True),
    # The same printer used for Latin text: FS . after ESC @, then CP437.
    "qr204-latin": Profile(
        "qr204-latin", code_page(0), chinese=False, fs_commands=True,
        code_page_name="cp437", status=_REALTIME_CHECKS, qr=True),
}


def get_profile(name):
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError("unknown printer profile " + name)


class JobBuilder:
    """Composes the bytes of one whole job; every method returns the builder."""

    def __init__(self, profile, encoder, columns=None):
        self.profile = profile
        self.encoder = encoder
        self.columns = columns or profile.columns
        self._bytes = bytearray()

    @property
    def chinese(self):
        """True when Chinese text can be printed on this printer with this encoder."""
        return self.profile.chinese and self.encoder.chinese

    def init(self):
        if not self._bytes:
            # A whole job starts here: its buffer gets room for a sale slip
            # up front, where a list of parts, or a buffer grown a part at a
            # time, would ask a fragmented heap for ever larger blocks.
            self._bytes = bytearray(_JOB_RESERVE)
            self._bytes[:] = b""
        self._bytes += self.profile.init
        return self

    def align(self, where):
        self._bytes += ALIGNMENTS[where]
        return self

    def bold(self, on=True):
        self._bytes += BOLD_ON if on else BOLD_OFF
        return self

    def double(self, on=True):
        self._bytes += SIZE_DOUBLE if on else SIZE_NORMAL
        return self

    def underline(self, thickness=1):
        self._bytes += underline(thickness)
        return self

    def inverse(self, on=True):
        self._bytes += inverse(on)
        return self

    def text(self, text):
        """One printed line of `text`."""
        return self.line(self.encoder.encode(text))

    def line(self, encoded):
        """One printed line of already encoded bytes."""
        self._bytes += encoded
        self._bytes += LINE_FEED
        return self

    def feed(self, lines=1):
        if lines > 0:
            self._bytes += feed(lines)
        return self

    def cut(self):
        """Cut where the profile has a cutter; otherwise feed to the tear bar."""
        self.feed(4)
        if self.profile.cutter:
            self._bytes += CUT_PARTIAL
        return self

    def barcode(self, value):
        """A CODE39 barcode when the profile prints barcodes; else nothing."""
        if self.profile.barcodes:
            self._bytes += ALIGN_CENTER
            self._bytes += barcode_code39(value)
            self._bytes += ALIGN_LEFT
        return self

    def qr(self, value, module_dots=4):
        """A QR code when the profile prints them; else nothing."""
        if self.profile.qr:
            self._bytes += ALIGN_CENTER
            self._bytes += qr_code(value, module_dots)
            self._bytes += ALIGN_LEFT
        return self

    def voucher_code(self, value):
        """`value` as a QR code where the profile prints them, else as a barcode."""
        if self.profile.qr:
            return self.qr(value)
        return self.barcode(value)

    def image(self, width_dots, height, data):
        """A centred 1-bit image, in bands small enough for the printer's buffer.

        One GS v 0 of a whole logo can be larger than the input buffer; bands of
        at most half the buffer let one band arrive while the head prints another.
        """
        row_bytes = (width_dots + 7) // 8
        band_rows = max(1, (self.profile.buffer_bytes // 2) // row_bytes)
        self._bytes += ALIGN_CENTER
        for top in range(0, height, band_rows):
            rows = min(band_rows, height - top)
            self._bytes += raster(width_dots, rows,
                                  data[top * row_bytes:(top + rows) * row_bytes])
        self._bytes += ALIGN_LEFT
        return self

    def raw(self, data):
        self._bytes += bytes(data)
        return self

    def build(self):
        return bytes(self._bytes)
