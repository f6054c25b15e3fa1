# The terminal's back office: PINs and settings, voids, searches, batches
# and their reports. terminal.app.Terminal offers each of these as a method
# of its own; the code is here so that a sale and a reprint, the work done
# all day, never pay RAM for it. The deeper menus, which alone ask for it,
# load it on demand and drop it with themselves back at the idle screen.
#
# Each function takes the Terminal as its first argument.

from micropython import const

from terminal import record as rec
from terminal.app import _COPY_LABELS, _DENSITY_HEAT, _SLIP_KINDS, _profile
from terminal.menu import TerminalError
from terminal.pins import PinChecker, new_pin_entry

_SUPERVISOR = const(0)  # the supervisor's operator number
_ADMIN = const(99)      # the admin's
_SEARCH_LIMIT = const(200)  # matches kept for one result list, newest first
_ADMIN_SETTINGS = ("merchant_no", "terminal_no", "printer", "density", "copies",
                   "journal_policy", "training")


def printer_profiles(terminal):
    """The names of the printer profiles there are, sorted."""
    from terminal.escpos import PROFILES

    return sorted(PROFILES)


def operators(terminal):
    """Numbers of the operators that have a PIN, in order."""
    return sorted(number for number, _ in terminal._operator_entries() if number)


def set_pin(terminal, number, pin):
    """Sets the PIN of operator `number` (1-98), the supervisor (0) or the
    admin (99); `pin` None removes an operator."""
    if not 0 <= number <= 99:
        raise TerminalError("NO SUCH OPERATOR")
    entry = None if pin is None else new_pin_entry(pin)
    if number in (_SUPERVISOR, _ADMIN):
        if entry is None:
            raise TerminalError("CANNOT REMOVE")
        pins = dict(terminal.settings.get("pins", {}))
        pins["supervisor" if number == _SUPERVISOR else "admin"] = entry
        terminal.settings.set("pins", pins)
        terminal.pins = PinChecker(terminal.settings.get("pins", {}))
        return
    operators = terminal._operator_table()
    if entry is None:
        if "%02d" % number not in operators:
            raise TerminalError("NO SUCH OPERATOR")
        del operators["%02d" % number]
    else:
        operators["%02d" % number] = entry
    terminal.settings.set("operators", operators)


def set_setting(terminal, name, value):
    """One admin setting; the change is written before this returns."""
    if name not in _ADMIN_SETTINGS:
        raise TerminalError("NOT A SETTING")
    if name == "printer":
        try:
            terminal.printer.profile = _profile(value)
        except ValueError:
            raise TerminalError("NO SUCH PRINTER")
    elif name == "copies" and not 1 <= value <= len(_COPY_LABELS):
        raise TerminalError("COPIES 1 TO 3")
    elif name == "density" and not 1 <= value <= len(_DENSITY_HEAT):
        raise TerminalError("DENSITY 1 TO 5")
    try:
        terminal.settings.set(name, value)
    except ValueError:
        raise TerminalError("BAD VALUE")
    if name == "journal_policy":
        # TODO: the journal takes its policy when it is built; it needs a
        # setter before a change can apply without a restart.
        return "AT RESTART"
    return None


def void_refusal(terminal, record):
    """Why `record` cannot be voided, or None when it can."""
    if record.kind != rec.SALE:
        return "ONLY SALES"
    if record.batch != terminal.batch:
        return "BATCH SETTLED"
    if terminal.voided_by(record.voucher):
        return "ALREADY VOIDED"
    return None


def voided_by(terminal, voucher):
    """The voucher of the VOID of `voucher`, or 0."""
    for event in terminal._records(start=voucher + 1):
        if event.kind == rec.VOID and event.refers_to == voucher:
            return event.voucher
    return 0


