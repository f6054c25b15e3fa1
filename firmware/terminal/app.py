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
#   console_waiting  optional: () -> True once the PC has sent bytes; with it
#                  the link (and `console`) is only made then, unless locked
#   clock          now() -> Unix seconds, valid() -> bool, set(unix_seconds)
#   settings       dict from config.json: merchant header, copies, width, language, PINs
#   settings_path  optional: the file the terminal keeps its own setting changes
#                  in (layered over `settings`, written atomically), or None
#   idle(ms)       waits at most ms for input, so the loop does not spin
#   gb2312_path    the GB2312 table file, or None

import sys
import time

from micropython import const

from terminal import record as rec
from terminal.feed import Printer
from terminal.journal import Journal, JournalFull
from terminal.menu import Menu, TerminalError
from terminal.money import MAX_CENTS
from terminal.pins import PinChecker, entry_matches
from terminal.settings import Settings
from terminal.textenc import TextEncoder


FIRMWARE_VERSION = "0.1.0"

_IDLE_MS = const(5)
_SUPERVISOR = const(0)  # the supervisor's operator number
_EXPORT_WARN_RECORDS = const(1000)  # records not yet pulled before the idle screen asks
_COPY_LABELS = ("MERCHANT COPY", "CUSTOMER COPY", "BANK COPY")
_FIRST_PRINT_INCOMPLETE = "FIRST PRINT INCOMPLETE"


