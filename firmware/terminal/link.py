# The service link: a PC on the USB serial port reads the journal while the
# terminal keeps selling. The app calls ServiceLink.poll() from its main loop;
# each call does a little work and returns.
#
# Wire format (docs/service-link.md has the full description):
#
#   PC -> terminal, one ASCII line per command, so that no byte of it is one
#   a console or tty treats specially (Ctrl-C, Ctrl-D, Ctrl-A, ...):
#
#       ">" hex(type u8, seq u8, arguments..., CRC-32 u32 LE) "\n"
#
#   terminal -> PC, binary frames, little-endian:
#
#       sync 0xA5 0x5A | type u8 | seq u8 | length u16 | check u8 | body | CRC-32 u32
#
#   check is 0xFF XOR type XOR seq XOR both length bytes, so that a damaged
#   length is noticed before waiting for a body that will never come. The CRC
#   is the one of zlib.crc32, taken over type..body.
#
# A terminal given a link key answers nothing but its identity until the PC
# has proved it holds the key: it asks for a challenge (16 random bytes) and
# answers with HMAC-SHA256(key, "reslip-link" + challenge).
#
# A locked terminal also keeps its console to itself: a Ctrl-C between
# command lines stops the app only while the admin has a service window open
# (open_service_window(), from the keypad's admin menu).

from micropython import const
import binascii
import hashlib
import os
import struct
import time

import micropython

from terminal.crc32 import crc32
from terminal.pins import same_bytes

PROTOCOL_VERSION = const(2)

SYNC = b"\xa5\x5a"
_SYNC_0 = const(0xA5)
_SYNC_1 = const(0x5A)
HEADER_SIZE = const(7)
CRC_SIZE = const(4)
BODY_MAX = const(4096)
_FRAME_MAX = const(4107)  # HEADER_SIZE + BODY_MAX + CRC_SIZE
LINE_MAX = const(200)  # hex characters of one command line, CRC included

# Command types (PC -> terminal).
CMD_IDENTIFY = const(0x49)  # "I"
CMD_SET_CLOCK = const(0x54)  # "T"
CMD_PULL = const(0x50)  # "P"
CMD_CONFIRM = const(0x45)  # "E"
CMD_STATUS = const(0x53)  # "S"
CMD_SALE = const(0x43)  # "C": record a sale sent by a cash register
CMD_CHALLENGE = const(0x41)  # "A": ask for a challenge to prove the key with
CMD_PROVE = const(0x4B)  # "K": the proof, HMAC-SHA256 of the challenge
CMD_END_SESSION = const(0x5A)  # "Z": the PC is done; the next one proves the key again

# Answer types (terminal -> PC).
ANS_IDENTIFY = const(0x49)  # "I"
ANS_CLOCK = const(0x54)  # "T"
ANS_RECORDS = const(0x52)  # "R"
ANS_EXPORTED = const(0x45)  # "E"
ANS_WORKING = const(0x57)  # "W": a confirm is still being checked
ANS_STATUS = const(0x53)  # "S"
ANS_SALE = const(0x43)  # "C": the sale's voucher u32
ANS_NAK = const(0x4E)  # "N": the command line was damaged; send it again
ANS_REFUSED = const(0x58)  # "X": understood, but refused (code u8 + ASCII reason)
ANS_CHALLENGE = const(0x41)  # "A": flags u8, challenge
ANS_PROVEN = const(0x4B)  # "K": the key is proved; the session is open
ANS_SESSION_ENDED = const(0x5A)  # "Z"

# Refusal codes.
REFUSED_UNKNOWN = const(1)
REFUSED_ARGUMENTS = const(2)
REFUSED_NO_CLOCK = const(3)
REFUSED_MISMATCH = const(4)
REFUSED_BY_TERMINAL = const(5)  # the terminal declined a sale (clock not set, journal full)
REFUSED_NOT_AUTHENTICATED = const(6)  # no session: the PC has not proved the key

NOT_AUTHENTICATED = "not authenticated (wrong or missing key)"