def search(terminal, amount_cents=None, start=None, end=None, amount_max=None):
    """Transactions matching every condition given, newest first; with
    `amount_max` the amount is a range from `amount_cents`."""
    # TODO: a search is capped at the newest _SEARCH_LIMIT matches, so a
    # result list fits in RAM; older ones need a narrower query.
    from terminal.query import find_transactions

    return find_transactions(terminal.journal, amount_cents=amount_cents,
                             amount_max=amount_max, start=start, end=end,
                             limit=_SEARCH_LIMIT, kinds=_SLIP_KINDS)


def nearest(terminal, amount_cents=None, start=None, end=None, amount_max=None, limit=3):
    """The transactions closest to a search that found nothing: by amount
    when one was asked for, then by time; at most `limit`, closest first."""
    # A running list of the best few, so the whole journal is never in RAM.
    best = []
    for record in terminal._slip_records():
        distance = (_distance(record.amount, amount_cents, amount_max),
                    _distance(record.timestamp, start, end))
        if len(best) == limit and distance >= best[-1][0]:
            continue
        best.append((distance, record.voucher, record))
        best.sort(key=lambda item: (item[0], -item[1]))
        del best[limit:]
    return [item[2] for item in best]


def batch_totals(terminal, batch=None):
    """Totals of `batch` (the open one by default) from the journal."""
    from terminal.totals import Totals

    batch = terminal.batch if batch is None else batch
    totals = Totals(batch)
    for record in terminal._batch_records(batch):
        totals.add(record)
    return totals


def last_settlement(terminal):
    """The newest SETTLEMENT record, or None."""
    for found in terminal._records(newest_first=True):
        if found.kind == rec.SETTLEMENT:
            return found
    return None


def reprint_settlement(terminal):
    """Prints the last settlement slip again, marked as a reprint."""
    settlement = terminal.last_settlement()
    if settlement is None:
        raise TerminalError("NO SETTLEMENT")
    count = terminal.reprint_count(settlement.voucher) + 1
    totals = terminal.batch_totals(settlement.batch)
    event = terminal._reprint_event(settlement)
    terminal._submit(settlement_slip(terminal, totals, settlement.timestamp,
                                     (count, event.timestamp)))
    return event


def print_detail(terminal):
    """The detail list (明细) of the open batch; returns the number of lines."""
    # TODO: the list is held whole in RAM; a long batch on a small board
    # wants the slip built a record at a time.
    from terminal.slip import build_detail_list

    records = [record for record in terminal._batch_records(terminal.batch)
               if record.kind in _SLIP_KINDS]

    terminal._submit(build_detail_list(records, terminal.settings.values,
                                       terminal.printer.profile, terminal.encoder,
                                       terminal.clock.now()))
    return len(records)


def print_totals(terminal):
    """The totals report (汇总) of the open batch."""
    from terminal.slip import build_totals_report

    totals = terminal.batch_totals()

    terminal._submit(build_totals_report(totals, terminal.settings.values,
                                         terminal.printer.profile, terminal.encoder,
                                         terminal.clock.now()))
    return totals


def print_test_page(terminal):
    """A page to check the printer: the profile, the density, every kind of line."""
    builder = terminal.printer.job(terminal.settings.get("width", 32))
    builder.init().align("center").bold(True).text("PRINTER TEST").bold(False)
    builder.text(terminal.printer.profile.name).align("left")
    builder.text("DENSITY %d" % terminal.settings.get("density", 3))
    builder.line(b"0123456789" * 4).line(b"-" * builder.columns)
    builder.double(True).text("1,234.56").double(False)
    if builder.chinese:
        builder.text("签购单 重打印凭证")
    builder.barcode("000000")
    builder.cut()
    terminal._submit(builder.build())


def settlement_slip(terminal, totals, closed_at, reprint):
    """The settlement slip's bytes for `totals`."""
    from terminal.slip import build_settlement_slip

    return build_settlement_slip(totals, terminal.settings.values, terminal.printer.profile,
                                 terminal.encoder, closed_at, reprint=reprint)


def _distance(value, low, high):
    """How far `value` lies outside [low, high]; a missing bound is no limit."""
    if low is not None and value < low:
        return low - value
    high = low if high is None and low is not None else high
    if high is not None and value > high:
        return value - high
    return 0
