# The service link's key and lock, the same under CPython and MicroPython: a
# keyed terminal answers nothing but its identity until a PC answers a fresh
# challenge with the HMAC of its key; a locked console ignores Ctrl-C unless
# the service window is open.
import binascii
import struct
import time

from terminal import link
from terminal.link import ServiceLink, decode_frame, encode_command, link_proof

from test_link_frames import _Bytes, _Journal

KEY = bytes(range(32))
KEY_HEX = str(binascii.hexlify(KEY), "ascii")
NOT_AUTHENTICATED = bytes((link.REFUSED_NOT_AUTHENTICATED,)) + link.NOT_AUTHENTICATED.encode()


class _Pc:
    """One end of a keyed link: sends a command, polls, returns the answer."""

    def __init__(self, key=KEY, **options):
        self.rx = _Bytes()
        self.tx = _Bytes()
        self.device = ServiceLink(self.rx, self.tx, _Journal(5),
                                  {"terminal": "T1", "firmware": "1.0"}, break_on_ctrl_c=False,
                                  key=key, **options)
        self.seq = 0

    def ask(self, kind, arguments=b""):
        self.seq = self.seq % 255 + 1
        self.rx.data += encode_command(kind, self.seq, arguments)
        for _ in range(5):
            self.device.poll()
        answer, seq, body, _ = decode_frame(bytes(self.tx.data))
        assert seq == self.seq, (seq, self.seq)
        self.tx.data = bytearray()
        return answer, body

    def challenge(self):
        answer, body = self.ask(link.CMD_CHALLENGE)
        assert answer == link.ANS_CHALLENGE and len(body) == 1 + link.CHALLENGE_SIZE
        return body[0], body[1:]

    def prove(self, key=KEY):
        flags, challenge = self.challenge()
        proof = link_proof(key, challenge)
        return self.ask(link.CMD_PROVE, proof), proof


def _hex(text):
    return binascii.unhexlify(text)


