# The PC's side of the link key: HostLink proves the key through a bad cable,
# pulls and register sales fail clearly without it, a lapsed session is
# proved again, key files are made and read, and a card number never crosses
# the wire whole.
import os
import stat
import time

import pytest

from reslip.errors import ReslipError
from reslip.link import (HostLink, LinkError, NotAuthenticated, key_from_environment,
                         make_key_file, read_key_file)
from reslip.pull import PullError, pull_over
from reslip.sale import _check_sale
from reslip.store import Store
from terminal.link import ServiceLink
from terminal.record import CARD, Record

from test_link_host import TIMEOUT_S, Terminal, pull_all, sales_journal
from wire_faults import line_noise

KEY = os.urandom(32)


class KeyedTerminal(Terminal):
    def __init__(self, journal, key=KEY, **options):
        super().__init__(journal)
        self.device = ServiceLink(self.to_device, self.from_device, journal,
                                  {"terminal": "T0000042", "firmware": "9.8.7"},
                                  set_clock=self.clock.append, break_on_ctrl_c=False, key=key,
                                  record_sale=self._record, **options)
        self.sales = []

    def _record(self, amount, method, last4, reference):
        self.sales.append((amount, method, last4, reference))
        return self.journal.append(Record(1, amount=amount, method=method,
                                          timestamp=1767225600, card_last4=last4,
                                          reference=reference).encode())


def test_pull_with_the_key_stores_everything(tmp_path):
    terminal = KeyedTerminal(sales_journal(120))
    summary = pull_over(terminal.cable(), str(tmp_path / "s.sqlite"), timeout_s=TIMEOUT_S,
                        key=KEY)
    assert (summary.received, summary.exported_up_to) == (120, 120)


@pytest.mark.parametrize("key", [None, b"\x00" * 32], ids=["missing", "wrong"])
def test_pull_without_the_right_key_is_refused_clearly(tmp_path, key):
    terminal = KeyedTerminal(sales_journal(10))
    db_path = str(tmp_path / "s.sqlite")
    with pytest.raises(PullError) as refusal:
        pull_over(terminal.cable(), db_path, timeout_s=TIMEOUT_S, key=key)
    assert str(refusal.value).startswith(
        "the terminal refused: not authenticated (wrong or missing key); give the terminal's "
        "key file with --key-file or RESLIP_KEY_FILE")
    with Store(db_path) as store:
        assert store.highest_voucher("T0000042") == 0
    assert terminal.journal.exported == 0
    assert terminal.device.refused_proofs == (0 if key is None else 1)


@pytest.mark.parametrize("seed", range(6))
def test_key_proved_through_a_bad_cable(seed):
    terminal = KeyedTerminal(sales_journal(200))
    host = HostLink(terminal.cable(damage=line_noise(seed, 0.1)), timeout_s=TIMEOUT_S,
                    retries=12, key=KEY)
    identity = host.identify()
    assert identity.key_set and identity.count == 200
    assert [record.voucher for record in pull_all(host)] == list(range(1, 201))
    assert terminal.device.refused_proofs == 0


def test_a_lapsed_session_is_proved_again():
    terminal = KeyedTerminal(sales_journal(3), session_idle_ms=30)
    host = HostLink(terminal.cable(), timeout_s=TIMEOUT_S, key=KEY)
    host.identify()
    time.sleep(0.06)
    assert host.status()["commands"] > 0
    host.set_clock(1767225600)
    assert terminal.clock == [1767225600]


def test_key_files(tmp_path, monkeypatch):
    path = str(tmp_path / "terminal-00000001.key")
    key = make_key_file(path)
    assert len(key) == 32 and read_key_file(path) == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(LinkError, match="cannot create"):
        make_key_file(path)  # never overwritten
    assert read_key_file(path) == key

    monkeypatch.setenv("RESLIP_KEY_FILE", path)
    assert key_from_environment() == key
    assert key_from_environment(None) == key
    monkeypatch.delenv("RESLIP_KEY_FILE")
    assert key_from_environment() is None

    junk = tmp_path / "junk.key"
    junk.write_text("0123 not hex")
    with pytest.raises(LinkError, match="does not hold a link key"):
        read_key_file(str(junk))
    with pytest.raises(LinkError, match="cannot read the key file"):
        read_key_file(str(tmp_path / "missing.key"))


def test_register_card_numbers_leave_the_pc_as_their_last_four_digits():
    terminal = KeyedTerminal(sales_journal(0))
    cable = terminal.cable()
    sent = []
    write = cable.write
    cable.write = lambda buf: sent.append(bytes(buf)) or write(buf)
    host = HostLink(cable, timeout_s=TIMEOUT_S, key=KEY)
    host.identify()
    for card in ("4111 1111 1111 1234", "4111-1111-1111-5678", "6222021234569012", "  9876 "):
        host.record_sale(500, CARD, card)
    assert [sale[2] for sale in terminal.sales] == ["1234", "5678", "9012", "9876"]
    wire = b"".join(sent).lower()
    # The first eight digits, as typed or run together: four alone could turn
    # up by chance in the hex of the random proof and CRCs.
    for whole in (b"4111 1111", b"4111-1111", b"41111111", b"62220212"):
        assert whole not in wire and whole.hex().encode() not in wire


@pytest.mark.parametrize("card, message", [
    ("123", "fewer than 4 digits"), ("1 2-3", "fewer than 4 digits"), ("--", "only digits"),
    ("4111 11x1", "only digits"), ("４１１１１１１１", "only digits"),
])
def test_short_or_odd_card_numbers_are_refused_before_sending(card, message):
    with pytest.raises(ReslipError, match=message):
        _check_sale(500, "card", card, "")
    terminal = KeyedTerminal(sales_journal(0))
    host = HostLink(terminal.cable(), timeout_s=TIMEOUT_S, key=KEY)
    with pytest.raises(LinkError, match=message):
        host.record_sale(500, CARD, card)
    assert terminal.sales == []


def test_a_card_number_in_the_reference_never_leaves_the_pc():
    with pytest.raises(ReslipError, match="looks like a card number"):
        _check_sale(500, "cash", "", "paid 4111 1111 1111 1234")
    terminal = KeyedTerminal(sales_journal(0))
    host = HostLink(terminal.cable(), timeout_s=TIMEOUT_S, key=KEY)
    with pytest.raises(LinkError, match="looks like a card number"):
        host.record_sale(500, CARD, "1234", reference="4111-1111-1111-1234")
    assert terminal.sales == []


def test_not_authenticated_is_a_refusal_with_its_code():
    terminal = KeyedTerminal(sales_journal(1))
    host = HostLink(terminal.cable(), timeout_s=TIMEOUT_S)
    with pytest.raises(NotAuthenticated) as refusal:
        host.status()
    assert refusal.value.code == 6 and "wrong or missing key" in str(refusal.value)
