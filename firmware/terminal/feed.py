# The printer's feed: jobs go to the UART a piece at a time from pump(),
# paced by a model of the print head, after asking the printer for status;
# with the printer profiles and the meaning of its status replies.
#
# This is the part of the ESC/POS driver that stays in RAM while the app runs.
# Building a job (terminal.escpos, terminal.slip) is only loaded while a slip
# is put together, and dropped again once its bytes are queued here.
#
# These printers have no XON/XOFF and small input buffers: bytes sent faster
# than the head prints them are lost, so pacing follows the head model (dot
# lines and feeds), never the baud rate alone.

from micropython import const
import time

INIT = b"\x1b@"  # ESC @
CHINESE_ON = b"\x1c&"  # FS &
CHINESE_OFF = b"\x1c."  # FS .

# Bytes a version 1..10 QR symbol holds in byte mode at level M, to size it.
_QR_BYTES_AT_M = (14, 26, 42, 62, 84, 106, 122, 152, 180, 213)


def qr_dots(data_bytes, module_dots):
    """Dot lines a QR symbol of `data_bytes` takes, at most (byte mode, level M)."""
    version = len(_QR_BYTES_AT_M)
    for index, capacity in enumerate(_QR_BYTES_AT_M):
        if data_bytes <= capacity:
            version = index + 1
            break
    return (17 + 4 * version) * module_dots


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

_CHUNK_BYTES = const(32)  # a power of two: see _write_from
_HEAD_PIECES = const(16)  # pieces the head model tracks at once
_CHUNK_VIEWS = const(6)  # views of the chunk: 32, 16, 8, 4, 2 and 1 bytes
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
        self._plan = None
        self._piece = 0
        self._at = 0
        self._piece_started = False
        self._tail_checked = False
        self._query_at = 0  # bytes of the profile's status query already sent
        self._replies = bytearray(_MAX_REPLIES)
        self._reply_count = 0
        self._deadline = 0
        self._next_check = 0
        self._head_free_at = None
        # The pieces the head has yet to finish, a ring: when each is done
        # (ticks) and its size. Kept in lists made once, like the chunk and
        # its views below, so feeding a job allocates nothing.
        self._piece_done = [0] * _HEAD_PIECES
        self._piece_bytes = [0] * _HEAD_PIECES
        self._pieces_first = 0
        self._pieces_count = 0
        self._chunk = bytearray(_CHUNK_BYTES)
        chunk = memoryview(self._chunk)
        self._chunk_views = tuple(chunk[:_CHUNK_BYTES >> shift]
                                  for shift in range(_CHUNK_VIEWS))

    def job(self, columns=None):
        """A JobBuilder for this printer."""
        from terminal.escpos import JobBuilder

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
        self._query_at = 0
        self._reply_count = 0
        self._send_query()
        self._deadline = time.ticks_add(now_ms, self.profile.status_timeout_ms)
        self._state = _ASKING

    def _send_query(self):
        query = self.profile.status_query
        if not self._query_at:
            # The profile's own bytes in one write: nothing to allocate, and
            # the query reaches the printer as one piece.
            self._query_at = self._write(query)
        elif self._query_at < len(query):
            self._query_at += self._write_from(query, self._query_at, len(query))

    def _await_reply(self, now_ms):
        self._send_query()
        if self._query_at >= len(self.profile.status_query):
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
        self._pieces_count = 0  # the head is idle: every piece is done
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

        self._at += self._write_from(self._job, self._at, end)
        if self._at >= end:
            self._piece += 1
            self._piece_started = False

    def _head_has_room(self, now_ms, piece_bytes):
        done = self._piece_done
        while self._pieces_count and \
                time.ticks_diff(now_ms, done[self._pieces_first]) >= 0:
            self._pieces_first = (self._pieces_first + 1) % _HEAD_PIECES
            self._pieces_count -= 1
        count = self._pieces_count
        if not count:
            return True  # an empty buffer takes any piece, even an oversized one
        if count == _HEAD_PIECES:
            return False  # as many pieces as the model tracks: wait for one to finish
        waiting = 0
        for index in range(count):
            waiting += self._piece_bytes[(self._pieces_first + index) % _HEAD_PIECES]
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
        slot = (self._pieces_first + self._pieces_count) % _HEAD_PIECES
        self._piece_done[slot] = self._head_free_at
        self._piece_bytes[slot] = piece_bytes
        self._pieces_count += 1

    def _head_idle(self, now_ms):
        return self._head_free_at is None or time.ticks_diff(now_ms, self._head_free_at) >= 0

    # UART access that tolerates short writes, None and EAGAIN.

    def _write_from(self, data, at, end):
        """Writes data[at:end], at most _CHUNK_BYTES of it; returns the count taken.

        Slicing would allocate, so the bytes are copied into the chunk and
        written as its views of 32, 16, ... 1 bytes, largest first."""
        left = min(end - at, _CHUNK_BYTES)
        chunk = self._chunk
        sent = 0
        size = _CHUNK_BYTES
        view = 0
        while left:
            while size > left:
                size >>= 1
                view += 1
            for index in range(size):
                chunk[index] = data[at + sent + index]
            taken = self._write(self._chunk_views[view])
            sent += taken
            if taken < size:
                break
            left -= size
        return sent

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