def test_hmac_matches_rfc_4231():
    # Test cases 1, 2 and 6 of RFC 4231: a short key, a text key, a key longer than a block.
    assert link.hmac_sha256(b"\x0b" * 20, b"Hi There") == _hex(
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    assert link.hmac_sha256(b"Jefe", b"what do ya want for nothing?") == _hex(
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    assert link.hmac_sha256(b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key"
                            b" First") == _hex(
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")


def test_keyed_terminal_answers_only_its_identity_without_the_key():
    pc = _Pc()
    answer, body = pc.ask(link.CMD_IDENTIFY)
    assert answer == link.ANS_IDENTIFY
    assert body[2:4] == b"T1"
    # Who it is, and that it wants a key; not what its journal holds.
    assert struct.unpack_from("<IIIIB", body, 8) == (0, 0, 0, 0, 0)
    assert body[25] & link.FLAG_KEY_SET

    for kind, arguments in ((link.CMD_STATUS, b""), (link.CMD_PULL, struct.pack("<IB", 1, 4)),
                            (link.CMD_SET_CLOCK, struct.pack("<I", 1767225600)),
                            (link.CMD_CONFIRM, struct.pack("<IIII", 1, 5, 5, 0)),
                            (link.CMD_SALE, link.encode_sale(9, 100, 1)),
                            (0x7A, b"")):
        assert pc.ask(kind, arguments) == (link.ANS_REFUSED, NOT_AUTHENTICATED), kind


def test_the_right_proof_opens_the_session():
    pc = _Pc(key=KEY_HEX)  # as the settings hold it
    (answer, body), _ = pc.prove()
    assert answer == link.ANS_PROVEN
    answer, body = pc.ask(link.CMD_IDENTIFY)
    assert struct.unpack_from("<IIIIB", body, 8) == (5, 1, 5, 0, 0)
    answer, body = pc.ask(link.CMD_PULL, struct.pack("<IB", 1, 1))
    assert answer == link.ANS_RECORDS


def test_a_wrong_key_is_refused_and_its_challenge_is_spent():
    pc = _Pc()
    flags, challenge = pc.challenge()
    assert flags & link.FLAG_KEY_SET
    wrong = link_proof(b"\x01" * 32, challenge)
    assert pc.ask(link.CMD_PROVE, wrong) == (link.ANS_REFUSED, NOT_AUTHENTICATED)
    # The right proof of that challenge comes too late: it answered one proof.
    assert pc.ask(link.CMD_PROVE, link_proof(KEY, challenge)) == \
        (link.ANS_REFUSED, NOT_AUTHENTICATED)
    assert pc.ask(link.CMD_STATUS)[0] == link.ANS_REFUSED
    assert pc.device.refused_proofs == 1


def test_challenges_are_fresh_and_an_old_proof_is_not_replayed():
    pc = _Pc()
    (answer, _), old_proof = pc.prove()
    assert answer == link.ANS_PROVEN

    # Someone who recorded that proof asks for a challenge of their own.
    challenges = [pc.challenge()[1] for _ in range(8)]
    assert len(set(challenges)) == 8
    assert pc.ask(link.CMD_PROVE, old_proof) == (link.ANS_REFUSED, NOT_AUTHENTICATED)
    assert pc.ask(link.CMD_STATUS)[0] == link.ANS_REFUSED


def test_a_resent_proof_is_answered_again_within_its_session():
    pc = _Pc()
    (answer, _), proof = pc.prove()
    assert answer == link.ANS_PROVEN
    # The PC did not hear the answer and sends the same proof again.
    assert pc.ask(link.CMD_PROVE, proof) == (link.ANS_PROVEN, b"")
    assert pc.ask(link.CMD_STATUS)[0] == link.ANS_STATUS


def test_a_silent_session_lapses():
    pc = _Pc(session_idle_ms=20)
    assert pc.prove()[0][0] == link.ANS_PROVEN
    assert pc.ask(link.CMD_STATUS)[0] == link.ANS_STATUS
    time.sleep_ms(40)
    assert pc.ask(link.CMD_STATUS) == (link.ANS_REFUSED, NOT_AUTHENTICATED)


def test_an_unreadable_key_lets_nobody_in():
    pc = _Pc(key="not a key")
    answer, body = pc.ask(link.CMD_IDENTIFY)
    assert body[25] & link.FLAG_KEY_SET
    for key in (KEY, b"", b"\x00" * 32):
        assert pc.prove(key)[0] == (link.ANS_REFUSED, NOT_AUTHENTICATED)


def test_no_key_leaves_the_link_open():
    pc = _Pc(key=None)
    assert pc.ask(link.CMD_STATUS)[0] == link.ANS_STATUS
    flags, _ = pc.challenge()
    assert not flags & link.FLAG_KEY_SET
    assert pc.prove(b"\x05" * 32)[0] == (link.ANS_PROVEN, b"")


def _ctrl_c_stops(device, rx):
    rx.data += b"\x03"
    try:
        device.poll()
    except KeyboardInterrupt:
        return True
    return False


def test_locked_console_takes_ctrl_c_only_in_the_service_window():
    rx = _Bytes()
    device = ServiceLink(rx, _Bytes(), _Journal(1), {"terminal": "T1", "firmware": "1.0"},
                         key=KEY, locked=True)
    try:
        assert link.locked() and not link.ctrl_c_stops_app()
        assert not _ctrl_c_stops(device, rx)
        assert device.junk_bytes == 1

        link.open_service_window()
        assert 0 < link.service_window_ms() <= link.SERVICE_WINDOW_MS
        assert _ctrl_c_stops(device, rx)

        link.close_service_window()
        assert not _ctrl_c_stops(device, rx)

        # The window shuts by itself once its time is up.
        link.open_service_window(10)
        time.sleep_ms(30)
        assert link.service_window_ms() == 0
        assert not _ctrl_c_stops(device, rx)
    finally:
        link.close_service_window()
        link.set_locked(False)
    assert _ctrl_c_stops(device, rx)


def test_identity_says_locked_and_whether_the_window_is_open():
    pc = _Pc(locked=True)
    try:
        flags = pc.ask(link.CMD_IDENTIFY)[1][25]
        assert flags == link.FLAG_KEY_SET | link.FLAG_LOCKED
        link.open_service_window()
        flags = pc.ask(link.CMD_IDENTIFY)[1][25]
        assert flags == link.FLAG_KEY_SET | link.FLAG_LOCKED | link.FLAG_SERVICE_OPEN
    finally:
        link.close_service_window()
        link.set_locked(False)


def test_a_pc_that_ends_its_session_leaves_none_behind():
    pc = _Pc()
    assert pc.prove()[0][0] == link.ANS_PROVEN
    assert pc.ask(link.CMD_END_SESSION) == (link.ANS_SESSION_ENDED, b"")
    # Whoever plugs in next finds no session to ride on.
    assert pc.ask(link.CMD_STATUS) == (link.ANS_REFUSED, NOT_AUTHENTICATED)
    assert pc.ask(link.CMD_IDENTIFY)[1][8:25] == bytes(17)
