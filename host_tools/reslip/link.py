"""The PC end of the service link, over a pyserial port.

The frame format and the codec are shared with the firmware (terminal.link);
this module adds what only the PC does: timeouts, resending, matching answers
to questions, and checking every record it receives.
"""

import collections
import hashlib
import hmac
import os
import random
import struct
import time

from terminal import link as wire
from terminal.record import looks_like_card_number

from reslip.errors import ReslipError

__all__ = [
    "HostLink", "Identity", "PulledRecord", "LinkError", "NoAnswer", "LinkDamaged", "PortLost",
    "Refused", "ExportRefused", "NotAuthenticated", "export_summary", "read_key_file",
    "make_key_file", "key_from_environment", "KEY_FILE_VARIABLE", "card_last4",
    "looks_like_card_number",
]

# The environment variable naming the key file when no --key-file is given.
KEY_FILE_VARIABLE = "RESLIP_KEY_FILE"


class LinkError(ReslipError):
    """Something went wrong on the service link; the message says what to do."""


class NoAnswer(LinkError):
    """Nothing intact came back at all."""


class LinkDamaged(LinkError):
    """Answers came back, but damaged, more often than the retries allow."""


class PortLost(LinkError):
    """The serial port itself went away, as when the cable is pulled."""


class Refused(LinkError):
    """The terminal understood the command and refused it."""

    def __init__(self, code, reason):
        super().__init__("the terminal refused: %s" % reason)
        self.code = code
        self.reason = reason


class ExportRefused(Refused):
    """The terminal's journal does not match what the PC says it stored."""


class NotAuthenticated(Refused):
    """The terminal has a link key and this PC has not proved it holds it."""

    def __init__(self, code=wire.REFUSED_NOT_AUTHENTICATED, reason=wire.NOT_AUTHENTICATED):
        super().__init__(code, reason)
        self.args = ("the terminal refused: %s; give the terminal's key file with --key-file "
                     "or %s" % (reason, KEY_FILE_VARIABLE),)


def read_key_file(path):
    """The 32-byte link key kept in `path` as 64 hex digits."""
    try:
        # utf-8-sig: an editor such as Notepad may have added a byte order mark.
        with open(path, encoding="utf-8-sig") as file:
            text = file.read().strip()
    except OSError as error:
        raise LinkError("cannot read the key file %s: %s"
                        % (path, error.strerror or error)) from None
    except UnicodeError:
        text = None
    try:
        return wire.parse_key(text)
    except ValueError:
        raise LinkError("the key file %s does not hold a link key (64 hex digits)" % path) \
            from None


def make_key_file(path):
    """A new random link key, written to `path` readable by its owner only;
    returns the key. An existing file is never overwritten."""
    key = os.urandom(wire.KEY_SIZE)
    try:
        # A keys folder of its own is what a technician keeps them in.
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, mode=0o700, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise LinkError("cannot create the key file %s: %s"
                        % (path, error.strerror or error)) from None
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key.hex() + "\n")
    return key


def key_from_environment(given_path=None):
    """The key from given_path, else from the file $RESLIP_KEY_FILE names, else None."""
    path = given_path or os.environ.get(KEY_FILE_VARIABLE) or None
    return None if path is None else read_key_file(path)


# The journal's figures (count .. near_full) are all 0 until the key is proved.
# key_set: the terminal needs its key; locked: Ctrl-C does not stop its app
# unless the service window is open; printing: slips are going out, and a
# Ctrl-C stops the app only once they are printed.
Identity = collections.namedtuple("Identity", (
    "protocol", "terminal", "firmware", "count", "oldest", "newest", "exported_up_to",
    "near_full", "key_set", "locked", "service_open", "printing"), defaults=(False,))

# One record as it came over the link: crc is the entry CRC, already checked;
# link is the journal's hash of the record before it (terminal.journal.record_hash).
PulledRecord = collections.namedtuple("PulledRecord", ("voucher", "payload", "crc", "link"))


def card_last4(card):
    """The last 4 digits of a card number typed whole, spaced or dashed, as
    the terminal keeps them; "" for no card. Raises LinkError for anything
    else, and for fewer than 4 digits."""
    try:
        return wire.card_tail(card.encode("ascii"))
    except UnicodeError:
        raise LinkError("the card number may hold only digits, spaces and dashes") from None
    except ValueError:
        if not card.strip(" -0123456789") and card.strip(" -"):
            raise LinkError("the card number %r has fewer than 4 digits" % card) from None
        raise LinkError("the card number may hold only digits, spaces and dashes") from None


