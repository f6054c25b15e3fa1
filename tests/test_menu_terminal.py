# The menus on the real Terminal: a journal on an emulated NOR flash in RAM,
# the printer emulator decoding the bytes the printer driver sends, settings
# in a scratch file. Key scripts drive it; the slips are checked as printed.
import json
import os

from norflash import NorFlash
from reslip.printer_emu import PrinterEmulator
from reslip.tables import DEFAULT_GB2312_TABLE
from terminal.app import Terminal
from terminal.escpos import Printer, get_profile
from terminal.journal import Journal
from terminal.keyscript import parse, run
from terminal.menu import Menu
from terminal.pins import make_pin_entry
from terminal.record import REPRINT, SALE, SETTLEMENT, TRAINING_SALE, VOID, Record
from terminal.settings import Settings
from terminal.textenc import TextEncoder

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START = 1796315802  # 2026-12-03 16:36:42


class Clock:
    def __init__(self, seconds=START, valid=True):
        self.seconds = seconds
        self.is_valid = valid

    def now(self):
        return self.seconds

    def valid(self):
        return self.is_valid

    def set(self, unix_seconds):
        self.seconds = unix_seconds
        self.is_valid = True


def base_settings():
    with open(os.path.join(ROOT, "boards", "unix", "config.json"), encoding="utf-8") as file:
        base = json.load(file)
    base["language"] = "en"
    # Known PINs for the script: operator 1234, supervisor 0000, admin 9999.
    base["pins"] = {"operator": make_pin_entry(b"op", "1234"),
                    "supervisor": make_pin_entry(b"su", "0000"),
                    "admin": make_pin_entry(b"ad", "9999")}
    return base


class Rig:
    """Terminal, menu and printer emulator, ticked like the app's main loop."""

    def __init__(self, flash, settings_path, clock):
        self.flash = flash
        self.clock = clock
        self.emulator = PrinterEmulator("qr204")
        journal = Journal(flash)
        journal.mount()
        encoder = TextEncoder(DEFAULT_GB2312_TABLE, "cp437")
        settings = Settings(base_settings(), settings_path)
        printer = Printer(self.emulator, get_profile(settings.get("printer")), encoder)
        self.terminal = Terminal(journal, printer, settings, clock, encoder)
        self.menu = Menu(self.terminal)
        self.now_ms = 0
        self.menu.tick(0)

    @property
    def lines(self):
        return self.menu.lines

    def press(self, key):
        self.menu.press(key)
        self.clock.seconds += 7
        self.pump()

    def pump(self):
        # Until the printer has sent all it was given.
        for _ in range(200000):
            self.now_ms += 5
            self.terminal.printer.pump(self.now_ms)
            if not self.terminal.printer.busy:
                break
        self.menu.tick(self.now_ms)

    def play(self, script):
        run(parse(script), self)

    def slips(self):
        return [slip.text for slip in self.emulator.slips()]

    def records(self):
        journal = self.terminal.journal
        return [Record.decode(payload, voucher) for voucher, payload in journal.records()]


def new_rig(tmp_path, clock=None):
    flash = NorFlash(None, 4096, 16)
    return Rig(flash, str(tmp_path / "settings.json"), clock or Clock())


def test_sale_void_settlement_and_its_reprint_print_what_they_say(tmp_path):
    rig = new_rig(tmp_path)
    rig.play("""
        A 12*5 # 1 #            ? PRINTED #000001
        C A 8*01 # 3 #          ? PRINTED #000002
        C B 1234 # * 7          ? SUPERVISOR PIN
        0000 # 1 1 #            ? VOID #000001?
                                ? 12.50
        #                       ? VOIDED #000001
                                ? SLIP #000003
        # 1 #                   ? ALREADY VOIDED
        # C 2                   ? SETTLE 000001?
                                ? NET
                                ? 8.01
        #                       ? SETTLED 000001
        # 3                     ? REPRINT SETTLE?
        #                       ? SETTLE REPRINTED
        """)
    kinds = [record.kind for record in rig.records()]
    assert kinds == [SALE, SALE, VOID, SETTLEMENT, REPRINT]
    assert rig.records()[2].refers_to == 1
    assert rig.records()[3].amount == 801 and rig.records()[3].batch == 1
    assert rig.terminal.batch == 2

    slips = rig.slips()
    # Two copies of each sale and of the void, then the settlement and its reprint.
    assert len(slips) == 2 + 2 + 2 + 1 + 1
    assert "12.50" in slips[0] and "MERCHANT COPY" in slips[0]
    assert "VOID" in slips[4] and "-12.50" in slips[4]
    assert "SETTLEMENT" in slips[6] and "8.01" in slips[6]
    assert "REPRINT" not in slips[6]
    assert "SETTLEMENT" in slips[7] and "REPRINT" in slips[7]

    # A new start on the same flash takes up batch 2 from the journal alone.
    again = Rig(rig.flash, str(tmp_path / "settings.json"), rig.clock)
    assert again.terminal.batch == 2


