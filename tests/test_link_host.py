# The PC's HostLink against the terminal's ServiceLink in the same process:
# a loopback "cable" polls the device whenever the PC waits for bytes, and
# can damage, cut or drop what crosses it.
import random
import struct

import crcmod.predefined
import pytest

from reslip.link import ExportRefused, HostLink, LinkError, NoAnswer, export_summary
from reslip.pull import PullError, pull_over
from reslip.store import Store
from terminal import link as wire
from terminal.journal import START_LINK, record_hash
from terminal.link import ServiceLink
from terminal.record import CARD, CASH, SALE, Record

from wire_faults import line_noise

TIMEOUT_S = 0.02
_PACKET = 4096


class FakeJournal:
    """The journal's API over a dict; the real one has its own tests."""

    def __init__(self):
        self.items = {}
        self.exported = 0
        self.next_voucher = 1

    def append(self, payload):
        voucher = self.next_voucher
        self.items[voucher] = bytes(payload)
        self.next_voucher += 1
        return voucher

    def read(self, voucher):
        return self.items.get(voucher)

    def records(self, start=None, newest_first=False, links=False):
        chained = []
        link = START_LINK  # each record links to the hash of the one before
        for voucher in sorted(self.items):
            chained.append((voucher, self.items[voucher], link))
            link = record_hash(voucher, link, self.items[voucher])
        for item in chained[::-1] if newest_first else chained:
            if start is None or item[0] >= start:
                yield item if links else item[:2]

    @property
    def count(self):
        return len(self.items)

    def oldest(self):
        return min(self.items) if self.items else None

    def newest(self):
        return max(self.items) if self.items else None

    def exported_up_to(self):
        return self.exported

    def mark_exported(self, voucher):
        self.exported = voucher

    def near_full(self):
        return False


def sales_journal(count, seed=1):
    chooser = random.Random(seed)
    journal = FakeJournal()
    for number in range(count):
        method = chooser.choice((CASH, CARD))
        journal.append(Record(
            SALE, amount=chooser.randrange(1, 10 ** 7), method=method, operator=number % 5,
            timestamp=1767225600 + 60 * number,
            card_last4="%04d" % chooser.randrange(10000) if method == CARD else "",
            reference="订单%d" % chooser.randrange(10 ** 6)).encode())
    return journal


class _Pipe:
    def __init__(self):
        self.data = bytearray()

    def read(self, limit):
        taken = bytes(self.data[:limit])
        del self.data[:limit]
        return taken

    def write(self, buf):
        self.data += buf
        return len(buf)


class Cable:
    """A pyserial-like port wired to a ServiceLink.

    damage(bytes, direction) may change bytes crossing; after `cut_after` bytes
    have reached the PC the cable goes dead both ways."""

    def __init__(self, device, to_device, from_device, damage=None, cut_after=None):
        self.device = device
        self.to_device = to_device
        self.from_device = from_device
        self.damage = damage
        self.cut_after = cut_after
        self.delivered = 0

    def _dead(self):
        return self.cut_after is not None and self.delivered >= self.cut_after

    @property
    def in_waiting(self):
        if not self.from_device.data:
            self.device.poll()
        return len(self.from_device.data)

    def read(self, limit):
        if self._dead():
            return b""
        if not self.from_device.data:
            self.device.poll()
        if self.cut_after is not None:
            limit = min(limit, self.cut_after - self.delivered)
        # Bytes arrive in pieces of about a frame, each one damaged or not.
        chunk = self.from_device.read(min(limit, _PACKET))
        if chunk and self.damage:
            chunk = self.damage(chunk, "in")
        self.delivered += len(chunk)
        return chunk

    def write(self, buf):
        if not self._dead():
            self.to_device.write(self.damage(bytes(buf), "out") if self.damage else buf)
        return len(buf)


class Terminal:
    """A journal behind a ServiceLink, to which cables can be plugged."""

    def __init__(self, journal, number="T0000042"):
        self.journal = journal
        self.to_device = _Pipe()
        self.from_device = _Pipe()
        self.clock = []
        self.device = ServiceLink(self.to_device, self.from_device, journal,
                                  {"terminal": number, "firmware": "9.8.7"},
                                  set_clock=self.clock.append, break_on_ctrl_c=False)

    def cable(self, **faults):
        # A fresh cable: what was in flight on the old one is lost.
        self.to_device.data.clear()
        self.from_device.data.clear()
        return Cable(self.device, self.to_device, self.from_device, **faults)


def pull_all(host, start=1):
    return [record for batch in host.pull(start) for record in batch]