# Flags of the identity and challenge answers.
FLAG_KEY_SET = const(0x01)  # commands need a session opened with the key
FLAG_LOCKED = const(0x02)  # Ctrl-C on the console does not stop the app...
FLAG_SERVICE_OPEN = const(0x04)  # ... except while the service window is open
FLAG_PRINTING = const(0x08)  # slips are printing: a Ctrl-C stops the app once they are out

KEY_SIZE = const(32)
CHALLENGE_SIZE = const(16)
PROOF_SIZE = const(32)
PROOF_PREFIX = b"reslip-link"
SESSION_IDLE_MS = const(10000)  # a session ends after this long without a command
SERVICE_WINDOW_MS = const(300000)  # how long the keypad opens a locked console for

# Flags of a records frame.
RECORDS_LAST = const(0x01)  # last frame of this answer
RECORDS_END = const(0x02)  # the journal has nothing after `next`

ENTRY_OVERHEAD = const(18)  # voucher u32, length u16, CRC-32 u32, link
LINK_SIZE = const(8)  # the journal's link: hash of the record before (journal.record_hash)
_RECORDS_HEAD = const(9)  # flags u8, start voucher u32, next voucher u32
_VERIFY_SLICE = const(32)  # records checked per poll() while confirming
_WRITE_CHUNK = const(1024)
_POLL_BUDGET_MS = const(4)  # longest a poll() keeps streaming record frames
_READ_MAX = const(64)  # bytes taken from rx per poll()
_SALES_REMEMBERED = const(8)  # register requests answered again, not recorded twice
_CARD_TEXT_MAX = const(32)
_CTRL_C = const(0x03)
# MicroPython's struct raises ValueError; CPython's has its own struct.error.
_STRUCT_ERROR = getattr(struct, "error", ValueError)
_START = const(0x3E)  # ">"
_NEWLINE = const(0x0A)
_RETURN = const(0x0D)
_SHA256_BLOCK = const(64)

# Whether the console is locked and until when the service window is open
# (ticks_ms, or None): module state, so the admin menu reaches it without
# going through the app, and the link sees it whatever object asks.
_locked = False
_service_until = None


def set_locked(locked):
    """Locks the console (Ctrl-C no longer stops the app) or unlocks it."""
    global _locked
    _locked = bool(locked)
    _apply_ctrl_c()


def locked():
    return _locked


def open_service_window(duration_ms=SERVICE_WINDOW_MS):
    """Lets a Ctrl-C stop the app for duration_ms, so that `reslip flash` can
    reach the REPL of a locked terminal."""
    global _service_until
    _service_until = time.ticks_add(time.ticks_ms(), duration_ms)
    _apply_ctrl_c()


def close_service_window():
    global _service_until
    _service_until = None
    _apply_ctrl_c()


def service_window_ms():
    """Milliseconds the service window stays open, 0 when it is closed."""
    global _service_until
    if _service_until is None:
        return 0
    left = time.ticks_diff(_service_until, time.ticks_ms())
    if left <= 0:
        # Forgotten at once: ticks wrap, and a stale deadline would come back.
        _service_until = None
        return 0
    return left


def ctrl_c_stops_app():
    """True when a Ctrl-C on the console may stop the app: unlocked, or the
    service window is open."""
    return not _locked or service_window_ms() > 0


def _apply_ctrl_c():
    # On a USB board the console itself raises KeyboardInterrupt on a 0x03
    # between two reads of the link; a locked one must not.
    micropython.kbd_intr(3 if ctrl_c_stops_app() else -1)


def hmac_sha256(key, message):
    """HMAC-SHA256 (RFC 2104) over hashlib.sha256, which MicroPython has
    without the hmac module."""
    if len(key) > _SHA256_BLOCK:
        key = hashlib.sha256(key).digest()
    inner_pad = bytearray(_SHA256_BLOCK)
    outer_pad = bytearray(_SHA256_BLOCK)
    for at in range(_SHA256_BLOCK):
        byte = key[at] if at < len(key) else 0
        inner_pad[at] = byte ^ 0x36
        outer_pad[at] = byte ^ 0x5C
    inner = hashlib.sha256(inner_pad)
    inner.update(message)
    outer = hashlib.sha256(outer_pad)
    outer.update(inner.digest())
    return outer.digest()


