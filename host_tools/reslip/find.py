"""`reslip find`: the PC-side record query (交易记录查询) over the SQLite store.

Conditions combine (all must hold): a time range, an amount or an amount range,
a voucher number, an operator, a terminal. Times are UTC, as on the slips; a
day given alone as the end of a range counts whole, so `--to 2026-03-31`
includes 23:59:59 of that day.
"""

import calendar
import collections
import os
import time

from terminal.money import parse_amount
from terminal.record import KIND_NAMES, METHOD_NAMES

from reslip.errors import ReslipError
from reslip.store import TRANSACTION_KINDS, Store, format_amount, format_time, mask_card

__all__ = ["Query", "parse_time", "parse_amount_range", "find", "describe", "format_table",
           "open_store"]

_DAY_S = 86400
_TIME_FORMATS = (("%Y-%m-%d %H:%M:%S", False), ("%Y-%m-%d %H:%M", False),
                 ("%Y-%m-%dT%H:%M:%S", False), ("%Y-%m-%dT%H:%M", False), ("%Y-%m-%d", True))

# start/end: Unix seconds, inclusive; amount_min/amount_max: cents, inclusive;
# events: also show reprint and clock-set events, not only transactions.
Query = collections.namedtuple("Query", (
    "start", "end", "amount_min", "amount_max", "voucher", "operator", "terminal", "events"))
Query.__new__.__defaults__ = (None,) * 7 + (False,)


def parse_time(text, end_of_range=False):
    """Unix seconds (UTC) from 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM' or '... HH:MM:SS'.
    A bare day is its first second, or its last when end_of_range is true."""
    text = text.strip()
    for pattern, whole_day in _TIME_FORMATS:
        try:
            parsed = time.strptime(text, pattern)
        except ValueError:
            continue
        seconds = calendar.timegm(parsed)
        if whole_day and end_of_range:
            seconds += _DAY_S - 1
        elif pattern.endswith("%M") and end_of_range:
            seconds += 59  # "12:30" as an end means up to 12:30:59
        return seconds
    raise ValueError("%r is not a time; write 2026-03-31 or '2026-03-31 14:05'" % text)


def parse_amount_range(text):
    """(min cents, max cents) from '12.50' (exact) or '10..20' / '10-20' (inclusive);
    one side of a range may be left open: '100..' or '..5'. Raises ValueError
    for a negative amount, a range with no end given and a range that runs
    backwards."""
    text = text.strip()
    if text.startswith("-"):
        # Read as a range, '-5' would quietly mean "up to 5".
        raise ValueError("%r: an amount cannot be negative; for 'up to 5' write ..5" % text)
    for separator in ("..", "-"):
        if separator in text:
            low, high = (side.strip() for side in text.split(separator, 1))
            if not low and not high:
                raise ValueError("%r: give at least one end of the range, e.g. 10..20" % text)
            amount_min = _cents(low) if low else None
            amount_max = _cents(high) if high else None
            if amount_min is not None and amount_max is not None and amount_max < amount_min:
                raise ValueError("the range %s runs backwards; write %s..%s"
                                 % (text, high, low))
            return amount_min, amount_max
    cents = _cents(text)
    return cents, cents


def _cents(text):
    if text.startswith("-"):
        raise ValueError("%r: an amount cannot be negative" % text)
    try:
        return parse_amount(text)
    except ValueError as error:
        raise ValueError("%r is not an amount (%s); write 12.50 or 10..20" % (text, error))


def open_store(path):
    """The store at path; a clear error when there is none yet."""
    if not os.path.exists(path):
        raise ReslipError("no store at %s; run `reslip pull` first, or give --db" % path)
    return Store(path)


def find(store, query, limit=None):
    """(terminal, Record) of every stored record matching query, newest first."""
    return store.find(start=query.start, end=query.end, amount_min=query.amount_min,
                      amount_max=query.amount_max, voucher=query.voucher,
                      operator=query.operator, terminal=query.terminal,
                      kinds=None if query.events else TRANSACTION_KINDS, limit=limit)


def describe(query):
    """The query in words, for messages: 'from 2026-03-01 00:00:00 to ..., amount 12.50'."""
    parts = []
    if query.start is not None:
        parts.append("from " + format_time(query.start))
    if query.end is not None:
        parts.append("to " + format_time(query.end))
    if query.amount_min is not None and query.amount_min == query.amount_max:
        parts.append("amount " + format_amount(query.amount_min))
    else:
        if query.amount_min is not None:
            parts.append("amount at least " + format_amount(query.amount_min))
        if query.amount_max is not None:
            parts.append("amount at most " + format_amount(query.amount_max))
    if query.voucher is not None:
        parts.append("voucher %06d" % query.voucher)
    if query.operator is not None:
        parts.append("operator %d" % query.operator)
    if query.terminal is not None:
        parts.append("terminal %s" % query.terminal)
    return ", ".join(parts) if parts else "any record"


_COLUMNS = ("TERMINAL", "VOUCHER", "TIME (UTC)", "TYPE", "AMOUNT", "METHOD", "CARD", "OP",
            "REFERENCE")


def format_table(found):
    """The matches as an aligned text table, one line per record, in the order given."""
    rows = [_COLUMNS]
    for terminal, record in found:
        amount = format_amount(record.amount)
        if record.currency:
            amount = "%s %s" % (record.currency, amount)
        rows.append((
            terminal, "%06d" % record.voucher,
            format_time(record.timestamp) + ("" if record.clock_valid else " ?"),
            KIND_NAMES.get(record.kind, str(record.kind)) +
            (" of %06d" % record.refers_to if record.refers_to else ""),
            amount, METHOD_NAMES.get(record.method, str(record.method)),
            mask_card(record.card_last4),
            str(record.operator), record.reference))
    widths = [max(_width(row[column]) for row in rows) for column in range(len(_COLUMNS))]
    lines = []
    for row in rows:
        cells = []
        for column, cell in enumerate(row):
            pad = " " * (widths[column] - _width(cell))
            # Amounts line up on the right, everything else on the left.
            cells.append(pad + cell if column == 4 else cell + pad)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _width(text):
    # Chinese characters take two columns in a terminal window.
    return sum(2 if ord(char) >= 0x1100 and _wide(char) else 1 for char in text)


def _wide(char):
    import unicodedata
    return unicodedata.east_asian_width(char) in ("W", "F")
