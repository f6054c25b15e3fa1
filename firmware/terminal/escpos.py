# A small bytes-only ESC/POS driver for TTL thermal printers.
#
# Three parts:
#   - command bytes and printer profiles (what each printer model needs);
#   - JobBuilder, which turns text and layout into the bytes of one whole job;
#   - Printer, which feeds a job to the UART a piece at a time from pump(),
#     paced by a model of the print head, after asking the printer for status.
#
# These printers have no XON/XOFF and small input buffers: bytes sent faster
# than the head prints them are lost, so pacing follows the head model (dot
# lines and feeds), never the baud rate alone.

from micropython import const
import time

# Command bytes. Parameters are always appended as bytes, never via chr().
INIT = b"\x1b@"  # ESC @
ALIGN_LEFT = b"\x1ba\x00"  # ESC a n
ALIGN_CENTER = b"\x1ba\x01"
ALIGN_RIGHT = b"\x1ba\x02"
BOLD_ON = b"\x1bE\x01"  # ESC E n
BOLD_OFF = b"\x1bE\x00"
SIZE_NORMAL = b"\x1d!\x00"  # GS ! n: width multiple in the high nibble, height in the low
SIZE_DOUBLE = b"\x1d!\x11"
CHINESE_ON = b"\x1c&"  # FS &
CHINESE_OFF = b"\x1c."  # FS .
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

_BARCODE_CODE39 = const(69)  # GS k m, the form with a length byte
_CODE39_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ -.$/+%"
_QR_LEVELS = "LMQH"
# Bytes a version 1..10 QR symbol holds in byte mode at level M, to size it.
_QR_BYTES_AT_M = (14, 26, 42, 62, 84, 106, 122, 152, 180, 213)


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


def qr_dots(data_bytes, module_dots):
    """Dot lines a QR symbol of `data_bytes` takes, at most (byte mode, level M)."""
    version = len(_QR_BYTES_AT_M)
    for index, capacity in enumerate(_QR_BYTES_AT_M):
        if data_bytes <= capacity:
            version = index + 1
            break
    return (17 + 4 * version) * module_dots


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


# Printer states as the status replies tell them.
STATUS_UNKNOWN = "unknown"  # never asked, or a printer with no reply line
STATUS_OK = "ok"
STATUS_PAPER_OUT = "paper out"
STATUS_COVER_OPEN = "cover open"
STATUS_OFFLINE = "offline"
STATUS_NO_REPLY = "no reply"  # a printer that answered before has gone silent
STATUS_LINK_FAULT = "link fault"  # replies that no printer sends: wrong baud rate or wiring

# What the screen shows for each fault: 16 columns at most.
FAULT_MESSAGES = {
    STATUS_PAPER_OUT: "PAPER OUT",
    STATUS_COVER_OPEN: "COVER OPEN",
    STATUS_OFFLINE: "PRINTER OFFLINE",
    STATUS_NO_REPLY: "PRINTER NO REPLY",
    STATUS_LINK_FAULT: "PRINTER LINK BAD",
}


class StatusCheck:
    """One status query and the meaning of its one-byte reply.

    A reply whose `fixed_mask` bits differ from `fixed_bits` is not from this
    printer speaking at our baud rate. `faults` is ((mask, status), ...),
    the first matching entry wins.
    """

    def __init__(self, query, fixed_mask, fixed_bits, faults):
        self.query = query
        self.fixed_mask = fixed_mask
        self.fixed_bits = fixed_bits
        self.faults = faults

    def read(self, reply):
        """The status one reply byte says: ok, a fault, or a link fault."""
        if reply & self.fixed_mask != self.fixed_bits:
            return STATUS_LINK_FAULT
        for mask, status in self.faults:
            if reply & mask:
                return status
        return STATUS_OK


def read_status(checks, replies):
    """The status of a printer from one reply byte per check, in order.

    Any reply out of pattern makes the whole answer a link fault; otherwise
    the first fault of the first check that has one.
    """
    if len(replies) != len(checks):
        return STATUS_LINK_FAULT
    found = STATUS_OK
    for check, reply in zip(checks, replies):
        status = check.read(reply)
        if status == STATUS_LINK_FAULT:
            return status
        if found == STATUS_OK:
            found = status
    return found


