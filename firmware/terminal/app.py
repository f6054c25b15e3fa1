# The terminal: journal, printer, menus and service link wired together, and
# the main loop that runs them on any board.
#
# A board module hands in its hardware as one object (see boards/*/board.py):
#   flash          block device holding the journal's region
#   program_unit   the flash's program unit in bytes
#   keypad         scan(now_ms) -> key character or None, never blocks
#   screen         show(lines) draws the menu's lines
#   printer_uart   write(buf) -> count, read(n) / any() for status replies
#   console        (reader, writer) of the service link, or None
#   clock          now() -> Unix seconds, valid() -> bool, set(unix_seconds)
#   settings       dict: merchant header, copies, width, language, PINs
#   idle(ms)       waits at most ms for input, so the loop does not spin
#   gb2312_path    the GB2312 table file, or None

import time

from micropython import const

from terminal import record as rec
from terminal.escpos import Printer, get_profile
from terminal.journal import Journal, JournalFull
from terminal.menu import Menu, TerminalError
from terminal.pins import PinChecker
from terminal.slip import build_slip
from terminal.textenc import TextEncoder

FIRMWARE_VERSION = "0.1.0"

_IDLE_MS = const(5)
_COPY_LABELS = ("MERCHANT COPY", "CUSTOMER COPY", "BANK COPY")


class Terminal:
    """What the menus may ask of the terminal; the only place that writes the journal."""

    def __init__(self, journal, printer, settings, clock, encoder):
        self.journal = journal
        self.printer = printer
        self.settings = settings
        self.clock = clock
        self.encoder = encoder
        self.pins = PinChecker(settings.get("pins", {}))
        self.operator = 1
        self.batch = 1

    # Facts for the screens.

    def clock_valid(self):
        return self.clock.valid()

    def attention(self):
        if not self.clock.valid():
            return "CLOCK NOT SET"
        if self.printer.fault:
            return self.printer.fault
        if self.journal.near_full():
            return "JOURNAL NEAR FULL"
        return None

    def check_pin(self, role, pin):
        return self.pins.check(role, pin)

    # Sales.

    def ring_sale(self, amount_cents, method, card_last4=""):
        if not self.clock.valid():
            raise TerminalError("CLOCK NOT SET")
        if amount_cents <= 0:
            raise TerminalError("AMOUNT IS ZERO")
        sale = rec.Record(
            rec.SALE, amount=amount_cents, method=method, operator=self.operator,
            batch=self.batch, timestamp=self.clock.now(), clock_valid=True,
            currency=self.settings.get("currency", "CNY"), card_last4=card_last4[-4:])
        self._commit(sale)

        # Slips are printed only from the committed record.
        committed = self.find(sale.voucher)
        for copy in range(self.settings.get("copies", 2)):
            self.printer.submit(self._slip(committed, _COPY_LABELS[copy], None))
        return committed

    # Finding and reprinting.

    def find(self, voucher):
        payload = self.journal.read(voucher)
        if payload is None:
            return None
        return rec.Record.decode(payload, voucher)

    def last_sale(self):
        for voucher, payload in self.journal.records(newest_first=True):
            found = rec.Record.decode(payload, voucher)
            if found.kind in _SLIP_KINDS:
                return found
        return None

    def search(self, amount_cents=None, start=None, end=None):
        """Transactions matching every condition given, newest first."""
        matches = []
        for voucher, payload in self.journal.records(newest_first=True):
            found = rec.Record.decode(payload, voucher)
            if found.kind not in _SLIP_KINDS:
                continue
            if amount_cents is not None and found.amount != amount_cents:
                continue
            if start is not None and found.timestamp < start:
                continue
            if end is not None and found.timestamp > end:
                continue
            matches.append(found)
        return matches

    def reprint_count(self, voucher):
        # Reprint events always come after what they reprint.
        count = 0
        for event_voucher, payload in self.journal.records(start=voucher + 1):
            event = rec.Record.decode(payload, event_voucher)
            if event.kind == rec.REPRINT and event.refers_to == voucher:
                count += 1
        return count

    def reprint(self, voucher):
        original = self.find(voucher)
        if original is None or original.kind not in _SLIP_KINDS:
            raise TerminalError("NO SLIP #%06d" % voucher)
        count = self.reprint_count(voucher) + 1
        event = rec.Record(
            rec.REPRINT, operator=self.operator, batch=self.batch,
            timestamp=self.clock.now(), clock_valid=self.clock.valid(), refers_to=voucher,
            currency=original.currency)
        self._commit(event)
        self.printer.submit(self._slip(original, _COPY_LABELS[0], (count, event.timestamp)))
        return event

    # Inner steps.

    def _commit(self, record):
        try:
            record.voucher = self.journal.append(record.encode())
        except JournalFull:
            raise TerminalError("JOURNAL FULL")

    def _slip(self, record, copy_label, reprint):
        return build_slip(record, self.settings, self.printer.profile, self.encoder,
                          copy_label=copy_label, reprint=reprint)


_SLIP_KINDS = (rec.SALE, rec.VOID, rec.REFUND, rec.TRAINING_SALE)


class App:
    """The terminal, its menu and its service link on `board`'s hardware."""

    def __init__(self, board):
        self.board = board
        journal = Journal(board.flash, program_unit=board.program_unit)
        journal.mount()

        settings = board.settings
        encoder = TextEncoder(board.gb2312_path, settings.get("code_page", "cp437"))
        printer = Printer(board.printer_uart, get_profile(settings.get("printer", "qr204")),
                          encoder)
        self.terminal = Terminal(journal, printer, settings, board.clock, encoder)
        self.menu = Menu(self.terminal)

        self.link = None
        if board.console is not None:
            from terminal.link import ServiceLink
            reader, writer = board.console
            identity = {"terminal": settings.get("terminal_no", "00000001"),
                        "firmware": FIRMWARE_VERSION}
            self.link = ServiceLink(reader, writer, journal, identity,
                                    set_clock=board.clock.set)

        board.screen.show(self.menu.lines)

    def step(self, now_ms):
        """One turn of the main loop; returns quickly whatever is going on."""
        key = self.board.keypad.scan(now_ms)
        if key is not None:
            self.menu.press(key)
        self.menu.tick(now_ms)

        self.terminal.printer.pump(now_ms)
        if self.link is not None:
            self.link.poll()

        if self.menu.changed:
            self.menu.changed = False
            self.board.screen.show(self.menu.lines)


def run(board):
    """The main loop: never blocks for long, so keys, printing and the link all move."""
    app = App(board)
    while True:
        app.step(time.ticks_ms())
        board.idle(_IDLE_MS)