def test_nothing_prints_or_is_journaled_before_enter(tmp_path):
    rig = new_rig(tmp_path)
    rig.play("""
        A 5 # 1                 ? PRINT CASH?
        C C C C                 ? READY
        B 1234 # * 5            ? PRINT DETAIL?
        C 6                     ? PRINT TOTALS?
        C 7 0000 # 2            ? SETTLE 000001?
        C C 8 9999 # 3 20261203 # 1640 #   ? SET CLOCK?
        C C C C C C             ? READY
        """)
    assert rig.emulator.stream == b""
    assert rig.records() == []
    assert not os.path.exists(tmp_path / "settings.json")


def test_detail_and_totals_reports(tmp_path):
    rig = new_rig(tmp_path)
    rig.play("""
        A 12*5 # 1 # C
        A 7 # 2 4321 # # C
        B 1234 # 5 #            ? DETAIL PRINTED
                                ? 2 RECORDS
        # 6                     ? NET        19.50
        #                       ? TOTALS PRINTED
        """)
    slips = rig.slips()
    assert len(slips) == 6
    detail, totals = slips[4], slips[5]
    assert "000001" in detail and "12.50" in detail and "7.00" in detail
    assert "19.50" in totals
    assert [record.kind for record in rig.records()] == [SALE, SALE]  # reports journal nothing


def test_admin_changes_persist_and_training_sales_are_marked(tmp_path):
    rig = new_rig(tmp_path)
    rig.play("""
        B 1234 # 8 9999 #       ? 1 PINS 2 HEADER
        1 05 # 0123 # 0123 # #  ? PIN SAVED
        # C 5 D 1 # #           ? SAVED
        # C 7 #                 ? SAVED
        # C C C                 ? TRAINING MODE
        A 3 # 1                 ? TRAINING
        #                       ? PRINTED #000001
        """)
    records = rig.records()
    assert [record.kind for record in records] == [TRAINING_SALE]
    slips = rig.slips()
    assert len(slips) == 1  # copies now 1
    assert "TRAINING" in slips[0]

    # After a restart the settings are still there, and operator 05 signs in
    # with "0123" but not with "123".
    again = Rig(rig.flash, str(tmp_path / "settings.json"), rig.clock)
    assert again.terminal.setting("copies") == 1
    assert again.terminal.training()
    assert not again.terminal.check_pin("operator", "123")
    assert again.terminal.check_pin("operator", "0123")
    assert again.terminal.operator == 5
    assert again.terminal.check_pin("operator", "1234")
    assert again.terminal.operator == 1
    with open(tmp_path / "settings.json") as file:
        assert "0123" not in file.read()


def test_pin_lock_survives_a_restart(tmp_path):
    rig = new_rig(tmp_path)
    rig.play("B 1# 1# 1# 1# 1#  ? PIN LOCKED")
    again = Rig(rig.flash, str(tmp_path / "settings.json"), rig.clock)
    again.play("C B ? PIN LOCKED")
    assert again.terminal.pin_failures("operator") == 5


def test_clock_set_from_the_keypad_opens_sales(tmp_path):
    rig = new_rig(tmp_path, Clock(1609459200, valid=False))
    rig.play("""
        ? CLOCK NOT SET
        A                       ? NO SALES
        # B 1234 # 8 9999 # 3 20261203 # 1640 # #   ? CLOCK SET
        # C C C A 1 # 1 #       ? PRINTED #000002
        """)
    records = rig.records()
    assert records[0].kind == 6  # CLOCK_SET
    assert records[0].timestamp == 1796316000
    assert "2026-12-03 16:4" in rig.slips()[0]  # the set time, a few keys later


def test_not_found_offers_the_nearest_on_the_real_journal(tmp_path):
    rig = new_rig(tmp_path)
    rig.play("""
        A 5 # 1 # C A 12*5 # 1 # C A 3 # 1 # C
        B 1234 # 3 12 #         ? NOT FOUND 12.00
                                ? NEAR 12.50 5.00
        #                       ? 1/3      #000002
        # #                     ? SENT TO PRINTER
        """)
    assert "REPRINT" in rig.slips()[-1] and "12.50" in rig.slips()[-1]