def test_crc_matches_crcmod_reference():
    reference = crcmod.predefined.mkCrcFun("crc-32")
    chooser = random.Random(5)
    for size in (0, 1, 3, 64, 1000):
        data = bytes(chooser.randrange(256) for _ in range(size))
        assert wire.crc32(data) == reference(data)
    frame = wire.encode_frame(wire.ANS_STATUS, 1, b"pinned")
    assert struct.unpack("<I", frame[-4:])[0] == reference(frame[2:-4])


def test_identify_set_clock_and_pull_everything():
    terminal = Terminal(sales_journal(500))
    terminal.journal.exported = 120
    host = HostLink(terminal.cable(), timeout_s=TIMEOUT_S)

    identity = host.identify()
    assert (identity.terminal, identity.firmware) == ("T0000042", "9.8.7")
    assert (identity.count, identity.oldest, identity.newest, identity.exported_up_to) \
        == (500, 1, 500, 120)
    host.set_clock(1767225600)
    assert terminal.clock == [1767225600]

    pulled = pull_all(host)
    assert [(r.voucher, r.payload) for r in pulled] == list(terminal.journal.records())
    assert host.stats["resends"] == 0
    assert host.stats["record_bytes"] / host.stats["wire_bytes_in"] >= 0.9


def test_pull_from_the_middle_and_past_the_end():
    terminal = Terminal(sales_journal(50))
    host = HostLink(terminal.cable(), timeout_s=TIMEOUT_S)
    assert [r.voucher for r in pull_all(host, 31)] == list(range(31, 51))
    assert pull_all(host, 51) == []


def test_confirm_export_checks_count_and_crcs():
    terminal = Terminal(sales_journal(80))
    host = HostLink(terminal.cable(), timeout_s=TIMEOUT_S)
    pulled = pull_all(host)
    count, chain = export_summary((r.voucher, r.payload) for r in pulled[:60])

    with pytest.raises(ExportRefused):
        host.confirm_export(1, 60, count - 1, chain)
    with pytest.raises(ExportRefused):
        host.confirm_export(1, 60, count, chain ^ 1)
    assert terminal.journal.exported == 0

    assert host.confirm_export(1, 60, count, chain) == 60
    assert terminal.journal.exported == 60


def test_no_terminal_app_reads_clearly():
    class DeadPort:
        in_waiting = 0

        def read(self, limit):
            return b""

        def write(self, buf):
            return len(buf)

    with pytest.raises(NoAnswer, match="no answer from the terminal app"):
        HostLink(DeadPort(), timeout_s=TIMEOUT_S, retries=2).identify()


@pytest.mark.parametrize("seed", range(6))
def test_pull_through_junk_cuts_and_flipped_bits(seed):
    terminal = Terminal(sales_journal(400, seed))
    damage = line_noise(seed, 0.1)
    host = HostLink(terminal.cable(damage=damage), timeout_s=TIMEOUT_S, retries=12)

    assert host.identify().count == 400
    pulled = pull_all(host)

    assert [(r.voucher, r.payload) for r in pulled] == list(terminal.journal.records())
    count, chain = export_summary((r.voucher, r.payload) for r in pulled)
    assert host.confirm_export(1, 400, count, chain) == 400
    assert damage.damaged >= 3
    assert host.stats["resends"] + host.stats["naks"] + host.stats["skipped_bytes"] > 0


def test_pull_cut_at_any_point_resumes_to_exactly_the_journal(tmp_path):
    terminal = Terminal(sales_journal(150, seed=9))
    db_path = str(tmp_path / "store.sqlite")
    cuts = 0
    cut_after = 40
    while True:
        cable = terminal.cable(cut_after=cut_after)
        try:
            summary = pull_over(cable, db_path, timeout_s=TIMEOUT_S)
        except PullError:
            cuts += 1
            cut_after += 173  # a different place in the next frame every time
            continue
        if summary.export_note:
            cut_after += 173  # the cut hit the confirm: the next pull confirms
            continue
        break

    assert cuts > 10
    with Store(db_path) as store:
        assert store.payloads("T0000042", 1, 10 ** 6) == list(terminal.journal.records())
        assert store.conflicts() == []
    assert terminal.journal.exported == 150

    # A pull with nothing new stores nothing twice.
    again = pull_over(terminal.cable(), db_path, timeout_s=TIMEOUT_S)
    assert (again.received, again.added, again.export_note) == (0, 0, "")


def test_pull_writes_csv_and_reports_new_records(tmp_path):
    terminal = Terminal(sales_journal(30))
    db_path = str(tmp_path / "store.sqlite")
    csv_path = str(tmp_path / "out.csv")
    summary = pull_over(terminal.cable(), db_path, csv_path=csv_path, timeout_s=TIMEOUT_S)
    assert (summary.received, summary.added, summary.csv_rows) == (30, 30, 30)
    assert summary.exported_up_to == 30 and summary.export_note == ""

    for number in range(5):
        terminal.journal.append(Record(SALE, amount=number + 1).encode())
    summary = pull_over(terminal.cable(), db_path, timeout_s=TIMEOUT_S)
    assert (summary.received, summary.added, summary.exported_up_to) == (5, 5, 35)


