# The terminal keeps working past what it cannot read or must not keep: a
# record in a format it does not know, settings of the wrong kind, a card
# number slipped into a reference, an amount beyond the cap.
import pytest
from norflash import NorFlash
from reslip.printer_emu import PrinterEmulator
from reslip.tables import DEFAULT_GB2312_TABLE
from terminal.app import Terminal
from terminal.escpos import Printer, get_profile
from terminal.journal import Journal
from terminal.menu import TerminalError
from terminal.record import CASH, SALE, Record
from terminal.settings import Settings
from terminal.textenc import TextEncoder

from test_menu_terminal import Clock, base_settings


def terminal_on(journal, settings=None):
    encoder = TextEncoder(DEFAULT_GB2312_TABLE, "cp437")
    printer = Printer(PrinterEmulator("qr204"), get_profile("qr204"), encoder)
    return Terminal(journal, printer, Settings(settings or base_settings()), Clock(), encoder)


def mounted_journal():
    journal = Journal(NorFlash(sector_count=16))
    journal.mount()
    return journal


def test_a_record_of_an_unknown_format_is_passed_over():
    journal = mounted_journal()
    first = terminal_on(journal).ring_sale(1250, CASH)
    newer = bytearray(Record(SALE, amount=999).encode())
    newer[0] = 2  # a format this firmware does not know
    journal.append(bytes(newer))

    # The terminal starts, finds and reprints as before.
    terminal = terminal_on(journal)
    assert terminal.last_sale().voucher == first.voucher
    assert terminal.find(first.voucher + 1) is None
    assert [record.voucher for record in terminal.search(amount_cents=1250)] == [first.voucher]
    terminal.reprint(first.voucher)
    assert terminal.reprint_count(first.voucher) == 1


def test_settings_of_the_wrong_kind_are_set_aside_and_shown():
    settings = base_settings()
    settings.update({"copies": "2", "printer": "nosuch", "density": 9, "currency": "EURO",
                     "training": "no", "pins": None})
    terminal = terminal_on(mounted_journal(), settings)
    assert sorted(terminal.settings.rejected) == [
        "copies", "currency", "density", "pins", "printer", "training"]
    assert terminal.attention() == "SETTING IGNORED"

    # A sale still rings and prints with the defaults.
    sale = terminal.ring_sale(500, CASH)
    assert terminal.find(sale.voucher).currency == "CNY"
    assert not terminal.training()


def test_a_bad_admin_value_is_refused_and_nothing_changes():
    terminal = terminal_on(mounted_journal())
    with pytest.raises(TerminalError):
        terminal.set_setting("copies", 7)
    assert terminal.settings.get("copies") == base_settings()["copies"]


def test_card_numbers_and_huge_amounts_never_reach_the_journal():
    journal = mounted_journal()
    terminal = terminal_on(journal)
    for reference in ("4111111111111111", "4111 1111 1111 1111", "pan 4111-1111-1111-1111"):
        with pytest.raises(TerminalError):
            terminal.ring_sale(100, CASH, "", reference)
    with pytest.raises(TerminalError):
        terminal.ring_sale(1000000000, CASH)
    assert journal.newest() == 0

    # Short numbers in a reference are fine: a table, an order number.
    assert terminal.ring_sale(100, CASH, "", "table 12 order 3345").voucher == 1


def test_a_full_journal_refuses_sales_but_still_finds_and_reprints():
    journal = Journal(NorFlash(sector_count=3))
    journal.mount()
    terminal = terminal_on(journal)
    sold = []
    with pytest.raises(TerminalError, match="JOURNAL FULL"):
        for _ in range(1000):
            sold.append(terminal.ring_sale(100 + len(sold), CASH))
    assert len(sold) > 10

    # Search and reprint keep working; the reprint prints though its event has no room.
    first = sold[0]
    assert [record.voucher for record in terminal.search(amount_cents=first.amount)] == [
        first.voucher]
    event = terminal.reprint(first.voucher)
    assert event.voucher == 0
    now = 0
    while terminal.printer.busy and now < 10 ** 7:
        terminal.printer.pump(now)
        now += 5
    last = terminal.printer.uart.slips()[-1].text
    assert "REPRINT" in last and "%06d" % first.voucher in last