class Terminal:
    """What the menus may ask of the terminal; the only place that writes the journal.

    `settings` is a terminal.settings.Settings (or a plain dict, kept in RAM).

    The back office (PINs, settings, voids, searches, batches and reports) is
    in terminal.office, loaded when first asked for; the methods here that
    hand over to _office() are documented there.
    """

    def __init__(self, journal, printer, settings, clock, encoder):
        self.journal = journal
        self.printer = printer
        self.settings = settings if isinstance(settings, Settings) else Settings(settings)
        self.clock = clock
        self.encoder = encoder
        self.pins = PinChecker(self.settings.get("pins", {}))
        self.operator = 1
        self.batch = self._current_batch()

    # Facts for the screens.

    def clock_valid(self):
        return self.clock.valid()

    def now(self):
        """The clock's Unix seconds, or None while it is not set."""
        return self.clock.now() if self.clock.valid() else None

    def training(self):
        return bool(self.settings.get("training", False))

    def setting(self, name, default=None):
        return self.settings.get(name, default)

    def printer_profiles(self):
        return _office().printer_profiles(self)

    def attention(self):
        """The idle screen's note: the most pressing thing that needs doing, or None."""
        if not self.clock.valid():
            return "CLOCK NOT SET"
        if self.printer.fault:
            return self.printer.fault
        if self.settings.rejected:
            return "SETTING IGNORED"
        if self.journal.near_full():
            # What this returns is on the idle screen: the warning has been
            # shown, which lets the overwrite policy recycle old sectors.
            self.journal.acknowledge_near_full()
            return "JOURNAL NEAR FULL"
        unexported = self.journal.newest() - self.journal.exported_up_to()
        if unexported >= self.settings.get("export_warn_records", _EXPORT_WARN_RECORDS):
            return "EXPORT JOURNAL"
        if self.training():
            return "TRAINING MODE"
        return None

    # PINs.

    def check_pin(self, role, pin):
        """True for the PIN of `role`. For "operator" any operator's PIN (or the
        supervisor's, as operator 00) passes, and that operator signs the
        records that follow."""
        if role != "operator":
            return self.pins.check(role, pin)
        # Every entry is compared, so the time taken says nothing of which matched.
        matched = None
        for number, entry in self._operator_entries():
            if entry_matches(entry, pin) and matched is None:
                matched = number
        if matched is None:
            return False
        self.operator = matched
        return True

    def pin_failures(self, role):
        """Wrong PINs in a row for `role`, as kept across reboots."""
        return self.settings.get("pin_failures", {}).get(role, 0)

    def set_pin_failures(self, role, count):
        failures = dict(self.settings.get("pin_failures", {}))
        if failures.get(role, 0) == count:
            return
        if count:
            failures[role] = count
        else:
            failures.pop(role, None)
        self.settings.set("pin_failures", failures)

    def operators(self):
        return _office().operators(self)

    def set_pin(self, number, pin):
        return _office().set_pin(self, number, pin)

    def _operator_table(self):
        # config.json's single "operator" PIN is operator 01 until the
        # operators table is written.
        table = self.settings.get("operators")
        if table is not None:
            return dict(table)
        legacy = self.settings.get("pins", {}).get("operator")
        return {"01": legacy} if legacy else {}

    def _operator_entries(self):
        entries = []
        table = self._operator_table()
        for key in table:
            entries.append((int(key), table[key]))
        supervisor = self.settings.get("pins", {}).get("supervisor")
        if supervisor:
            entries.append((_SUPERVISOR, supervisor))
        return entries

    # Settings and the clock.

    def set_setting(self, name, value):
        return _office().set_setting(self, name, value)

    def set_clock(self, unix_seconds):
        """Sets the clock and journals the change (CLOCK_SET, the old time in its reference)."""
        old = self.clock.now() if self.clock.valid() else None
        from terminal.slip import format_time

        event = rec.Record(
            rec.CLOCK_SET, operator=self.operator, batch=self.batch, timestamp=unix_seconds,
            clock_valid=True, currency=self._currency(),
            reference="" if old is None else "was " + format_time(old))
        self._commit(event)
        self.clock.set(unix_seconds)
        return event

    # Sales.

    def ring_sale(self, amount_cents, method, card_last4="", reference=""):
        if not self.clock.valid():
            raise TerminalError("CLOCK NOT SET")
        if amount_cents <= 0:
            raise TerminalError("AMOUNT IS ZERO")
        if amount_cents > MAX_CENTS:
            raise TerminalError("AMOUNT TOO LARGE")
        if rec.looks_like_card_number(reference):
            raise TerminalError("CARD NO. IN REF")
        kind = rec.TRAINING_SALE if self.training() else rec.SALE
        sale = rec.Record(
            kind, amount=amount_cents, method=method, operator=self.operator,
            batch=self.batch, timestamp=self._record_time(), clock_valid=True,
            currency=self._currency(), card_last4=card_last4[-4:], reference=reference)
        self._commit(sale)

        # Slips are printed only from the committed record.
        committed = self.find(sale.voucher)
        self._print_copies(committed)
        return committed

    def void(self, voucher):
        """Voids a sale of the open batch: a VOID record referring to it, and its slip."""
        if not self.clock.valid():
            raise TerminalError("CLOCK NOT SET")
        original = self.find(voucher)
        if original is None:
            raise TerminalError("NOT FOUND")
        refusal = self.void_refusal(original)
        if refusal:
            raise TerminalError(refusal)
        event = rec.Record(
            rec.VOID, amount=original.amount, method=original.method, operator=self.operator,
            batch=self.batch, timestamp=self._record_time(), clock_valid=True,
            refers_to=voucher, currency=original.currency, card_last4=original.card_last4)
        self._commit(event)
        self._print_copies(self.find(event.voucher))
        return event

    def void_refusal(self, record):
        return _office().void_refusal(self, record)

    def voided_by(self, voucher):
        return _office().voided_by(self, voucher)

    # Finding and reprinting.

    def find(self, voucher):
        payload = self.journal.read(voucher)
        if payload is None:
            return None
        return _decode(payload, voucher)

    def last_sale(self):
        for found in self._records(newest_first=True):
            if found.kind in _SLIP_KINDS:
                return found
        return None

    def search(self, amount_cents=None, start=None, end=None, amount_max=None):
        return _office().search(self, amount_cents, start, end, amount_max)

    def nearest(self, amount_cents=None, start=None, end=None, amount_max=None, limit=3):
        return _office().nearest(self, amount_cents, start, end, amount_max, limit)

    def reprint_count(self, voucher):
        # Reprint events always come after what they reprint.
        count = 0
        for event in self._records(start=voucher + 1):
            if event.kind == rec.REPRINT and event.refers_to == voucher:
                count += 1
        return count

    def reprint(self, voucher):
        original = self.find(voucher)
        if original is None or original.kind not in _SLIP_KINDS:
            raise TerminalError("NO SLIP #%06d" % voucher)
        count = self.reprint_count(voucher) + 1
        event = self._reprint_event(original)
        self._submit_slip(original, _COPY_LABELS[0], (count, event.timestamp))
        return event

    # Batches: settlement, detail list, totals.

    def batch_totals(self, batch=None):
        return _office().batch_totals(self, batch)

    def settle(self):
        """Closes the open batch: a SETTLEMENT record with its net, the
        settlement slip, and the next batch begins."""
        if not self.clock.valid():
            raise TerminalError("CLOCK NOT SET")
        totals = self.batch_totals()
        event = rec.Record(
            rec.SETTLEMENT, amount=totals.net_cents, operator=self.operator, batch=self.batch,
            timestamp=self._record_time(), clock_valid=True, currency=self._currency())
        self._commit(event)
        self.batch += 1
        self._submit(self._settlement_slip(totals, event.timestamp, None))
        return event

    def last_settlement(self):
        return _office().last_settlement(self)

    def reprint_settlement(self):
        return _office().reprint_settlement(self)

    def print_detail(self):
        return _office().print_detail(self)

    def print_totals(self):
        return _office().print_totals(self)

    def print_test_page(self):
        return _office().print_test_page(self)

    # Inner steps.

    def _current_batch(self):
        # The batch is read back from the journal, so it survives a reboot
        # with nothing else stored: the newest record's batch, or the one
        # after it when that record closed its batch.
        newest = self.journal.newest()
        if not newest:
            return 1
        record = self.find(newest)
        if record is None:
            return 1
        return record.batch + 1 if record.kind == rec.SETTLEMENT else record.batch

    def _batch_records(self, batch):
        """The records of `batch`, oldest first, read one at a time."""
        # Batches only grow along the journal: walk back to the batch's first
        # record, then forward from there.
        first = 0
        for found in self._records(newest_first=True):
            if found.batch < batch:
                break
            if found.batch == batch:
                first = found.voucher
        if not first:
            return
        for found in self._records(start=first):
            if found.batch > batch:
                break
            if found.batch == batch:
                yield found

    def _records(self, start=None, newest_first=False):
        """The journal's records, decoded. One the firmware cannot read (written
        by a newer version, or damaged in a way its CRC missed) is passed over:
        it must never stop the terminal from starting or selling."""
        for voucher, payload in self.journal.records(start=start, newest_first=newest_first):
            found = _decode(payload, voucher)
            if found is not None:
                yield found

    def _slip_records(self):
        for found in self._records(newest_first=True):
            if found.kind in _SLIP_KINDS:
                yield found

    def _reprint_event(self, original, reference=""):
        """The REPRINT record of `original`, journalled when there is room.

        A full journal refuses new sales but never a reprint: the slip is still
        printed, and its event, which has no place, keeps voucher 0.
        """
        event = rec.Record(
            rec.REPRINT, operator=self.operator, batch=self.batch,
            timestamp=self._record_time(), clock_valid=self.clock.valid(),
            refers_to=original.voucher, currency=original.currency, reference=reference)
        try:
            self._commit(event)
        except TerminalError:  # JOURNAL FULL
            pass
        return event

    def _record_time(self):
        """The clock's time, but never before the newest record's: a clock that
        went back by itself (reset at power-up, an epoch off, a step back) must
        not make a new record sort before an older one. set_clock journals the
        time it sets, so after an admin's correction the floor is that time."""
        newest = self.journal.newest()
        last = self.find(newest) if newest else None
        now = self.clock.now()
        return now if last is None or last.timestamp <= now else last.timestamp

    def _currency(self):
        return self.settings.get("currency", "CNY")

    def _commit(self, record):
        try:
            record.voucher = self.journal.append(record.encode())
        except JournalFull:
            raise TerminalError("JOURNAL FULL")

    def _print_copies(self, record):
        copies = min(max(self.settings.get("copies", 2), 1), len(_COPY_LABELS))
        for copy in range(copies):
            self._submit_slip(record, _COPY_LABELS[copy], None)

    def _submit_slip(self, record, copy_label, reprint):
        """Queues a slip. Should a printer fault cut it short, it is printed
        again whole, marked as a reprint, and the journal records that the
        first print was incomplete."""
        def again():
            event = self._reprint_event(record, reference=_FIRST_PRINT_INCOMPLETE)
            count = self.reprint_count(record.voucher) + (0 if event.voucher else 1)
            reprint = (count, event.timestamp, event.clock_valid)
            return self._with_density(self._slip(record, copy_label, reprint))

        self.printer.submit(self._with_density(self._slip(record, copy_label, reprint)), again)

    def _submit(self, job):
        self.printer.submit(self._with_density(job))

    def _with_density(self, job):
        # A density chosen at the terminal goes right after the job's reset,
        # which would otherwise undo it.
        density = self.settings.get("density")
        init = self.printer.profile.init
        if density and job.startswith(init):
            from terminal.escpos import heat

            job = init + heat(*_DENSITY_HEAT[density - 1]) + job[len(init):]
        return job

    def _slip(self, record, copy_label, reprint):
        # TODO: the header (merchant name and number) comes from the settings
        # in force now, so a reprint after the admin changed them differs from
        # the original there; journalling the header per batch would pin it.
        from terminal.slip import build_slip

        return build_slip(record, self.settings.values, self.printer.profile, self.encoder,
                          copy_label=copy_label, reprint=reprint)

    def _settlement_slip(self, totals, closed_at, reprint):
        return _office().settlement_slip(self, totals, closed_at, reprint)