def link_proof(key, challenge):
    """What the PC answers a challenge with: it shows the key without sending it."""
    return hmac_sha256(key, PROOF_PREFIX + bytes(challenge))


def parse_key(text):
    """The link key from its settings form, 64 hex digits; raises ValueError."""
    if not isinstance(text, str) or len(text) != 2 * KEY_SIZE:
        raise ValueError("link key")
    return binascii.unhexlify(text)


def encode_command(kind, seq, arguments=b""):
    """The ASCII line carrying one command."""
    body = bytes((kind, seq & 0xFF)) + bytes(arguments)
    line = body + struct.pack("<I", crc32(body))
    return b">" + binascii.hexlify(line) + b"\n"


def decode_command(hex_text):
    """(kind, seq, arguments) from the hex text between ">" and "\\n";
    raises ValueError for text that is not a whole, intact command."""
    if len(hex_text) < 12 or len(hex_text) & 1:
        raise ValueError("bad length")
    raw = binascii.unhexlify(hex_text)
    body = memoryview(raw)[:-CRC_SIZE]
    if struct.unpack_from("<I", raw, len(raw) - CRC_SIZE)[0] != crc32(body):
        raise ValueError("bad crc")
    return raw[0], raw[1], bytes(body[2:])


def encode_frame(kind, seq, body=b""):
    """One terminal-to-PC frame as bytes (the link itself builds frames in place)."""
    head = SYNC + struct.pack("<BBHB", kind, seq & 0xFF, len(body),
                              _header_check(kind, seq & 0xFF, len(body)))
    return head + bytes(body) + struct.pack("<I", crc32(body, crc32(head[2:])))


def decode_frame(data, start=0):
    """Finds the first intact frame in data at or after start.

    Returns (kind, seq, body, end) with end the index after the frame, or
    (None, None, None, resume) when no whole frame is there: scanning may go on
    from resume once more bytes arrived. Junk and damaged frames are skipped."""
    at = start
    size = len(data)
    while True:
        at = data.find(SYNC, at)
        if at < 0:
            # A lone 0xA5 at the very end may be the start of a frame.
            keep = size - 1 if size > start and data[size - 1] == _SYNC_0 else size
            return None, None, None, max(keep, start)
        if size - at < HEADER_SIZE:
            return None, None, None, at
        kind, seq, length, check = struct.unpack_from("<BBHB", data, at + 2)
        if length > BODY_MAX or check != _header_check(kind, seq, length):
            at += 1
            continue
        end = at + HEADER_SIZE + length + CRC_SIZE
        if end > size:
            return None, None, None, at
        view = memoryview(data)
        expected = struct.unpack_from("<I", data, end - CRC_SIZE)[0]
        if crc32(view[at + 2:end - CRC_SIZE]) != expected:
            at += 1
            continue
        return kind, seq, bytes(view[at + HEADER_SIZE:end - CRC_SIZE]), end


def card_tail(text):
    """The last 4 digits of a card number sent whole, spaced or dashed, or of
    a tail already cut; "" for no card at all. Raises ValueError for any other
    character and for fewer than 4 digits: a short tail is a typing or a
    register's error, not a card. The whole number is never kept: only this
    tail reaches the journal."""
    tail = bytearray(4)
    count = 0
    for byte in text:
        if 0x30 <= byte <= 0x39:
            # Only the last 4 digits are ever held, even here.
            tail[count & 3] = byte
            count += 1
        elif byte not in (0x20, 0x2D):  # spaces and dashes group the digits
            raise ValueError("card number")
    if count == 0:
        if text:
            raise ValueError("card number")  # spaces or dashes alone
        return ""
    if count < 4:
        raise ValueError("card number shorter than 4 digits")
    return "".join(chr(tail[(count + at) & 3]) for at in range(4))


def encode_sale(token, amount_cents, method, card=b"", reference=b""):
    """The arguments of a sale command. token: a non-zero u32 the register
    picks per sale, so a command repeated after a lost answer records once."""
    return b"".join((struct.pack("<IIB", token, amount_cents, method),
                     bytes((len(card),)), card, bytes((len(reference),)), reference))


