# The building blocks of the menus behind a PIN (terminal.menu_records,
# menu_supervisor, menu_admin): pages of numbered choices, the question
# before a commit, date and voucher entry, and the date arithmetic they need.
# Loaded with the transactions menu; see terminal.menu.

from micropython import const

from terminal.menu import TerminalError
from terminal.menu_entry import KEY_CANCEL, KEY_ENTER, KEY_POINT, _DigitEntry, _Screen, _spread
from terminal.money import format_cents
from terminal.record import KIND_NAMES, METHOD_NAMES

_VOUCHER_MAX_DIGITS = const(9)


class _Options(_Screen):
    """Numbered choices on pages of two lines; `*` shows the next page and a
    choice's key works from any page."""

    def __init__(self, pages, actions):
        self.pages = pages
        self.actions = actions
        self.page = 0

    def key(self, menu, key):
        if key == KEY_CANCEL:
            menu._back()
        elif key == KEY_POINT:
            self.page = (self.page + 1) % len(self.pages)
        else:
            action = self.actions.get(key)
            if action is not None:
                action(menu)

    def show(self, menu):
        return self.pages[self.page]


class _Confirm(_Screen):
    """Says what ENTER will do; ENTER does it once, then the outcome is shown
    over the screen at `depth` (by default the one beneath this)."""

    def __init__(self, top, bottom, pending, commit, outcome, refused="NOT DONE",
                 depth=None):
        self.top = top
        self.bottom = bottom
        self._pending = pending
        self.commit = commit
        self.outcome = outcome
        self.refused = refused
        self.depth = depth

    def key(self, menu, key):
        if key == KEY_CANCEL:
            menu._back()
        elif key == KEY_ENTER:
            if self.depth is None:
                menu._back()
            else:
                menu._cut(self.depth)
            try:
                result = self.commit(menu)
            except TerminalError as error:
                menu._notice(self.refused, str(error))
                return

            # Done: the entry the outcome returns to starts empty, so the next
            # number typed there is not added to this one.
            beneath = menu._stack[-1]
            if isinstance(beneath, _DigitEntry):
                beneath.clear()
            top, bottom = self.outcome(menu, result)
            menu._notice(top, bottom)

    def show(self, menu):
        return (self.top, self.bottom)

    def pending(self):
        return self._pending


def _ask_voucher(menu, title, then):
    """A voucher number; ENTER finds its record and hands it to
    `then(menu, record)`, or says the number is not in the journal."""

    def find(menu, digits):
        if not digits:
            return None
        voucher = int(digits)
        record = menu.terminal.find(voucher)
        if record is None:
            # TODO: offer the nearest vouchers that do exist.
            menu._notice("NOT FOUND", "VOUCHER #%06d" % voucher)
        else:
            then(menu, record)
        return None

    menu._push(_DigitEntry(title, _VOUCHER_MAX_DIGITS, find))


class _DateEntry(_DigitEntry):
    """A day as YYYYMMDD; ENTER hands `then` the day number (days since
    1970-01-01), or None for an empty `optional` entry. `then` may return a
    message to refuse the day."""

    def __init__(self, title, then, optional=False, empty="SAME DAY"):
        _DigitEntry.__init__(self, title, 8, then)
        self.optional = optional
        self.empty = empty

    def _enter(self, menu):
        if not self.digits and self.optional:
            self.note = self.then(menu, None)
            return
        day = _day_number(self.digits)
        if day is None:
            self.note = "NO SUCH DATE"
            return
        self.note = self.then(menu, day)

    def show(self, menu):
        digits = self.digits
        shown = digits[:4]
        if len(digits) > 4:
            shown += "-" + digits[4:6]
        if len(digits) > 6:
            shown += "-" + digits[6:]
        if not digits and self.optional:
            shown = self.empty
        return (self.note or self.title, shown)


# --- text helpers ---

def _record_line(record, width):
    """As much of "SALE CASH" as fits whole beside the amount."""
    kind = KIND_NAMES.get(record.kind, "?")
    amount = format_cents(record.amount)
    label = (kind + " " + METHOD_NAMES.get(record.method, "")).rstrip()
    if len(label) + 1 + len(amount) > width:
        label = kind
    if len(label) + 1 + len(amount) > width:
        label = ""
    return _spread(label, amount, width)


def _net_line(totals, width):
    return _spread("NET", format_cents(totals.net_cents), width)


def _day_number(digits):
    """Days since 1970-01-01 for "YYYYMMDD", or None for no such date."""
    # Imported here: only date searches need the query module.
    from terminal.query import day_number

    try:
        return day_number(digits)
    except ValueError:
        return None


def _date_time(timestamp):
    """Unix seconds as "2026-12-03 16:39", without the board's own epoch."""
    days, seconds = divmod(timestamp, 86400)

    # Days since 1970-01-01 to a civil date, counting from 0000-03-01 so the
    # leap day falls at the end of the year.
    days += 719468
    era = days // 146097
    day_of_era = days - era * 146097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524
                   - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_index = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_index + 2) // 5 + 1
    month = month_index + 3 if month_index < 10 else month_index - 9
    year = year_of_era + era * 400 + (1 if month <= 2 else 0)

    return "%04d-%02d-%02d %02d:%02d" % (year, month, day, seconds // 3600,
                                          seconds // 60 % 60)
