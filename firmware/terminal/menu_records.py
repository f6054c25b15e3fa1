# The transactions menu, behind the operator's PIN: reprint the last sale or
# a voucher, find sales by amount, days or a range, list what was found (or
# what lies nearest), and print the batch's detail list and totals. Its last
# two choices load the supervisor's and the admin's menus. Loaded by
# terminal.menu only when the operator's PIN opens it.

from micropython import const

from terminal.menu import TerminalError, load_menu
from terminal.menu_entry import (KEY_CANCEL, KEY_ENTER, KEY_POINT, _AmountEntry, _Screen,
                                 _spread)
from terminal.menu_screens import (_Confirm, _DateEntry, _Options, _ask_voucher, _date_time,
                                   _net_line, _record_line)
from terminal.money import format_cents
from terminal.record import KIND_NAMES, REFUND, SALE, SETTLEMENT, TRAINING_SALE, VOID

# Kinds whose slip the reprint menus print again; a reprint event or a clock
# change has no slip, and a settlement's reprint is a supervisor's business.
_SLIP_KINDS = (SALE, VOID, REFUND, TRAINING_SALE)
_SECONDS_PER_DAY = const(86400)


def open_menu(menu):
    menu._push(_TransactionsMenu())


class _TransactionsMenu(_Options):
    def __init__(self):
        _Options.__init__(self, (
            ("1 LAST 2 VOUCHER", "3 AMT 4 TIME  *>"),
            ("5 DETAIL 6 TOTAL", "7 SUPERV 8 ADMIN"),
        ), {
            "1": _reprint_last,
            "2": _open_voucher_entry,
            "3": _open_amount_search,
            "4": _open_time_search,
            "5": _confirm_detail,
            "6": _confirm_totals,
            "7": _open_supervisor,
            "8": _open_admin,
        })


def _reprint_last(menu):
    record = menu.terminal.last_sale()
    if record is None:
        menu._notice("NO SALES", "NOTHING TO PRINT")
    else:
        _open_preview(menu, record)


def _open_voucher_entry(menu):
    _ask_voucher(menu, "VOUCHER NO.", _open_preview)


def _open_amount_search(menu):
    query = _Query(full=False)
    menu._push(_AmountEntry("FIND AMOUNT", query.take_amount))


def _open_time_search(menu):
    query = _Query(full=True)
    menu._push(_DateEntry("FROM YYYYMMDD", query.take_first_day, optional=True,
                          empty="ANY DAY"))


def _confirm_detail(menu):
    batch = menu.terminal.batch
    menu._push(_Confirm(
        "PRINT DETAIL?", "BATCH %06d" % batch, ("detail", batch),
        lambda menu: menu.terminal.print_detail(),
        lambda menu, count: ("DETAIL PRINTED", "%d RECORDS" % count), "NOT PRINTED"))


def _confirm_totals(menu):
    totals = menu.terminal.batch_totals()
    menu._push(_Confirm(
        "PRINT TOTALS?", _net_line(totals, menu.width), ("totals", totals.batch),
        lambda menu: menu.terminal.print_totals(),
        lambda menu, result: ("TOTALS PRINTED", "BATCH %06d" % totals.batch), "NOT PRINTED"))


# The supervisor's and the admin's menus load once their PIN is right, so a
# wrong PIN or an operator's reprint never pays for them.

def _open_supervisor(menu):
    menu._ask_pin("supervisor", "SUPERVISOR PIN", _push_supervisor_menu)


def _push_supervisor_menu(menu):
    menu_supervisor = load_menu(menu, "menu_supervisor")
    if menu_supervisor is not None:
        menu_supervisor.open_menu(menu)


def _open_admin(menu):
    menu._ask_pin("admin", "ADMIN PIN", _push_admin_menu)


def _push_admin_menu(menu):
    menu_admin = load_menu(menu, "menu_admin")
    if menu_admin is not None:
        menu_admin.open_menu(menu)


# --- searches ---

class _Query:
    """A search being typed. The quick one (FIND AMOUNT) is one exact amount;
    the full one asks for days (both whole, or any) and then an amount, or a
    range of amounts, or any."""

    def __init__(self, full):
        self.full = full
        self.low = None
        self.high = None
        self.first_day = None
        self.last_day = None

    def take_first_day(self, menu, day):
        if day is not None:
            self.first_day = day
            menu._push(_DateEntry("TO YYYYMMDD", self._take_last_day, optional=True))
        else:
            self._ask_amount(menu)
        return None

    def _take_last_day(self, menu, day):
        last_day = self.first_day if day is None else day
        if last_day < self.first_day:
            return "START AFTER END"
        self.last_day = last_day
        self._ask_amount(menu)
        return None

    def _ask_amount(self, menu):
        menu._push(_AmountEntry("AMOUNT OR #=ANY", self.take_amount, optional=True))

    def take_amount(self, menu, cents):
        self.low = cents
        if cents is None or not self.full:
            self._run(menu)
        else:
            menu._push(_AmountEntry("UP TO OR #=SAME", self._take_highest, optional=True,
                                    hint="SAME"))
        return None

    def _take_highest(self, menu, cents):
        if cents is not None and cents < self.low:
            return "BELOW THE AMOUNT"
        self.high = cents
        self._run(menu)
        return None

    def bounds(self):
        if self.first_day is None:
            return None, None
        return (self.first_day * _SECONDS_PER_DAY,
                self.last_day * _SECONDS_PER_DAY + _SECONDS_PER_DAY - 1)

    def amount_text(self):
        if self.low is None:
            return ""
        if self.high is None:
            return format_cents(self.low)
        return format_cents(self.low) + "-" + format_cents(self.high)

    def _run(self, menu):
        start, end = self.bounds()
        terminal = menu.terminal
        records = terminal.search(amount_cents=self.low, start=start, end=end,
                                  amount_max=self.high)
        # The time shows when it tells the matches apart, the amount when a
        # range or no amount was asked for.
        if records:
            menu._push(_ResultList(records, by_time=self.first_day is not None
                                   or self.high is not None))
            return
        menu._push(_NotFound(self, terminal.nearest(
            amount_cents=self.low, start=start, end=end, amount_max=self.high)))


