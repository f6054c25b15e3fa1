# Finding sales from the transactions menu: by one amount, or by days and an
# amount or a range of amounts; what was found is listed (or, when nothing
# was, what lies nearest) and any of it opens the reprint preview. Loaded by
# terminal.menu_records when a search is chosen.

from micropython import const

from terminal.menu_entry import KEY_CANCEL, KEY_ENTER, KEY_POINT, _AmountEntry, _Screen, _spread
from terminal.menu_records import _open_preview
from terminal.menu_screens import _DateEntry, _date_time
from terminal.money import format_cents

_SECONDS_PER_DAY = const(86400)


def open_amount_search(menu):
    query = _Query(full=False)
    menu._push(_AmountEntry("FIND AMOUNT", query.take_amount))


def open_time_search(menu):
    query = _Query(full=True)
    menu._push(_DateEntry("FROM YYYYMMDD", query.take_first_day, optional=True,
                          empty="ANY DAY"))


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