def _office():
    # The back office (terminal.office): loaded by the first method that
    # needs it, dropped with the deeper menus.
    from terminal import office

    return office


def _profile(name):
    """The printer profile `name` (ValueError for none such)."""
    from terminal.escpos import get_profile

    return get_profile(name)


def _drop_job_modules():
    # Slips are built whole and queued as bytes; the printer's feed needs only
    # terminal.feed to print them. The builders are forgotten once a turn of
    # the main loop is done with them, so their RAM goes back to the heap and
    # the next slip loads them afresh. Nothing keeps a reference to them:
    # app.py imports them inside the functions that use them.
    package = None
    for name in _JOB_MODULES:
        if name in sys.modules:
            del sys.modules[name]
            package = package or sys.modules["terminal"]
            short = name[len("terminal."):]
            if hasattr(package, short):
                delattr(package, short)


def _decode(payload, voucher):
    try:
        return rec.Record.decode(payload, voucher)
    except ValueError:  # UnicodeError is one too
        return None


_SLIP_KINDS = (rec.SALE, rec.VOID, rec.REFUND, rec.TRAINING_SALE)
_JOB_MODULES = ("terminal.slip", "terminal.slip_reports", "terminal.escpos")
_DROP_JOB_MODULES = sys.implementation.name == "micropython"
# ESC 7 heating (dots, time, interval) for densities 1 (light) to 5 (dark).
_DENSITY_HEAT = ((7, 60, 40), (9, 80, 40), (11, 100, 40), (11, 120, 40), (11, 160, 40))


