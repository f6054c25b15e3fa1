# The service link's wire format, the same under CPython and MicroPython.
import struct

from terminal import link
from terminal.journal import START_LINK, record_hash
from terminal.link import (
    ServiceLink, decode_command, decode_frame, encode_command, encode_frame, entry_crc,
)


class _Journal:
    """Just enough journal for the link: vouchers 1..n with small payloads."""

    def __init__(self, count):
        self.items = [(voucher, bytes((voucher & 0xFF,)) * 30) for voucher in range(1, count + 1)]
        self.count = count
        self.exported = 0

    def records(self, start=None, newest_first=False, links=False):
        link = START_LINK  # each record links to the hash of the one before
        for voucher, payload in self.items:
            if start is None or voucher >= start:
                yield (voucher, payload, link) if links else (voucher, payload)
            link = record_hash(voucher, link, payload)

    def oldest(self):
        return self.items[0][0] if self.items else None

    def newest(self):
        return self.items[-1][0] if self.items else None

    def exported_up_to(self):
        return self.exported

    def mark_exported(self, voucher):
        self.exported = voucher

    def near_full(self):
        return False


class _Bytes:
    """A byte pipe: write() appends, read(n) takes up to n."""

    def __init__(self, data=b""):
        self.data = bytearray(data)

    def read(self, limit):
        taken = bytes(self.data[:limit])
        self.data = self.data[limit:]
        return taken

    def write(self, buf):
        self.data += buf
        return len(buf)