class _NotFound(_Screen):
    """The query that found nothing and what lies nearest; ENTER lists the
    nearest, any other key goes back to the query."""

    def __init__(self, query, nearest):
        self.query = query
        self.nearest = nearest

    def key(self, menu, key):
        if key == KEY_ENTER and self.nearest:
            menu._push(_ResultList(self.nearest, by_time=True))
        else:
            menu._back()

    def show(self, menu):
        width = menu.width
        amount = self.query.amount_text()
        top = "NOT FOUND"
        if amount:
            if len(top) + 1 + len(amount) <= width:
                top += " " + amount
            elif len(amount) + 5 <= width:
                top = "NONE " + amount
        start, end = self.query.bounds()
        if start is not None:
            bottom = "%s..%s" % (_date_time(start)[5:10], _date_time(end)[5:10])
            return (top, bottom + (" #>" if self.nearest else ""))
        if not self.nearest:
            return (top, "NOTHING NEAR")
        # The closest amounts that exist, as many as fit.
        bottom = "NEAR"
        shown = []
        for record in self.nearest:
            text = format_cents(record.amount)
            if text in shown:
                continue
            if len(bottom) + 1 + len(text) > width:
                break
            shown.append(text)
            bottom += " " + text
        return (top, bottom)


class _ResultList(_Screen):
    """Search results, newest first: 8 or `*` older, 2 newer, ENTER picks."""

    def __init__(self, records, by_time):
        self.records = records
        self.by_time = by_time
        self.at = 0

    def key(self, menu, key):
        if key == KEY_CANCEL:
            menu._back()
        elif key == "8" or key == KEY_POINT:
            self.at = min(self.at + 1, len(self.records) - 1)
        elif key == "2":
            self.at = max(self.at - 1, 0)
        elif key == KEY_ENTER:
            _open_preview(menu, self.records[self.at])

    def show(self, menu):
        record = self.records[self.at]
        place = "%d/%d" % (self.at + 1, len(self.records))
        when = _date_time(record.timestamp) if record.clock_valid else "NO CLOCK"
        top = _spread(place, "#%06d" % record.voucher, menu.width)
        if not self.by_time:
            # The amount is the one searched for; the time tells matches apart.
            return (top, when)
        amount = format_cents(record.amount)
        if len(when) + 1 + len(amount) > menu.width:
            when = when[11:] if record.clock_valid else ""
        if len(when) + 1 + len(amount) > menu.width:
            when = ""
        return (top, _spread(when, amount, menu.width))


# --- reprints ---

def _open_preview(menu, record):
    if record.kind == SETTLEMENT:
        # Settlement slips are the supervisor's to reprint.
        menu._notice("#%06d SETTLE" % record.voucher, "SUPERVISOR MENU")
        return
    if record.kind not in _SLIP_KINDS:
        menu._notice("NO SLIP", "#%06d %s" % (record.voucher,
                                              KIND_NAMES.get(record.kind, "?")))
        return
    menu._push(_ReprintPreview(record, len(menu._stack),
                               menu.terminal.reprint_count(record.voucher)))


class _ReprintPreview(_Screen):
    """The record as stored; ENTER reprints it, or asks again if it was reprinted."""

    def __init__(self, record, return_depth, reprint_count):
        self.record = record
        self.return_depth = return_depth
        self.reprint_count = reprint_count

    def key(self, menu, key):
        if key == KEY_CANCEL:
            menu._back()
        elif key == KEY_ENTER:
            if self.reprint_count:
                menu._push(_ReprintAgain(
                    self, self.reprint_count >= menu.free_reprints))
            else:
                _reprint(menu, self)

    def show(self, menu):
        record = self.record
        return ("REPRINT #%06d?" % record.voucher, _record_line(record, menu.width))

    def pending(self):
        return None if self.reprint_count else ("reprint", self.record.voucher)


class _ReprintAgain(_Screen):
    """Asks once more for a slip reprinted before; past the free reprints,
    ENTER first asks for the supervisor PIN and then asks again."""

    def __init__(self, preview, needs_supervisor):
        self.preview = preview
        self.needs_supervisor = needs_supervisor

    def key(self, menu, key):
        if key == KEY_CANCEL:
            menu._back()
        elif key == KEY_ENTER:
            if self.needs_supervisor:
                menu._ask_pin("supervisor", "SUPERVISOR PIN", self._approve)
            else:
                _reprint(menu, self.preview)

    def _approve(self, menu):
        self.needs_supervisor = False

    def show(self, menu):
        top = "REPRINTED %dX" % self.preview.reprint_count
        if self.needs_supervisor:
            return (top, "#=SUPERVISOR PIN")
        return (top, "AGAIN #%06d?" % self.preview.record.voucher)

    def pending(self):
        if self.needs_supervisor:
            return None
        return ("reprint", self.preview.record.voucher)


def _reprint(menu, preview):
    voucher = preview.record.voucher
    menu._cut(preview.return_depth)
    try:
        menu.terminal.reprint(voucher)
    except TerminalError as error:
        menu._notice("NOT PRINTED", str(error))
        return
    menu._notice("REPRINT #%06d" % voucher, "SENT TO PRINTER")