class Profile:
    """What one printer model needs. Times are per dot line, in microseconds.

    `chinese` means jobs run in Chinese mode (GB2312 text). `fs_commands`
    says the firmware knows FS & / FS .; a profile without them never sends
    them. `status` is the StatusCheck list asked before and during a job.
    `qr` says the firmware prints GS ( k QR codes; `barcodes` CODE39.
    """

    def __init__(self, name, setup, chinese, fs_commands, code_page_name, status,
                 cutter=False, barcodes=True, qr=False,
                 dots_per_line=384, columns=32, dot_print_us=2800, dot_feed_us=1200,
                 cut_ms=600, buffer_bytes=256, lead_ms=250, status_timeout_ms=300):
        self.name = name
        self.chinese = chinese
        self.fs_commands = fs_commands
        self.code_page_name = code_page_name
        self.status = status
        self.status_query = b"".join(check.query for check in status)
        self.cutter = cutter
        self.barcodes = barcodes
        self.qr = qr
        self.dots_per_line = dots_per_line
        self.columns = columns
        self.dot_print_us = dot_print_us
        self.dot_feed_us = dot_feed_us
        self.cut_ms = cut_ms
        self.buffer_bytes = buffer_bytes
        self.lead_ms = lead_ms
        self.status_timeout_ms = status_timeout_ms

        # The whole init sequence: reset first, then the settings a reset lost.
        # A Chinese-market printer comes out of ESC @ in Chinese mode again, so
        # a Latin profile that has FS . sends it right after every ESC @.
        if fs_commands:
            setup = (CHINESE_ON if chinese else CHINESE_OFF) + setup
        self.init = INIT + setup

    def text_line_us(self, height=1):
        """Time to print one text line: 24-dot glyphs plus 6 dots of spacing."""
        return 24 * height * self.dot_print_us + 6 * self.dot_feed_us

    def feed_line_us(self):
        return 30 * self.dot_feed_us

    def __repr__(self):
        return "Profile(%s)" % self.name


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
        self._parts = []

    @property
    def chinese(self):
        """True when Chinese text can be printed on this printer with this encoder."""
        return self.profile.chinese and self.encoder.chinese

    def init(self):
        self._parts.append(self.profile.init)
        return self

    def align(self, where):
        self._parts.append(ALIGNMENTS[where])
        return self

    def bold(self, on=True):
        self._parts.append(BOLD_ON if on else BOLD_OFF)
        return self

    def double(self, on=True):
        self._parts.append(SIZE_DOUBLE if on else SIZE_NORMAL)
        return self

    def underline(self, thickness=1):
        self._parts.append(underline(thickness))
        return self

    def inverse(self, on=True):
        self._parts.append(inverse(on))
        return self

    def text(self, text):
        """One printed line of `text`."""
        return self.line(self.encoder.encode(text))

    def line(self, encoded):
        """One printed line of already encoded bytes."""
        self._parts.append(encoded)
        self._parts.append(LINE_FEED)
        return self

    def feed(self, lines=1):
        if lines > 0:
            self._parts.append(feed(lines))
        return self

    def cut(self):
        """Cut where the profile has a cutter; otherwise feed to the tear bar."""
        self.feed(4)
        if self.profile.cutter:
            self._parts.append(CUT_PARTIAL)
        return self

    def barcode(self, value):
        """A CODE39 barcode when the profile prints barcodes; else nothing."""
        if self.profile.barcodes:
            self._parts.append(ALIGN_CENTER)
            self._parts.append(barcode_code39(value))
            self._parts.append(ALIGN_LEFT)
        return self

    def qr(self, value, module_dots=4):
        """A QR code when the profile prints them; else nothing."""
        if self.profile.qr:
            self._parts.append(ALIGN_CENTER)
            self._parts.append(qr_code(value, module_dots))
            self._parts.append(ALIGN_LEFT)
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
        self._parts.append(ALIGN_CENTER)
        for top in range(0, height, band_rows):
            rows = min(band_rows, height - top)
            self._parts.append(raster(width_dots, rows,
                                      data[top * row_bytes:(top + rows) * row_bytes]))
        self._parts.append(ALIGN_LEFT)
        return self

    def raw(self, data):
        self._parts.append(bytes(data))
        return self

    def build(self):
        return b"".join(self._parts)