def _flip(data, bit):
    damaged = bytearray(data)
    damaged[bit // 8] ^= 1 << (bit % 8)
    return bytes(damaged)


def _answers(journal, incoming, polls=20):
    """Every frame the device link sends for the given command bytes."""
    rx = _Bytes(incoming)
    tx = _Bytes()
    device = ServiceLink(rx, tx, journal, {"terminal": "T1", "firmware": "1.0"},
                         break_on_ctrl_c=False)
    for _ in range(polls):
        device.poll()
    frames = []
    data = bytes(tx.data)
    at = 0
    while True:
        kind, seq, body, at = decode_frame(data, at)
        if kind is None:
            return device, frames
        frames.append((kind, seq, body))


def test_crc_is_zlib_crc32():
    assert link.crc32(b"123456789") == 0xCBF43926
    assert link.crc32(b"") == 0


def test_command_round_trip_and_plain_ascii():
    line = encode_command(link.CMD_PULL, 7, struct.pack("<IB", 1234, 16))
    assert line[:1] == b">" and line[-1:] == b"\n"
    for byte in line[:-1]:
        assert 0x20 < byte < 0x7F
    assert decode_command(line[1:-1]) == (link.CMD_PULL, 7, struct.pack("<IB", 1234, 16))


def test_command_with_any_flipped_bit_is_rejected():
    text = encode_command(link.CMD_CONFIRM, 3, b"\x01\x02\x03\x04")[1:-1]
    raw = bytes(bytearray(int(text[i:i + 2], 16) for i in range(0, len(text), 2)))
    for bit in range(len(raw) * 8):
        damaged = _flip(raw, bit)
        hex_text = "".join("%02x" % byte for byte in damaged).encode()
        try:
            decode_command(hex_text)
        except ValueError:
            continue
        raise AssertionError("bit %d flipped went unnoticed" % bit)


def test_frame_round_trip_after_junk():
    frame = encode_frame(link.ANS_RECORDS, 9, b"body bytes")
    junk = b"\xa5\x00\x5a\xa5junk\xa5"
    kind, seq, body, end = decode_frame(junk + frame + b"tail")
    assert (kind, seq, body) == (link.ANS_RECORDS, 9, b"body bytes")
    assert end == len(junk) + len(frame)


def test_frame_with_any_flipped_bit_is_skipped():
    first = encode_frame(link.ANS_STATUS, 1, b"first frame")
    second = encode_frame(link.ANS_STATUS, 2, b"second")
    for bit in range(len(first) * 8):
        kind, seq, body, _ = decode_frame(_flip(first, bit) + second)
        assert (kind, seq, body) == (link.ANS_STATUS, 2, b"second"), bit


def test_cut_frame_waits_for_more_bytes():
    frame = encode_frame(link.ANS_IDENTIFY, 4, b"0123456789")
    for cut in range(1, len(frame)):
        kind, _, _, resume = decode_frame(frame[:cut])
        assert kind is None
        assert decode_frame(frame[:cut][resume:] + frame[cut:])[0] == link.ANS_IDENTIFY


def test_device_answers_identify():
    journal = _Journal(5)
    journal.exported = 2
    _, frames = _answers(journal, encode_command(link.CMD_IDENTIFY, 5))
    assert len(frames) == 1
    kind, seq, body = frames[0]
    assert (kind, seq) == (link.ANS_IDENTIFY, 5)
    assert body[:4] == bytes((link.PROTOCOL_VERSION,)) + b"\x02T1"
    assert body[4:8] == b"\x031.0"
    assert struct.unpack_from("<IIIIB", body, 8) == (5, 1, 5, 2, 0)
    assert body[25:] == b"\x00"  # flags: no key, not locked


def test_device_skips_junk_and_naks_damaged_line():
    good = encode_command(link.CMD_STATUS, 8)
    damaged = good[:5] + (b"0" if good[5:6] != b"0" else b"1") + good[6:]
    device, frames = _answers(_Journal(1), b"\x00\xffjunk\r\n" + damaged + good)
    kinds = [(kind, seq) for kind, seq, _ in frames]
    assert kinds == [(link.ANS_NAK, 0), (link.ANS_STATUS, 8)]
    assert device.bad_frames == 1
    assert device.junk_bytes == 6  # line ends outside a command are not junk


def test_device_counts_cut_line_and_takes_the_next():
    good = encode_command(link.CMD_IDENTIFY, 2)
    device, frames = _answers(_Journal(1), good[:9] + good)
    assert [(kind, seq) for kind, seq, _ in frames] == [(link.ANS_IDENTIFY, 2)]
    assert device.bad_frames == 1


def test_pull_frames_carry_checked_entries():
    journal = _Journal(300)
    _, frames = _answers(journal, encode_command(link.CMD_PULL, 6, struct.pack("<IB", 10, 8)))
    vouchers = []
    for kind, seq, body in frames:
        assert (kind, seq) == (link.ANS_RECORDS, 6)
        flags, start, next_voucher = struct.unpack_from("<BII", body)
        assert start == (vouchers[-1] + 1 if vouchers else 10)
        at = 9
        while at < len(body):
            voucher, length = struct.unpack_from("<IH", body, at)
            payload = body[at + 6:at + 6 + length]
            (crc,) = struct.unpack_from("<I", body, at + 6 + length)
            assert crc == entry_crc(voucher, payload)
            assert payload == journal.items[voucher - 1][1]
            entry_link = body[at + 10 + length:at + link.ENTRY_OVERHEAD + length]
            assert entry_link == bytes(next(journal.records(voucher, links=True))[2])
            vouchers.append(voucher)
            at += link.ENTRY_OVERHEAD + length
        assert next_voucher == vouchers[-1] + 1
    assert vouchers == list(range(10, 301))
    assert frames[-1][2][0] == link.RECORDS_LAST | link.RECORDS_END


def _sale_device(record_sale):
    rx = _Bytes()
    tx = _Bytes()
    device = ServiceLink(rx, tx, _Journal(0), {"terminal": "T1", "firmware": "1.0"},
                         break_on_ctrl_c=False, record_sale=record_sale)
    return device, rx, tx


def _ask(device, rx, tx, seq, arguments):
    """The one frame the device answers a sale command with: (kind, body)."""
    rx.write(encode_command(link.CMD_SALE, seq, arguments))
    for _ in range(4):
        device.poll()
    kind, answered, body, _ = decode_frame(bytes(tx.data))
    tx.data = bytearray()
    assert answered == seq
    return kind, body


def test_card_tail_keeps_only_the_last_four_digits():
    assert link.card_tail(b"4111 1111 1111 1234") == "1234"
    assert link.card_tail(b"4111-1111-1111-9876") == "9876"
    assert link.card_tail(b"6222021234567890123") == "0123"
    assert link.card_tail(b" 4 1 1 1 1 1 1 1 1 1 1 1 1 2 3 4 ") == "1234"
    assert link.card_tail(b"--5678--") == "5678"
    assert link.card_tail(b"12345") == "2345"
    assert link.card_tail(b"") == ""
    # Short numbers are errors, not tails: 1 to 3 digits, or no digit at all.
    for bad in (b"4111x1111", b"1234\x00", b"12.34", b"42", b"123", b"1 2-3", b" ", b"--"):
        try:
            link.card_tail(bad)
        except ValueError:
            continue
        raise AssertionError("accepted %r" % bad)


def test_register_sale_is_recorded_once_with_the_card_cut():
    calls = []

    def record_sale(amount, method, last4, reference):
        calls.append((amount, method, last4, reference))
        return 40 + len(calls)

    device, rx, tx = _sale_device(record_sale)
    arguments = link.encode_sale(77, 1250, 2, b"4111 1111 1111 1234", "午餐".encode())
    kind, body = _ask(device, rx, tx, 1, arguments)
    assert (kind, struct.unpack("<I", body)[0]) == (link.ANS_SALE, 41)
    assert calls == [(1250, 2, "1234", "午餐")]

    # The register did not hear the answer and sends the same sale again.
    kind, body = _ask(device, rx, tx, 2, arguments)
    assert (kind, struct.unpack("<I", body)[0]) == (link.ANS_SALE, 41)
    assert len(calls) == 1

    kind, body = _ask(device, rx, tx, 3, link.encode_sale(78, 500, 1))
    assert struct.unpack("<I", body)[0] == 42
    assert calls[-1] == (500, 1, "", "")


def test_register_sale_refusals():
    def declined(amount, method, last4, reference):
        raise Exception("CLOCK NOT SET")

    device, rx, tx = _sale_device(declined)
    kind, body = _ask(device, rx, tx, 1, link.encode_sale(5, 100, 1))
    assert (kind, body[0], body[1:]) == (link.ANS_REFUSED, link.REFUSED_BY_TERMINAL,
                                         b"CLOCK NOT SET")

    for arguments in (link.encode_sale(5, 100, 9), link.encode_sale(0, 100, 1),
                      link.encode_sale(5, 100, 2, b"4111 abcd"),
                      link.encode_sale(5, 100, 1)[:-1], link.encode_sale(5, 100, 1) + b"x"):
        kind, body = _ask(device, rx, tx, 2, arguments)
        assert (kind, body[0]) == (link.ANS_REFUSED, link.REFUSED_ARGUMENTS), arguments

    device, rx, tx = _sale_device(None)
    kind, body = _ask(device, rx, tx, 3, link.encode_sale(5, 100, 1))
    assert (kind, body[0]) == (link.ANS_REFUSED, link.REFUSED_UNKNOWN)


def test_ctrl_c_while_slips_print_stops_the_app_once_they_are_out():
    printing = [True]
    rx = _Bytes(b"\x03")
    tx = _Bytes()
    device = ServiceLink(rx, tx, _Journal(0), {"terminal": "T1", "firmware": "1.0"},
                         printing=lambda: printing[0])
    for _ in range(5):
        device.poll()  # the Ctrl-C is kept: a customer's slip is still going out

    # Meanwhile the identity tells the PC why the app has not stopped.
    rx.data += encode_command(link.CMD_IDENTIFY, 1, b"")
    device.poll()
    kind, seq, body, _ = decode_frame(bytes(tx.data), 0)
    assert kind == link.ANS_IDENTIFY and body[-1] & link.FLAG_PRINTING

    printing[0] = False
    try:
        device.poll()
    except KeyboardInterrupt:
        return
    raise AssertionError("the app did not stop once the slips were out")


def test_ctrl_c_with_nothing_printing_stops_the_app_at_once():
    device = ServiceLink(_Bytes(b"\x03"), _Bytes(), _Journal(0),
                         {"terminal": "T1", "firmware": "1.0"}, printing=lambda: False)
    try:
        device.poll()
    except KeyboardInterrupt:
        return
    raise AssertionError("Ctrl-C did not stop the app")