def entry_crc(voucher, payload):
    """The CRC-32 that protects one record entry: over voucher u32, length u16, payload."""
    return crc32(payload, crc32(struct.pack("<IH", voucher, len(payload))))


class PollingReader:
    """A non-blocking read(n) over a blocking stream such as sys.stdin.buffer.

    Ctrl-C is switched off while bytes are read (so 0x03 arrives as data) and
    switched back on after, unless the console is locked; the link decides
    what a 0x03 means."""

    def __init__(self, stream, poller=None):
        import select

        self._stream = stream
        self._poller = poller or select.poll()
        if poller is None:
            self._poller.register(stream, select.POLLIN)
        self._byte = bytearray(1)

    def read(self, limit):
        got = bytearray()
        micropython.kbd_intr(-1)
        try:
            # The stream's own read(n) waits for all n bytes, so take one at a time.
            while len(got) < limit and self._poller.poll(0):
                if not self._stream.readinto(self._byte):
                    break
                got.append(self._byte[0])
        finally:
            _apply_ctrl_c()
        return bytes(got)


class PollingWriter:
    """A write(buf) over a blocking stream that writes nothing (returns 0) while
    the other end is not taking bytes, so a stalled PC cannot stall the app."""

    def __init__(self, stream, poller=None):
        import select

        self._stream = stream
        self._poller = poller or select.poll()
        if poller is None:
            self._poller.register(stream, select.POLLOUT)

    def write(self, buf):
        if not self._poller.poll(0):
            return 0
        return self._stream.write(buf)