# How much time each piece of a job costs the head, found by walking the
# command bytes this module emits. A piece ends at a line feed, a feed, a cut,
# a barcode, an image band or a QR print; bytes of 0x80 and above are text
# unless a command's length says they are its parameters or data.
def plan_job(data, profile):
    """[(end offset, head time in µs), ...] covering the whole job."""
    plan = []
    height = 1
    barcode_dots = 162
    qr_module = 3
    qr_bytes = 0
    at = 0
    end = len(data)
    while at < end:
        byte = data[at]
        cost = -1
        step = 1
        if byte == 0x0A:
            cost = profile.text_line_us(height)
        elif byte == 0x1B and at + 1 < end:
            command = data[at + 1]
            step = 2 if command in (0x40, 0x32) else 5 if command == 0x37 else 3
            if command == 0x40:
                height = 1
            elif command == 0x21 and at + 2 < end:
                height = 2 if data[at + 2] & 0x10 else 1
            elif command == 0x64 and at + 2 < end:
                cost = data[at + 2] * profile.feed_line_us()
            elif command == 0x4A and at + 2 < end:
                cost = data[at + 2] * profile.dot_feed_us
        elif byte == 0x1D and at + 1 < end:
            command = data[at + 1]
            step = 3
            if command == 0x21 and at + 2 < end:
                height = (data[at + 2] & 0x0F) + 1
            elif command == 0x68 and at + 2 < end:
                barcode_dots = data[at + 2]
            elif command == 0x56:
                step = 4 if at + 2 < end and data[at + 2] >= 65 else 3
                cost = profile.cut_ms * 1000
            elif command == 0x6B and at + 2 < end:
                if data[at + 2] >= 65:
                    step = 4 + (data[at + 3] if at + 3 < end else 0)
                else:
                    step = 3
                    while at + step < end and data[at + step] != 0:
                        step += 1
                    step += 1
                cost = (barcode_dots * profile.dot_print_us
                        + profile.text_line_us())  # the digits printed below
            elif command == 0x76 and at + 7 < end:
                # GS v 0 m xL xH yL yH, then the rows.
                rows = data[at + 6] | data[at + 7] << 8
                step = 8 + (data[at + 4] | data[at + 5] << 8) * rows
                cost = rows * profile.dot_print_us
            elif command == 0x28 and at + 6 < end:
                # GS ( k pL pH cn fn ...: QR functions.
                size = data[at + 3] | data[at + 4] << 8
                step = 5 + size
                function = data[at + 6]
                if function == 0x43 and at + 7 < end:
                    qr_module = data[at + 7]
                elif function == 0x50:
                    qr_bytes = size - 3
                elif function == 0x51:
                    cost = qr_dots(qr_bytes, qr_module) * profile.dot_print_us
        elif byte == 0x1C:
            step = 2
        elif byte == 0x10 or byte == 0x12:
            step = 3
        at = min(at + step, end)
        if cost >= 0:
            plan.append((at, cost))
    if not plan or plan[-1][0] != end:
        plan.append((end, 0))
    return plan


# Printer states.
_IDLE = const(0)
_ASKING = const(1)  # a status query is out, waiting for its reply
_PRINTING = const(2)
_HELD = const(3)  # a fault holds the job; the printer is asked again now and then
_FINISHING = const(4)  # every byte is out; the head is still printing

_CHUNK_BYTES = const(32)
_STATUS_EVERY_MS = const(1500)
_HOLD_RETRY_MS = const(1000)
_MAX_REPLIES = const(8)


