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

# Status queries; the bit meanings of their replies live in the profiles.
STATUS_PAPER_REALTIME = b"\x10\x04\x04"  # DLE EOT 4: paper sensor, answered at once
STATUS_PAPER_ESC_V = b"\x1bv\x00"  # ESC v 0: Adafruit firmware 2.64 and later
STATUS_PAPER_GS_R = b"\x1dr\x01"  # GS r 1: older firmware

ALIGNMENTS = {"left": ALIGN_LEFT, "center": ALIGN_CENTER, "right": ALIGN_RIGHT}

_BARCODE_CODE39 = const(69)  # GS k m, the form with a length byte
_CODE39_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ -.$/+%"


def feed(lines):
    """ESC d n: feed `lines` text lines (0..255)."""
    return bytes((0x1B, 0x64, _byte(lines)))


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


def barcode_code39(value, height_dots=60, module_dots=2):
    """GS h, GS w, GS H, GS k: a CODE39 barcode with its digits printed below."""
    if not value or len(value) > 40:
        raise ValueError("CODE39 value is 1..40 characters")
    for char in value:
        if char not in _CODE39_CHARS:
            raise ValueError("CODE39 cannot carry " + repr(char))
    return b"".join((
        bytes((0x1D, 0x68, _byte(height_dots))),
        bytes((0x1D, 0x77, _byte(module_dots))),
        b"\x1dH\x02",
        bytes((0x1D, 0x6B, _BARCODE_CODE39, len(value))),
        value.encode(),
    ))


def _byte(value):
    if not 0 <= value <= 255:
        raise ValueError("command parameter out of 0..255")
    return value


class Profile:
    """What one printer model needs. Times are per dot line, in microseconds.

    `chinese` means jobs run in Chinese mode (GB2312 text). `fs_commands`
    says the firmware knows FS & / FS .; a profile without them never sends
    them. `paper_out_mask` is the bit(s) of the status reply meaning paper end.
    """

    def __init__(self, name, setup, chinese, fs_commands, code_page_name,
                 status_query, paper_out_mask, cutter=False, barcodes=True,
                 dots_per_line=384, columns=32, dot_print_us=2800, dot_feed_us=1200,
                 cut_ms=600, buffer_bytes=256, lead_ms=250, status_timeout_ms=300):
        self.name = name
        self.chinese = chinese
        self.fs_commands = fs_commands
        self.code_page_name = code_page_name
        self.status_query = status_query
        self.paper_out_mask = paper_out_mask
        self.cutter = cutter
        self.barcodes = barcodes
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