class ServiceLink:
    """Answers the PC's commands from the journal, a little per poll().

    rx.read(n) returns the bytes there are (maybe none) without waiting;
    tx.write(buf) returns how many bytes it took. identity is dict-like with
    "terminal" and "firmware". set_clock(unix_seconds), if given, sets the clock.
    record_sale(amount_cents, method, card_last4, reference), if given, records
    a sale sent by a cash register and returns its voucher; an exception from
    it refuses the sale with its message.

    key: the link key (32 bytes, or its 64 hex digits as in the settings);
    None or "" leaves the link open to any PC, as before keys. A key that
    cannot be read locks every PC out rather than letting every PC in.
    session_idle_ms: how long a proved PC may stay silent before it must prove
    the key again. locked: lock the console (see set_locked).
    break_on_ctrl_c False: a Ctrl-C never stops the app, window or not.

    Counters: commands, bad_frames, junk_bytes, refused_proofs."""

    def __init__(self, rx, tx, journal, identity, set_clock=None, break_on_ctrl_c=True,
                 record_sale=None, key=None, locked=False, session_idle_ms=SESSION_IDLE_MS,
                 printing=None):
        self._rx = rx
        self._tx = tx
        self._journal = journal
        self._identity = identity
        self._set_clock = set_clock
        self._record_sale = record_sale
        self._sales = []  # [token, voucher] of the last register sales, newest last
        self._break_on_ctrl_c = break_on_ctrl_c
        # printing() is True while slips are going out: a Ctrl-C that comes
        # then stops the app only once they are printed, so a deploy does not
        # cut a customer's slip in half.
        self._printing = printing
        self._stop_when_printed = False
        # An app started again is locked with its window closed, even where
        # it restarts in the same interpreter (the unix port's loader).
        global _service_until
        _service_until = None
        set_locked(locked)

        # The key, and the session a proof of it opens.
        self._key_set = bool(key)
        self._key = None  # set but unreadable: nothing can prove it
        if isinstance(key, (bytes, bytearray)):
            self._key = bytes(key)
        elif isinstance(key, str) and key:
            try:
                self._key = parse_key(key)
            except ValueError:
                pass
        self._challenge = None  # the one challenge a proof may answer, used once
        self._proof = None  # the proof that opened the session: its resend is answered again
        self._session_until = None  # ticks_ms the session ends at, unless used before
        self._session_idle_ms = session_idle_ms

        # Buffers for the whole life of the link.
        self._frame = bytearray(_FRAME_MAX)
        self._frame_view = memoryview(self._frame)
        self._line = bytearray(LINE_MAX)
        self._line_length = -1  # -1: outside a command line
        self._input = b""
        self._input_at = 0

        self._pending_end = 0  # bytes of _frame still to be written: _pending_at.._pending_end
        self._pending_at = 0
        self._stream_seq = 0
        self._stream_next = 0
        self._stream_frames = 0  # frames still to send for the current pull
        # The run of records sent by pulls that followed on from each other:
        # vouchers _sent_first.._sent_next - 1, how many, and their CRC chain.
        self._sent_first = 0
        self._sent_next = 0
        self._sent_count = 0
        self._sent_chain = 0
        self._entry_bytes = bytearray(4)
        self._verify = None  # [seq, first, last, count, chain, next, seen_count, seen_chain]

        self.commands = 0
        self.bad_frames = 0
        self.junk_bytes = 0
        self.refused_proofs = 0

    def poll(self):
        """One step: write pending bytes, else read and answer, else go on streaming.

        Record frames follow one another within one call while the PC takes
        them as fast as they come, for at most _POLL_BUDGET_MS: a main loop that
        sleeps between calls would otherwise pace the pull."""
        if self._stop_when_printed and not self._slips_printing():
            raise KeyboardInterrupt
        if _service_until is not None and not service_window_ms():
            # The window just ended: the console's own Ctrl-C goes off now,
            # not at the next read, which a PC that stopped reading delays.
            _apply_ctrl_c()
        if not self._flush():
            return
        command = self._take_command()
        if command is not None:
            self._stream_frames = 0
            self._answer(command)
        elif self._stream_frames:
            started = time.ticks_ms()
            while True:
                self._send_records()
                if not self._flush() or not self._stream_frames or \
                        time.ticks_diff(time.ticks_ms(), started) >= _POLL_BUDGET_MS:
                    break
        elif self._verify is not None:
            self._verify_step()
        self._flush()

    def busy(self):
        """True while the link has work for the next poll() without new input:
        bytes to write, record frames to send or a confirm to check."""
        return (self._pending_at < self._pending_end or self._stream_frames > 0
                or self._verify is not None)

    # -- output ---------------------------------------------------------------

    def _flush(self):
        """Writes what is pending; True when nothing is left."""
        view = self._frame_view
        while self._pending_at < self._pending_end:
            end = min(self._pending_end, self._pending_at + _WRITE_CHUNK)
            written = self._tx.write(view[self._pending_at:end])
            if not written:
                return False
            self._pending_at += written
        return True

    def _begin(self, kind, seq):
        frame = self._frame
        frame[0] = _SYNC_0
        frame[1] = _SYNC_1
        frame[2] = kind
        frame[3] = seq
        return HEADER_SIZE

    def _finish(self, end):
        """Seals the frame whose body ends at `end` and queues it for writing."""
        frame = self._frame
        length = end - HEADER_SIZE
        struct.pack_into("<HB", frame, 4, length, _header_check(frame[2], frame[3], length))
        struct.pack_into("<I", self._frame, end, crc32(self._frame_view[2:end]))
        self._pending_at = 0
        self._pending_end = end + CRC_SIZE

    def _send(self, kind, seq, body=b""):
        at = self._begin(kind, seq)
        self._frame[at:at + len(body)] = body
        self._finish(at + len(body))

    def _refuse(self, seq, code, reason):
        self._send(ANS_REFUSED, seq, bytes((code,)) + reason.encode())

    # -- input ----------------------------------------------------------------

    def _take_command(self):
        """Reads bytes until one command line is complete: (kind, seq, args) or None."""
        while True:
            if self._input_at >= len(self._input):
                self._input = self._rx.read(_READ_MAX) or b""
                self._input_at = 0
                if not self._input:
                    return None
            byte = self._input[self._input_at]
            self._input_at += 1
            command = self._feed(byte)
            if command is not None:
                return command
            if self._pending_end > self._pending_at:
                return None  # a NAK was queued

    def _feed(self, byte):
        if byte == _START:
            if self._line_length > 0:
                self.bad_frames += 1  # the previous line was cut short
            self._line_length = 0
            return None

        if self._line_length < 0:
            if byte == _CTRL_C and self._break_on_ctrl_c and ctrl_c_stops_app():
                if self._slips_printing():
                    self._stop_when_printed = True
                    return None
                raise KeyboardInterrupt
            if byte != _NEWLINE and byte != _RETURN:
                self.junk_bytes += 1
            return None

        if byte == _RETURN:
            return None
        if byte == _NEWLINE:
            length = self._line_length
            self._line_length = -1
            try:
                return decode_command(bytes(self._line[:length]))
            except ValueError:
                return self._reject()
        if not _is_hex(byte) or self._line_length >= LINE_MAX:
            self._line_length = -1
            return self._reject()
        self._line[self._line_length] = byte
        self._line_length += 1
        return None

    def _reject(self):
        self.bad_frames += 1
        self._stream_frames = 0
        self._send(ANS_NAK, 0, struct.pack("<I", self.bad_frames))
        return None

    # -- commands -------------------------------------------------------------

    def _answer(self, command):
        kind, seq, arguments = command
        self.commands += 1
        try:
            if kind == CMD_IDENTIFY:
                self._send(ANS_IDENTIFY, seq, self._identify_body())
            elif kind == CMD_CHALLENGE:
                self._answer_challenge(seq)
            elif kind == CMD_PROVE:
                self._answer_prove(seq, arguments)
            elif kind == CMD_END_SESSION:
                self._session_until = None
                self._proof = None
                self._send(ANS_SESSION_ENDED, seq)
            elif not self._in_session():
                self._refuse(seq, REFUSED_NOT_AUTHENTICATED, NOT_AUTHENTICATED)
            elif kind == CMD_SET_CLOCK:
                self._answer_set_clock(seq, arguments)
            elif kind == CMD_PULL:
                self._answer_pull(seq, arguments)
            elif kind == CMD_CONFIRM:
                self._answer_confirm(seq, arguments)
            elif kind == CMD_STATUS:
                self._send(ANS_STATUS, seq, struct.pack(
                    "<IIIBI", self.commands, self.bad_frames, self.junk_bytes,
                    self._verify is not None, self.refused_proofs))
            elif kind == CMD_SALE:
                self._answer_sale(seq, arguments)
            else:
                self._refuse(seq, REFUSED_UNKNOWN, "unknown command")
        except (ValueError, IndexError, _STRUCT_ERROR):
            self._refuse(seq, REFUSED_ARGUMENTS, "bad arguments")

    def _identify_body(self):
        """Who the terminal is; the journal's figures only to a PC in session."""
        journal = self._journal
        terminal = str(self._identity["terminal"]).encode()
        firmware = str(self._identity["firmware"]).encode()
        if self._in_session():
            figures = struct.pack("<IIIIB", journal.count, journal.oldest() or 0,
                                  journal.newest() or 0, journal.exported_up_to() or 0,
                                  bool(journal.near_full()))
        else:
            figures = bytes(17)
        return b"".join((
            bytes((PROTOCOL_VERSION, len(terminal))), terminal,
            bytes((len(firmware),)), firmware, figures, bytes((self._flags(),))))

    def _slips_printing(self):
        return self._printing is not None and self._printing()

    def _flags(self):
        flags = FLAG_KEY_SET if self._key_set else 0
        if self._slips_printing():
            flags |= FLAG_PRINTING
        if _locked:
            flags |= FLAG_LOCKED
            if service_window_ms():
                flags |= FLAG_SERVICE_OPEN
        return flags

    # -- the key ---------------------------------------------------------------

    def _in_session(self):
        """True when commands may be answered: no key is set, or a PC proved it
        lately. Each command answered keeps the session open a while longer."""
        if not self._key_set:
            return True
        if self._session_until is None:
            return False
        now = time.ticks_ms()
        if time.ticks_diff(self._session_until, now) <= 0:
            self._session_until = None
            self._proof = None
            return False
        self._session_until = time.ticks_add(now, self._session_idle_ms)
        return True

    def _answer_challenge(self, seq):
        # A new challenge begins a new session: the old one ends here.
        self._session_until = None
        self._proof = None
        self._challenge = os.urandom(CHALLENGE_SIZE)
        self._send(ANS_CHALLENGE, seq, bytes((self._flags(),)) + self._challenge)

    def _answer_prove(self, seq, proof):
        if len(proof) != PROOF_SIZE:
            raise ValueError("proof")
        if not self._key_set:
            self._send(ANS_PROVEN, seq)
            return

        # The same proof again, in the session it opened: its answer was lost.
        if self._challenge is None:
            if self._proof is not None and same_bytes(proof, self._proof) \
                    and self._in_session():
                self._send(ANS_PROVEN, seq)
                return
            self._refuse(seq, REFUSED_NOT_AUTHENTICATED, NOT_AUTHENTICATED)
            return

        # A challenge answers one proof, right or wrong: a guess costs a new one.
        challenge = self._challenge
        self._challenge = None
        if self._key is None or not same_bytes(link_proof(self._key, challenge), proof):
            self.refused_proofs += 1
            self._refuse(seq, REFUSED_NOT_AUTHENTICATED, NOT_AUTHENTICATED)
            return
        self._proof = bytes(proof)
        self._session_until = time.ticks_add(time.ticks_ms(), self._session_idle_ms)
        self._send(ANS_PROVEN, seq)

    def _answer_set_clock(self, seq, arguments):
        (seconds,) = struct.unpack("<I", arguments)
        if self._set_clock is None:
            self._refuse(seq, REFUSED_NO_CLOCK, "this terminal has no settable clock")
            return
        try:
            self._set_clock(seconds)
        except Exception as error:  # the terminal's refusal, e.g. JOURNAL FULL
            self._refuse(seq, REFUSED_BY_TERMINAL, str(error) or "declined")
            return
        self._send(ANS_CLOCK, seq, arguments)

    def _answer_sale(self, seq, arguments):
        token, amount, method = struct.unpack_from("<IIB", arguments)
        at = 9
        card_length = arguments[at]
        card = arguments[at + 1:at + 1 + card_length]
        at += 1 + card_length
        reference_length = arguments[at]
        reference = arguments[at + 1:at + 1 + reference_length]
        if at + 1 + reference_length != len(arguments) or len(card) != card_length \
                or card_length > _CARD_TEXT_MAX or token == 0 or not 1 <= method <= 3:
            raise ValueError("sale")
        last4 = card_tail(card)
        reference = str(reference, "utf-8")

        # A repeat of a sale already recorded (its answer was lost) gets the same answer.
        for known_token, voucher in self._sales:
            if known_token == token:
                self._send(ANS_SALE, seq, struct.pack("<I", voucher))
                return
        if self._record_sale is None:
            self._refuse(seq, REFUSED_UNKNOWN, "this terminal takes no sales from a register")
            return
        try:
            voucher = self._record_sale(amount, method, last4, reference)
        except (ValueError, IndexError, _STRUCT_ERROR):
            raise  # a field the record cannot hold: bad arguments
        except Exception as error:  # the terminal's refusal, e.g. CLOCK NOT SET
            self._refuse(seq, REFUSED_BY_TERMINAL, str(error) or "declined")
            return
        # TODO: the tokens live in RAM only; a register repeating a sale across a
        # terminal restart would record it twice. Keeping them in the record's
        # reference would need the journal searched per sale.
        self._sales.append([token, voucher])
        if len(self._sales) > _SALES_REMEMBERED:
            self._sales.pop(0)
        self._send(ANS_SALE, seq, struct.pack("<I", voucher))

    def _answer_pull(self, seq, arguments):
        start, frames = struct.unpack("<IB", arguments)
        self._stream_seq = seq
        self._stream_next = max(start, 1)
        if self._stream_next != self._sent_next:
            # Not where the records sent so far end: a new run begins here.
            self._sent_first = self._sent_next = self._stream_next
            self._sent_count = self._sent_chain = 0
        self._stream_frames = max(frames, 1)
        self._send_records()

    def _send_records(self):
        """Fills one frame with whole records from _stream_next on."""
        frame = self._frame
        view = self._frame_view
        body_end = HEADER_SIZE + BODY_MAX
        at = self._begin(ANS_RECORDS, self._stream_seq) + _RECORDS_HEAD
        flags = RECORDS_END
        next_voucher = self._stream_next

        # A fresh iterator per frame: the app may append between two polls.
        for voucher, payload, link in self._journal.records(start=next_voucher, links=True):
            if voucher < next_voucher:
                continue
            length = len(payload)
            if at + ENTRY_OVERHEAD + length > body_end:
                if at == HEADER_SIZE + _RECORDS_HEAD:
                    # Cannot happen with record.py's payloads (at most ~80 bytes).
                    raise ValueError("record larger than a frame")
                flags = 0
                break
            struct.pack_into("<IH", frame, at, voucher, length)
            frame[at + 6:at + 6 + length] = payload
            end = at + 6 + length
            entry = crc32(view[at:end])
            struct.pack_into("<I", frame, end, entry)
            frame[end + CRC_SIZE:end + CRC_SIZE + LINK_SIZE] = link
            at = end + CRC_SIZE + LINK_SIZE
            next_voucher = voucher + 1
            struct.pack_into("<I", self._entry_bytes, 0, entry)
            self._sent_chain = crc32(self._entry_bytes, self._sent_chain)
            self._sent_count += 1

        self._stream_frames -= 1
        if flags & RECORDS_END or not self._stream_frames:
            flags |= RECORDS_LAST
            self._stream_frames = 0
        struct.pack_into("<BII", frame, HEADER_SIZE, flags, self._stream_next, next_voucher)
        self._stream_next = next_voucher
        self._sent_next = next_voucher
        self._finish(at)

    def _answer_confirm(self, seq, arguments):
        first, last, count, chain = struct.unpack("<IIII", arguments)
        newest = self._journal.newest() or 0
        if first < 1 or last < first or last > newest:
            self._refuse(seq, REFUSED_ARGUMENTS, "range %d..%d not in the journal" % (first, last))
            return

        # The records just sent, read from the journal as they went out, are
        # the very range confirmed: their count and CRC chain were kept then.
        if first == self._sent_first and last == self._sent_next - 1 \
                and count == self._sent_count and chain == self._sent_chain:
            self._verify = [seq, first, last, count, chain, last + 1, count, chain]
            self._verify_step()
            return

        job = self._verify
        if job is not None and job[1] == first and job[2] == last and job[3] == count \
                and job[4] == chain:
            # The PC asked again while the check runs: tell it to keep waiting.
            job[0] = seq
            self._send(ANS_WORKING, seq, struct.pack("<I", job[6]))
            return
        self._verify = [seq, first, last, count, chain, first, 0, 0]
        self._verify_step()

    def _verify_step(self):
        """Checks a slice of the confirmed range against the journal."""
        job = self._verify
        seq, first, last, count, chain, next_voucher, seen_count, seen_chain = job
        taken = 0
        done = True
        for voucher, payload in self._journal.records(start=next_voucher):
            if voucher < next_voucher:
                continue
            if voucher > last:
                break
            if taken == _VERIFY_SLICE:
                done = False
                break
            seen_count += 1
            seen_chain = crc32(struct.pack("<I", entry_crc(voucher, payload)), seen_chain)
            next_voucher = voucher + 1
            taken += 1
        job[5] = next_voucher
        job[6] = seen_count
        job[7] = seen_chain
        if not done:
            return

        self._verify = None
        if seen_count != count:
            self._refuse(seq, REFUSED_MISMATCH, "the terminal holds %d records in %d..%d, not %d"
                         % (seen_count, first, last, count))
            return
        if seen_chain != chain:
            self._refuse(seq, REFUSED_MISMATCH, "records in %d..%d differ from the terminal's"
                         % (first, last))
            return
        if last > (self._journal.exported_up_to() or 0):
            try:
                self._journal.mark_exported(last)
            except Exception as error:  # e.g. JournalFull: no room left for the mark
                self._refuse(seq, REFUSED_BY_TERMINAL, str(error) or "export mark not kept")
                return
        self._send(ANS_EXPORTED, seq, struct.pack("<I", self._journal.exported_up_to() or 0))


def _header_check(kind, seq, length):
    return 0xFF ^ kind ^ seq ^ (length & 0xFF) ^ (length >> 8)


def _is_hex(byte):
    return 0x30 <= byte <= 0x39 or 0x61 <= byte <= 0x66 or 0x41 <= byte <= 0x46
