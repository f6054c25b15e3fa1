# A slip cut short by the printer is printed again whole once the fault
# clears, marked as a reprint, and the journal says the first print was
# incomplete. The real Terminal, journal and driver; the printer emulated.
from norflash import NorFlash
from reslip.printer_emu import PrinterEmulator
from reslip.tables import DEFAULT_GB2312_TABLE
from terminal.app import Terminal
from terminal.escpos import Printer, get_profile
from terminal.journal import Journal
from terminal.record import CASH, REPRINT, Record
from terminal.textenc import TextEncoder

from test_menu_terminal import Clock, base_settings

_STEP_MS = 5


def rig(paper_out_after_rows):
    journal = Journal(NorFlash(sector_count=16))
    journal.mount()
    emulator = PrinterEmulator("qr204", paper_out_after_rows=paper_out_after_rows)
    encoder = TextEncoder(DEFAULT_GB2312_TABLE, "cp437")
    settings = base_settings()
    settings["copies"] = 1
    printer = Printer(emulator, get_profile("qr204"), encoder)
    return Terminal(journal, printer, settings, Clock(), encoder), emulator


def pump(terminal, now_ms, until, limit_ms=600000):
    while not until() and now_ms < limit_ms:
        terminal.printer.pump(now_ms)
        now_ms += _STEP_MS
    assert until(), "the printer never got there"
    return now_ms


def test_paper_out_mid_slip_prints_it_again_whole_and_journals_it():
    terminal, emulator = rig(paper_out_after_rows=8)
    sale = terminal.ring_sale(123456, CASH, "")

    # The paper runs out part way: the job is held with a message to show.
    now = pump(terminal, 0, lambda: terminal.printer.held)
    assert terminal.printer.fault == "PAPER OUT"
    assert terminal.attention() == "PAPER OUT"

    emulator.load_paper()
    pump(terminal, now, lambda: not terminal.printer.busy)

    events = [Record.decode(payload, voucher)
              for voucher, payload in terminal.journal.records(start=sale.voucher + 1)]
    assert [(event.kind, event.refers_to, event.reference) for event in events] == [
        (REPRINT, sale.voucher, "FIRST PRINT INCOMPLETE")]

    slips = emulator.slips()
    whole = slips[-1].text
    assert "REPRINT" in whole and "1,234.56" in whole and "%06d" % sale.voucher in whole
    assert terminal.reprint_count(sale.voucher) == 1


def test_a_slip_printed_whole_records_nothing_more():
    terminal, emulator = rig(paper_out_after_rows=None)
    sale = terminal.ring_sale(500, CASH, "")
    pump(terminal, 0, lambda: not terminal.printer.busy)
    assert terminal.journal.newest() == sale.voucher
    assert "REPRINT" not in emulator.slips()[-1].text