def export_summary(records):
    """(count, chain) over records in voucher order, as a confirm expects them:
    chain is the CRC-32 over the entry CRCs, each as u32 little-endian.
    records yields (voucher, payload) pairs."""
    count = 0
    chain = 0
    for voucher, payload in records:
        count += 1
        chain = wire.crc32(struct.pack("<I", wire.entry_crc(voucher, payload)), chain)
    return count, chain


class _Damaged(Exception):
    """A frame arrived intact but its content does not hold together."""


class HostLink:
    """Talks to ServiceLink on a terminal through `port`, a pyserial-like object
    (read(n), write(b), in_waiting).

    timeout_s: how long one answer may take before the command is sent again.
    retries: how many times one command is sent before giving up.
    window: how many record frames the terminal sends per pull command.
    key: the terminal's link key (bytes), proved by identify() when the
    terminal asks for one, and again should the session lapse."""

    def __init__(self, port, timeout_s=1.0, retries=6, window=16, key=None):
        self._port = port
        self._key = key
        self._in_session = False
        self._timeout_s = timeout_s
        self._retries = retries
        self._window = window
        self._buffer = bytearray()
        self._seq = 0
        self._heard_anything = False
        self.stats = {
            "wire_bytes_in": 0, "wire_bytes_out": 0, "record_bytes": 0, "payload_bytes": 0,
            "resends": 0, "naks": 0, "damaged_frames": 0, "skipped_bytes": 0,
        }

    # -- commands -------------------------------------------------------------

    def identify(self, prove_key=True):
        """The terminal's Identity: number, firmware, and journal figures.

        A terminal with a key is asked for a challenge and given the proof
        first; without a key (or with the wrong one) this raises
        NotAuthenticated, so no later command meets a refusal. prove_key
        False: the identity as any PC gets it (journal figures 0 when the
        terminal has a key), nothing proved."""
        identity = self._identity()
        if prove_key and identity.key_set and not self._in_session:
            if self._key is None:
                raise NotAuthenticated()
            self.authenticate()
            identity = self._identity()
        return identity

    def authenticate(self):
        """Proves the key: a fresh challenge from the terminal, HMAC-SHA256
        back. Returns False when the terminal has no key (nothing to prove)."""
        if self._key is None:
            raise NotAuthenticated()
        self._in_session = False
        body = self._exchange(wire.CMD_CHALLENGE, b"", wire.ANS_CHALLENGE)
        if len(body) != 1 + wire.CHALLENGE_SIZE:
            raise LinkError("the terminal's challenge makes no sense: "
                            "is its firmware older or newer than this tool?")
        if not body[0] & wire.FLAG_KEY_SET:
            return False
        proof = hmac.new(self._key, wire.PROOF_PREFIX + bytes(body[1:]), hashlib.sha256).digest()
        self._exchange(wire.CMD_PROVE, proof, wire.ANS_PROVEN)
        self._in_session = True
        return True

    def end_session(self):
        """Tells the terminal this PC is done, so that whoever plugs in next
        must prove the key again rather than wait out the session. Best effort:
        a session not ended lapses after a few seconds of silence anyway."""
        if not self._in_session:
            return
        self._in_session = False
        try:
            self._exchange_once(wire.CMD_END_SESSION, b"", wire.ANS_SESSION_ENDED, None)
        except LinkError:
            pass

    def _identity(self):
        body = self._exchange(wire.CMD_IDENTIFY, b"", wire.ANS_IDENTIFY)
        try:
            protocol, length = body[0], body[1]
            terminal = body[2:2 + length].decode("ascii")
            at = 2 + length
            firmware = body[at + 1:at + 1 + body[at]].decode("ascii")
            at += 1 + body[at]
            count, oldest, newest, exported, near_full = struct.unpack_from("<IIIIB", body, at)
            flags = body[at + 17] if protocol >= 2 else 0
        except (IndexError, UnicodeDecodeError, struct.error):
            raise LinkError("the terminal's identity answer makes no sense: "
                            "is its firmware older or newer than this tool?") from None
        if protocol != wire.PROTOCOL_VERSION:
            raise LinkError("the terminal speaks link protocol %d, this tool %d: update one"
                            % (protocol, wire.PROTOCOL_VERSION))
        return Identity(protocol, terminal, firmware, count, oldest, newest, exported,
                        bool(near_full), bool(flags & wire.FLAG_KEY_SET),
                        bool(flags & wire.FLAG_LOCKED), bool(flags & wire.FLAG_SERVICE_OPEN),
                        bool(flags & wire.FLAG_PRINTING))

    def set_clock(self, unix_seconds):
        """Sets the terminal's clock to unix_seconds."""
        self._exchange(wire.CMD_SET_CLOCK, struct.pack("<I", int(unix_seconds)), wire.ANS_CLOCK)

    def status(self):
        """The terminal's link counters."""
        body = self._exchange(wire.CMD_STATUS, b"", wire.ANS_STATUS)
        commands, bad_frames, junk_bytes, confirming, refused_proofs = \
            struct.unpack_from("<IIIBI", body)
        return {"commands": commands, "bad_frames": bad_frames, "junk_bytes": junk_bytes,
                "confirming": bool(confirming), "refused_proofs": refused_proofs}

    def pull(self, from_voucher):
        """Yields lists of PulledRecord, one list per frame, vouchers rising, from
        from_voucher to the newest record. A damaged or lost frame is asked for
        again from the first voucher not yet yielded, so stopping the iteration
        at any point loses nothing the caller has not seen."""
        next_voucher = max(1, from_voucher)
        failures = 0
        while True:
            seq = self._send_command(wire.CMD_PULL, struct.pack("<IB", next_voucher, self._window))
            try:
                while True:
                    _, body = self._await(seq, (wire.ANS_RECORDS,))
                    flags, frame_next, records = self._parse_records(body, next_voucher)
                    failures = 0
                    if records:
                        yield records
                    next_voucher = frame_next
                    if flags & wire.RECORDS_LAST:
                        break
            except (_Damaged, _Silence):
                failures += 1
                if failures >= self._retries:
                    raise self._give_up() from None
                self.stats["resends"] += 1
                continue
            if flags & wire.RECORDS_END:
                return

    def record_sale(self, amount_cents, method, card="", reference="", token=None):
        """Records a sale on the terminal as a cash register does; returns its
        voucher. Only the last 4 digits of `card` leave the PC (the terminal
        would cut a whole number too). token: non-zero u32 naming this sale, so
        a resend after a lost answer records it once; picked at random if None."""
        last4 = card_last4(card)
        if looks_like_card_number(reference):
            raise LinkError("the reference looks like a card number; a card number never "
                            "leaves this PC whole")
        reference = reference.encode("utf-8")
        if len(reference) > 40:
            raise LinkError("the reference is %d bytes in UTF-8; at most 40 fit" % len(reference))
        if not 0 < amount_cents < 2 ** 32:
            raise LinkError("the amount must be above zero")
        token = token or random.randrange(1, 2 ** 32)
        arguments = wire.encode_sale(token, amount_cents, method, last4.encode("ascii"),
                                     reference)
        body = self._exchange(wire.CMD_SALE, arguments, wire.ANS_SALE)
        return struct.unpack_from("<I", body)[0]

    def confirm_export(self, first, last, count, chain):
        """Asks the terminal to move its export mark to `last` once it has found
        the same count and CRC chain (see export_summary) in first..last.
        Returns the terminal's export mark; raises ExportRefused on a mismatch."""
        arguments = struct.pack("<IIII", first, last, count, chain)
        try:
            body = self._exchange(wire.CMD_CONFIRM, arguments, wire.ANS_EXPORTED,
                                  working=wire.ANS_WORKING)
        except Refused as refusal:
            if refusal.code == wire.REFUSED_MISMATCH:
                raise ExportRefused(refusal.code, refusal.reason) from None
            raise
        return struct.unpack_from("<I", body)[0]

    # -- plumbing -------------------------------------------------------------

    def _exchange(self, kind, arguments, answer, working=None):
        """Sends a command until its answer arrives; returns the answer's body.
        A `working` frame means the terminal is busy with it: keep listening."""
        try:
            return self._exchange_once(kind, arguments, answer, working)
        except NotAuthenticated:
            # The session lapsed (the terminal restarted, or sat idle): prove
            # the key again once, then ask again.
            if not self._in_session or self._key is None:
                raise
            self.authenticate()
            return self._exchange_once(kind, arguments, answer, working)

    def _exchange_once(self, kind, arguments, answer, working):
        accepted = (answer,) if working is None else (answer, working)
        for attempt in range(self._retries):
            if attempt:
                self.stats["resends"] += 1
            seq = self._send_command(kind, arguments)
            try:
                while True:
                    frame_kind, body = self._await(seq, accepted)
                    if frame_kind == answer:
                        return body
            except (_Damaged, _Silence):
                continue
        raise self._give_up()

    def _give_up(self):
        if not self._heard_anything:
            return NoAnswer("no answer from the terminal app: is it running, "
                            "and is this its port?")
        return LinkDamaged("the link keeps failing (%d damaged frames, %d resends): "
                           "check the cable" % (self.stats["damaged_frames"],
                                                self.stats["resends"]))

    def _send_command(self, kind, arguments):
        self._seq = self._seq % 255 + 1  # 0 is left for answers to damaged commands
        line = wire.encode_command(kind, self._seq, arguments)
        try:
            self._port.write(line)
        except OSError as error:  # serial.SerialException is an OSError too
            raise PortLost("the serial port failed (%s): is the cable in?" % error) from None
        self.stats["wire_bytes_out"] += len(line)
        return self._seq

    def _await(self, seq, accepted):
        """(kind, body) of the next frame answering command seq. Raises _Silence on
        timeout or a NAK, Refused on a refusal; answers to older commands are dropped."""
        deadline = time.monotonic() + self._timeout_s
        while True:
            kind, frame_seq, body = self._next_frame(deadline)
            if kind == wire.ANS_NAK:
                self.stats["naks"] += 1
                raise _Silence()
            if frame_seq != seq:
                continue
            if kind == wire.ANS_REFUSED:
                code = body[0] if body else 0
                reason = body[1:].decode("ascii", "replace")
                if code == wire.REFUSED_NOT_AUTHENTICATED:
                    raise NotAuthenticated(code, reason)
                raise Refused(code, reason)
            if kind not in accepted:
                self.stats["damaged_frames"] += 1
                raise _Damaged()
            return kind, body

    def _next_frame(self, deadline):
        """The next intact frame: (kind, seq, body); raises _Silence at the deadline."""
        while True:
            kind, seq, body, end = wire.decode_frame(self._buffer)
            if kind is not None:
                start = end - len(body) - wire.HEADER_SIZE - wire.CRC_SIZE
                self.stats["skipped_bytes"] += start
                del self._buffer[:end]
                self._heard_anything = True
                return kind, seq, body
            self.stats["skipped_bytes"] += end
            del self._buffer[:end]

            if time.monotonic() >= deadline:
                raise _Silence()
            try:
                chunk = self._port.read(max(1, self._port.in_waiting))
            except OSError as error:
                raise PortLost("the serial port failed (%s): is the cable in?" % error) from None
            if chunk:
                self.stats["wire_bytes_in"] += len(chunk)
                self._buffer += chunk

    def _parse_records(self, body, expected_from):
        """(flags, next voucher, [PulledRecord]) from a records frame, every entry checked."""
        if len(body) < 9:
            self.stats["damaged_frames"] += 1
            raise _Damaged()
        flags, start, next_voucher = struct.unpack_from("<BII", body)
        if start != expected_from:
            # A frame after one that was lost: ask again from where we are.
            self.stats["damaged_frames"] += 1
            raise _Damaged()
        records = []
        at = 9
        previous = expected_from - 1
        while at < len(body):
            if len(body) - at < wire.ENTRY_OVERHEAD:
                self.stats["damaged_frames"] += 1
                raise _Damaged()
            voucher, length = struct.unpack_from("<IH", body, at)
            end = at + 6 + length
            if end + 4 + wire.LINK_SIZE > len(body) or voucher <= previous:
                self.stats["damaged_frames"] += 1
                raise _Damaged()
            (crc,) = struct.unpack_from("<I", body, end)
            if wire.crc32(body[at:end]) != crc:
                self.stats["damaged_frames"] += 1
                raise _Damaged()
            records.append(PulledRecord(voucher, body[at + 6:end], crc,
                                        bytes(body[end + 4:end + 4 + wire.LINK_SIZE])))
            self.stats["record_bytes"] += length + wire.ENTRY_OVERHEAD - 2
            self.stats["payload_bytes"] += length
            previous = voucher
            at = end + 4 + wire.LINK_SIZE
        if next_voucher <= previous or next_voucher < start:
            self.stats["damaged_frames"] += 1
            raise _Damaged()
        return flags, next_voucher, records


class _Silence(Exception):
    """No usable answer before the deadline, or the terminal asked for a resend."""