# TODO: only paper-out bits are read from status replies; cover open, offline and
# head errors (DLE EOT 1..3) are not asked for yet. QR codes (GS ( k) are not
# offered: support varies by firmware and needs measuring on our units.
# TODO: the timing numbers, buffer sizes and status bits below are from the
# manuals and public reports, not measured on our own units; measure them.
PROFILES = {
    # Adafruit Mini / CSN-A2, Latin only: no FS commands, CP437, ESC 7 heating.
    "adafruit": Profile(
        "adafruit", heat(11, 120, 40) + code_page(0), chinese=False, fs_commands=False,
        code_page_name="cp437", status_query=STATUS_PAPER_ESC_V, paper_out_mask=0x04),
    # QR204-style Chinese-market panel printer: stays in Chinese mode (GB2312).
    "qr204": Profile(
        "qr204", b"", chinese=True, fs_commands=True, code_page_name="cp437",
        status_query=STATUS_PAPER_REALTIME, paper_out_mask=0x60),
    # The same printer used for Latin text: FS . after ESC @, then CP437.
    "qr204-latin": Profile(
        "qr204-latin", code_page(0), chinese=False, fs_commands=True,
        code_page_name="cp437", status_query=STATUS_PAPER_REALTIME, paper_out_mask=0x60),
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

    def raw(self, data):
        self._parts.append(bytes(data))
        return self

    def build(self):
        return b"".join(self._parts)


# How much time each piece of a job costs the head, found by walking the
# command bytes this module emits. A piece ends at a line feed, a feed, a cut
# or a barcode; bytes of 0x80 and above are always text, never commands.
def plan_job(data, profile):
    """[(end offset, head time in µs), ...] covering the whole job."""
    plan = []
    height = 1
    barcode_dots = 162
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

STATUS_UNKNOWN = "unknown"
STATUS_OK = "ok"
STATUS_PAPER_OUT = "paper out"

_CHUNK_BYTES = const(32)
_STATUS_EVERY_MS = const(1500)
_HOLD_RETRY_MS = const(1000)


class Printer:
    """Feeds queued jobs to `uart` from pump(), never blocking.

    `uart` needs write(buffer) -> count or None (a short count is fine) and
    read(n) -> bytes or None; any() is used when present. A non-blocking file
    may raise OSError (EAGAIN) instead: that counts as nothing moved.
    `baud` is only used to add wire time to the head model.
    """

    def __init__(self, uart, profile, encoder=None, baud=9600):
        self.uart = uart
        self.profile = profile
        self.encoder = encoder
        self.byte_us = 10000000 // baud if baud else 0
        self.fault = None
        self.status = STATUS_UNKNOWN
        self.jobs_printed = 0
        self.incomplete_prints = 0
        self._queue = []
        self._state = _IDLE
        self._job = None
        self._again = None
        self._view = None
        self._plan = None
        self._piece = 0
        self._at = 0
        self._piece_started = False
        self._query = None
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
                self._head_free_at = None
                self._state = _IDLE

    # Status: flush stale bytes, send the query, wait a bounded time.

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

    def _ask(self, now_ms):
        self._flush_input()
        self._query = memoryview(self.profile.status_query)
        self._send_query()
        self._deadline = time.ticks_add(now_ms, self.profile.status_timeout_ms)
        self._state = _ASKING

    def _send_query(self):
        if self._query:
            sent = self._write(self._query)
            self._query = self._query[sent:]

    def _await_reply(self, now_ms):
        self._send_query()
        reply = None if self._query else self._read_one()
        if reply is not None:
            if reply & self.profile.paper_out_mask:
                self.status = STATUS_PAPER_OUT
                self._hold(now_ms, "PAPER OUT")
                return
            self.status = STATUS_OK
            self._resume(now_ms)
        elif time.ticks_diff(now_ms, self._deadline) >= 0:
            # No reply is not "no paper": many units have no RX line wired.
            # After a fault, though, silence keeps the job held.
            self.status = STATUS_UNKNOWN
            if self.fault is not None:
                self._hold(now_ms, "PRINTER NOT ANSWERING")
            else:
                self._resume(now_ms)

    def _hold(self, now_ms, message):
        self.fault = message
        self._next_check = time.ticks_add(now_ms, _HOLD_RETRY_MS)
        self._state = _HELD
        if self._at > 0:
            # Part of the job went out: print it again whole once the fault clears.
            self.incomplete_prints += 1
            self._load(self._again() if self._again is not None else self._job)

    def _resume(self, now_ms):
        self.fault = None
        self._next_check = time.ticks_add(now_ms, _STATUS_EVERY_MS)
        self._state = _PRINTING if self._job is not None else _FINISHING

    # Printing: a piece goes out only when the head model has room for it.

    def _feed_head(self, now_ms):
        if self._at >= len(self._job):
            self._job = None
            self.jobs_printed += 1
            self._state = _FINISHING
            return

        end, cost_us = self._plan[self._piece]
        if not self._piece_started:
            if not self._head_has_room(now_ms, end - self._at):
                return
            if self._at > 0 and time.ticks_diff(now_ms, self._next_check) >= 0:
                self._ask(now_ms)  # between pieces, ask again for paper
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

    def _read_one(self):
        try:
            data = self.uart.read(1)
        except OSError:
            return None
        return data[0] if data else None

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