# TODO: the heap still has to hold the bytecode of every module loaded at the
# busiest moment (a reprint from the transactions menu: journal, menus, slip
# and escpos), well over a 64 KiB heap on the unix port. Running the firmware
# in place from a ROMFS partition, or frozen into the board's firmware, would
# leave mostly data on the heap; the deploy would have to build that image.
class App:
    """The terminal, its menu and its service link on `board`'s hardware."""

    def __init__(self, board):
        self.board = board
        # config.json's settings with the terminal's own changes over them,
        # kept in the file the board names (in RAM only without one).
        settings = Settings(board.settings, getattr(board, "settings_path", None))
        journal = Journal(board.flash, program_unit=board.program_unit,
                          page_size=getattr(board, "page_size", 0),
                          near_full_percent=settings.get("journal_near_full_percent", 80),
                          overwrite_oldest=settings.get("journal_policy") == "overwrite")
        journal.mount()

        encoder = TextEncoder(board.gb2312_path, settings.get("code_page", "cp437"))
        printer = Printer(board.printer_uart, _profile(settings.get("printer", "qr204")),
                          encoder, baud=settings.get("printer_baud", 9600),
                          rx_wired=getattr(board, "printer_rx_wired", None),
                          ready=getattr(board, "printer_ready", None))
        self.terminal = Terminal(journal, printer, settings, board.clock, encoder)
        self.menu = Menu(self.terminal)

        self.link = None
        self._console_waiting = None
        waiting = getattr(board, "console_waiting", None)
        if waiting is not None and not settings.get("link_locked", False):
            # The link's code stays off the heap until a PC first speaks. A
            # locked console starts it at once: the lock is the link's to keep.
            self._console_waiting = waiting
        else:
            self._open_link()

        board.screen.show(self.menu.lines)

    def _open_link(self):
        board = self.board
        settings = self.terminal.settings
        journal = self.terminal.journal
        if board.console is not None:
            from terminal.link import ServiceLink
            reader, writer = board.console
            identity = {"terminal": settings.get("terminal_no", "00000001"),
                        "firmware": FIRMWARE_VERSION}
            # The link key and the console lock come from provisioning (settings).
            self.link = ServiceLink(reader, writer, journal, identity,
                                    set_clock=self.terminal.set_clock,
                                    record_sale=self._register_sale,
                                    key=settings.get("link_key"),
                                    locked=settings.get("link_locked", False),
                                    printing=self._slips_printing)

    def _slips_printing(self):
        """True while slips are going out; a printer held by a fault (paper
        out, say) waits for a person, not for time, so it does not count."""
        printer = self.terminal.printer
        return printer.busy and not printer.held

    def _register_sale(self, amount_cents, method, card_last4, reference):
        """A sale sent by a cash register over the service link."""
        # A register's sales are real: a terminal in training mode refuses
        # them rather than record them as training.
        if self.terminal.training():
            raise TerminalError("TRAINING MODE")
        if card_last4 and method != rec.CARD:
            raise TerminalError("CARD DIGITS ON A NON-CARD SALE")
        return self.terminal.ring_sale(amount_cents, method, card_last4, reference).voucher

    def busy(self):
        """True while the link has work that should not wait for the idle pause."""
        return self.link is not None and self.link.busy()

    def step(self, now_ms):
        """One turn of the main loop; returns quickly whatever is going on."""
        key = self.board.keypad.scan(now_ms)
        if key is not None:
            self.menu.press(key)
        self.menu.tick(now_ms)

        self.terminal.printer.pump(now_ms)
        if self.link is not None:
            self.link.poll()
        elif self._console_waiting is not None and self._console_waiting():
            try:
                self._open_link()
                self._console_waiting = None
            except MemoryError:
                pass  # no room this turn; the bytes wait for the next
        if _DROP_JOB_MODULES:
            _drop_job_modules()

        if self.menu.changed:
            self.menu.changed = False
            self.board.screen.show(self.menu.lines)


def run(board):
    """The main loop: never blocks for long, so keys, printing and the link all move."""
    app = App(board)
    while True:
        app.step(time.ticks_ms())
        board.idle(0 if app.busy() else _IDLE_MS)