def test_refused_command_is_an_error_not_a_retry():
    terminal = Terminal(sales_journal(3))
    terminal.device._set_clock = None
    host = HostLink(terminal.cable(), timeout_s=TIMEOUT_S)
    with pytest.raises(LinkError, match="no settable clock"):
        host.set_clock(1)
    assert host.stats["resends"] == 0


def test_polling_reader_always_restores_ctrl_c(monkeypatch):
    calls = []
    monkeypatch.setattr(wire.micropython, "kbd_intr", calls.append)

    class Ready:
        def poll(self, timeout_ms):
            return [(0, 1)]

    class Failing:
        def readinto(self, buf):
            raise OSError(5)

    class Bytes:
        def __init__(self):
            self.data = b">49\x03"

        def readinto(self, buf):
            buf[0], self.data = self.data[0], self.data[1:]
            return 1

    with pytest.raises(OSError):
        wire.PollingReader(Failing(), Ready()).read(8)
    assert calls == [-1, 3]
    assert wire.PollingReader(Bytes(), Ready()).read(4) == b">49\x03"
    assert calls == [-1, 3, -1, 3]


def test_ctrl_c_between_lines_stops_the_app_but_not_inside_one():
    journal = sales_journal(1)
    inside = _Pipe()
    inside.write(b">49\x03\n")
    device = ServiceLink(inside, _Pipe(), journal, {"terminal": "1", "firmware": "1"})
    device.poll()
    assert device.bad_frames == 1

    between = _Pipe()
    between.write(b"\x03")
    device = ServiceLink(between, _Pipe(), journal, {"terminal": "1", "firmware": "1"})
    with pytest.raises(KeyboardInterrupt):
        device.poll()


def _register(terminal):
    """Lets the terminal take register sales into its journal, as the app does."""
    def record_sale(amount, method, last4, reference):
        return terminal.journal.append(Record(
            SALE, amount=amount, method=method, card_last4=last4, reference=reference,
            timestamp=1767225600).encode())
    terminal.device._record_sale = record_sale


@pytest.mark.parametrize("seed", range(8))
def test_register_sale_through_a_bad_cable_is_recorded_once(seed):
    terminal = Terminal(sales_journal(3))
    _register(terminal)
    damage = line_noise(seed, 0.1)
    host = HostLink(terminal.cable(damage=damage), timeout_s=TIMEOUT_S, retries=12)

    vouchers = [host.record_sale(1000 + number, CARD, "6222 0212 3456 %04d" % number,
                                 "单%d" % number) for number in range(5)]

    assert vouchers == [4, 5, 6, 7, 8]
    assert terminal.journal.count == 8
    for number, voucher in enumerate(vouchers):
        sale = Record.decode(terminal.journal.read(voucher), voucher)
        assert (sale.amount, sale.card_last4, sale.reference) == \
            (1000 + number, "%04d" % number, "单%d" % number)
    everything = b"".join(terminal.journal.items.values())
    assert b"6222" not in everything and b"0212" not in everything


def test_register_sale_refused_and_bad_input_read_clearly():
    terminal = Terminal(sales_journal(1))
    host = HostLink(terminal.cable(), timeout_s=TIMEOUT_S)
    with pytest.raises(LinkError, match="takes no sales"):
        host.record_sale(100, CASH)
    with pytest.raises(LinkError, match="only digits"):
        host.record_sale(100, CARD, "4111-12ab")  # letters are no card digits
    with pytest.raises(LinkError, match="at most 40"):
        host.record_sale(100, CASH, reference="长" * 20)
    assert terminal.journal.count == 1


def test_confirm_of_exactly_what_was_sent_needs_no_second_read():
    terminal = Terminal(sales_journal(300))
    host = HostLink(terminal.cable(), timeout_s=TIMEOUT_S)
    pulled = pull_all(host)
    reads = []
    original = terminal.journal.records

    def counted(start=None, newest_first=False):
        for voucher, payload in original(start, newest_first):
            reads.append(voucher)
            yield voucher, payload
    terminal.journal.records = counted

    count, chain = export_summary((r.voucher, r.payload) for r in pulled)
    with pytest.raises(ExportRefused):
        host.confirm_export(1, 300, count, chain ^ 1)  # checked the slow way: refused
    reads.clear()
    assert host.confirm_export(1, 300, count, chain) == 300
    assert reads == []