class Printer:
    """Feeds queued jobs to `uart` from pump(), never blocking.

    `uart` needs write(buffer) -> count or None (a short count is fine) and
    read(n) -> bytes or None; any() is used when present. A non-blocking file
    may raise OSError (EAGAIN) instead: that counts as nothing moved.
    `baud` is only used to add wire time to the head model.

    `rx_wired` says whether the printer's replies reach us: False never asks
    for status; True holds a job when no reply comes; None (the default)
    learns it: silence is "unknown" and printing goes on until the printer
    has answered once, and from then on silence holds the job.

    `ready` is for a board that wires the printer's busy line (DTR): a
    function returning True while the printer can take bytes. With it, pieces
    are paced by that line; without it, by the head model.
    """

    def __init__(self, uart, profile, encoder=None, baud=9600, rx_wired=None, ready=None):
        self.uart = uart
        self.profile = profile
        self.encoder = encoder
        self.byte_us = 10000000 // baud if baud else 0
        self.rx_wired = rx_wired
        self.ready = ready
        self.fault = None  # the screen's message while a fault holds the job
        self.status = STATUS_UNKNOWN
        self.jobs_printed = 0
        self.incomplete_prints = 0  # jobs cut short by a fault, since power on
        self._incomplete_untaken = 0
        self._answered = False
        self._queue = []
        self._state = _IDLE
        self._job = None
        self._again = None
        self._view = None
        self._plan = None
        self._piece = 0
        self._at = 0
        self._piece_started = False
        self._tail_checked = False
        self._query = None
        self._replies = bytearray(_MAX_REPLIES)
        self._reply_count = 0
        self._deadline = 0
        self._next_check = 0
        self._head_free_at = None
        self._in_printer = []  # [done at ticks, bytes] of pieces the head has yet to finish

    def job(self, columns=None):
        """A JobBuilder for this printer."""
        return JobBuilder(self.profile, self.encoder, columns)

    def submit(self, job, again=None):
        """Queues the bytes of one whole job.

        If a fault stops the job after some of it went out, it is printed again
        whole when the fault clears: the bytes from `again()` when given (say,
        the slip marked as a reprint), else the same bytes.
        """
        if not job:
            return
        self._queue.append((bytes(job), again))

    def take_incomplete(self):
        """How many jobs a fault cut short since the last call (for the journal)."""
        count = self._incomplete_untaken
        self._incomplete_untaken = 0
        return count

    def cancel(self):
        """Drops the current job and clears its fault."""
        self._job = None
        self._state = _FINISHING if self._head_free_at is not None else _IDLE
        self.fault = None

    @property
    def busy(self):
        return self._state != _IDLE or bool(self._queue)

    @property
    def held(self):
        return self._state == _HELD

    def pump(self, now_ms):
        """Does one small step of work; call it from the main loop."""
        state = self._state
        if state == _IDLE:
            if self._queue:
                self._start_next(now_ms)
        elif state == _ASKING:
            self._await_reply(now_ms)
        elif state == _PRINTING:
            self._feed_head(now_ms)
        elif state == _HELD:
            if time.ticks_diff(now_ms, self._next_check) >= 0:
                self._ask(now_ms)
        elif state == _FINISHING:
            if self._head_idle(now_ms):
                self._finish(now_ms)

    # Status: flush stale bytes, send the queries, wait a bounded time.

    def _start_next(self, now_ms):
        data, self._again = self._queue.pop(0)
        self._load(data)
        self._ask(now_ms)

    def _load(self, data):
        self._job = data
        self._view = memoryview(data)
        self._plan = plan_job(data, self.profile)
        self._piece = 0
        self._at = 0
        self._piece_started = False
        self._tail_checked = False

    def _ask(self, now_ms):
        if self.rx_wired is False or not self.profile.status:
            self._resume(now_ms)
            return
        self._flush_input()
        self._query = memoryview(self.profile.status_query)
        self._reply_count = 0
        self._send_query()
        self._deadline = time.ticks_add(now_ms, self.profile.status_timeout_ms)
        self._state = _ASKING

    def _send_query(self):
        if self._query:
            sent = self._write(self._query)
            self._query = self._query[sent:]

    def _await_reply(self, now_ms):
        self._send_query()
        if not self._query:
            self._take_replies()
        expected = len(self.profile.status)
        if self._reply_count >= expected:
            status = read_status(self.profile.status, self._replies[:self._reply_count])
        elif time.ticks_diff(now_ms, self._deadline) < 0:
            return
        elif self._reply_count:
            status = STATUS_LINK_FAULT  # some bytes, too few: not our printer's speech
        elif self.rx_wired or self._answered or self.fault is not None:
            status = STATUS_NO_REPLY
        else:
            # No reply is not "no paper": many units have no RX line wired.
            self.status = STATUS_UNKNOWN
            self._resume(now_ms)
            return

        self.status = status
        if status == STATUS_OK:
            self._answered = True
            self._resume(now_ms)
            return
        if status != STATUS_LINK_FAULT and status != STATUS_NO_REPLY:
            self._answered = True
        self._hold(now_ms, FAULT_MESSAGES[status])

    def _take_replies(self):
        # One byte more than expected is read: a surplus byte is a link fault too.
        wanted = len(self.profile.status) + 1 - self._reply_count
        if wanted <= 0:
            return
        try:
            data = self.uart.read(wanted)
        except OSError:
            return
        if data:
            for byte in data:
                if self._reply_count < _MAX_REPLIES:
                    self._replies[self._reply_count] = byte
                    self._reply_count += 1

    def _hold(self, now_ms, message):
        self.fault = message
        self._next_check = time.ticks_add(now_ms, _HOLD_RETRY_MS)
        self._state = _HELD
        if self._job is not None and self._at > 0:
            # Part of the job went out: print it again whole once the fault clears.
            self.incomplete_prints += 1
            self._incomplete_untaken += 1
            self._load(self._again() if self._again is not None else self._job)

    def _resume(self, now_ms):
        self.fault = None
        self._next_check = time.ticks_add(now_ms, _STATUS_EVERY_MS)
        printing = self._job is not None and self._at < len(self._job)
        self._state = _PRINTING if printing else _FINISHING

    def _finish(self, now_ms):
        # Paper that runs out in the last pieces of a job shows only in a
        # status asked once the head has stopped: ask it before the job counts.
        if self._job is not None and not self._tail_checked:
            self._tail_checked = True
            self._ask(now_ms)
            return
        if self._job is not None:
            self._job = None
            self.jobs_printed += 1
        self._head_free_at = None
        self._state = _IDLE

    # Printing: a piece goes out only when the head model has room for it.

    def _feed_head(self, now_ms):
        if self._at >= len(self._job):
            self._state = _FINISHING
            return

        end, cost_us = self._plan[self._piece]
        if self.ready is not None:
            # The busy line speaks for the printer, between pieces and within them.
            if not self.ready():
                return
        elif not self._piece_started and not self._head_has_room(now_ms, end - self._at):
            return
        if not self._piece_started:
            if self._at > 0 and time.ticks_diff(now_ms, self._next_check) >= 0:
                self._ask(now_ms)  # between pieces, ask again
                if self._state == _ASKING:
                    return
            self._charge_head(now_ms, end - self._at, cost_us)
            self._piece_started = True

        sent = self._write(self._view[self._at:min(end, self._at + _CHUNK_BYTES)])
        self._at += sent
        if self._at >= end:
            self._piece += 1
            self._piece_started = False

    def _head_has_room(self, now_ms, piece_bytes):
        waiting = 0
        pieces = self._in_printer
        while pieces and time.ticks_diff(now_ms, pieces[0][0]) >= 0:
            pieces.pop(0)
        for piece in pieces:
            waiting += piece[1]
        if not pieces:
            return True  # an empty buffer takes any piece, even an oversized one
        if waiting + piece_bytes > self.profile.buffer_bytes:
            return False
        return time.ticks_diff(self._head_free_at, now_ms) <= self.profile.lead_ms

    def _charge_head(self, now_ms, piece_bytes, cost_us):
        # The head starts on a piece once its bytes have arrived and the
        # previous piece is done, whichever is later.
        arrived = time.ticks_add(now_ms, (piece_bytes * self.byte_us + 999) // 1000)
        start = arrived
        if self._head_free_at is not None and time.ticks_diff(self._head_free_at, arrived) > 0:
            start = self._head_free_at
        self._head_free_at = time.ticks_add(start, (cost_us + 999) // 1000)
        self._in_printer.append([self._head_free_at, piece_bytes])

    def _head_idle(self, now_ms):
        return self._head_free_at is None or time.ticks_diff(now_ms, self._head_free_at) >= 0

    # UART access that tolerates short writes, None and EAGAIN.

    def _write(self, view):
        try:
            sent = self.uart.write(view)
        except OSError:
            return 0
        return sent or 0

    def _flush_input(self):
        for _ in range(8):
            any_waiting = getattr(self.uart, "any", None)
            if any_waiting is not None and not any_waiting():
                return
            try:
                data = self.uart.read(64)
            except OSError:
                return
            if not data:
                return
