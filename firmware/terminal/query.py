# Finding transactions in the journal: by voucher, by time, by amount, by
# operator, the last few, newest or oldest first.
#
# Nothing here loads the journal into RAM: a search is one pass over
# journal.records(), which reads one sector at a time into the journal's own
# buffer, and only the records that match are decoded and kept. The journal
# checks each record's CRC before handing it over, so a torn or damaged record
# is never found.
#
# The journal is ordered by voucher number, not by time (ports count from
# different epochs and rp2 restarts its clock at every boot), so a search by
# time reads every record; a search with a limit stops as soon as it has
# enough.

from micropython import const
import struct

from terminal import record as rec

# What a search looks at unless told otherwise: money moving, and the
# settlements that close a batch; reprints and clock changes are events.
TRANSACTION_KINDS = (rec.SALE, rec.VOID, rec.REFUND, rec.TRAINING_SALE, rec.SETTLEMENT)

_SECONDS_PER_DAY = const(86400)

# The fixed fields at the start of a payload, as terminal/record.py lays them
# out (version 1): read in place so that a record is decoded only when it
# matches. tests/both/test_query.py checks these offsets against Record.encode.
_PAYLOAD_VERSION = const(1)
_KIND_AT = const(1)
_OPERATOR_AT = const(3)
_FLAGS_AT = const(4)
_TIMESTAMP_AT = const(7)
_AMOUNT_AT = const(15)
_FIXED_SIZE = const(26)


def day_number(yyyymmdd):
    """Days since 1970-01-01 for a day given as YYYYMMDD (int or str).

    Computed from the calendar alone, not with time.mktime, whose epoch
    differs between ports. Raises ValueError for a day that does not exist.
    """
    text = str(yyyymmdd)
    if len(text) != 8 or not text.isdigit():
        raise ValueError("day must be YYYYMMDD, got %r" % (yyyymmdd,))
    year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
    if not 1970 <= year <= 2105 or not 1 <= month <= 12 \
            or not 1 <= day <= _month_days(year, month):
        raise ValueError("no such day: %s" % text)

    # Count from a year that starts in March, so the leap day comes last.
    if month <= 2:
        year -= 1
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def day_range(start_day, end_day):
    """[start, end] in Unix seconds for two days YYYYMMDD, both days whole.

    The end is the last second of end_day: a search ending on 31.03 finds a
    sale at 31.03 23:59:59. Raises ValueError when start_day is after end_day.
    """
    first = day_number(start_day)
    last = day_number(end_day)
    if first > last:
        raise ValueError("start day %s is after end day %s" % (start_day, end_day))
    return first * _SECONDS_PER_DAY, (last + 1) * _SECONDS_PER_DAY - 1


def find_voucher(journal, voucher):
    """The record with this voucher number, or None; reads O(log sectors) headers."""
    payload = journal.read(voucher)
    if payload is None:
        return None
    try:
        return rec.Record.decode(payload, voucher)
    except ValueError:
        return None


def matching(journal, kinds=TRANSACTION_KINDS, amount_min=None, amount_max=None, start=None,
             end=None, operator=None, newest_first=True):
    """Yield each Record that meets every condition given, one at a time.

    amount_min and amount_max bound the amount in cents, both included;
    start and end bound the timestamp in Unix seconds, both included (see
    day_range). A record whose clock was not valid when it was made has no
    trustworthy time and is left out of a search by time.
    """
    if amount_min is not None and amount_max is not None and amount_min > amount_max:
        raise ValueError("lowest amount is above the highest")
    if start is not None and end is not None and start > end:
        raise ValueError("start time is after end time")
    by_time = start is not None or end is not None

    for voucher, payload in journal.records(newest_first=newest_first):
        # Weed out on the fixed fields first; decoding builds strings.
        if len(payload) < _FIXED_SIZE or payload[0] != _PAYLOAD_VERSION:
            continue
        if payload[_KIND_AT] not in kinds:
            continue
        if operator is not None and payload[_OPERATOR_AT] != operator:
            continue
        if amount_min is not None or amount_max is not None:
            amount = struct.unpack_from("<q", payload, _AMOUNT_AT)[0]
            if amount_min is not None and amount < amount_min:
                continue
            if amount_max is not None and amount > amount_max:
                continue
        if by_time:
            if not payload[_FLAGS_AT] & rec.FLAG_CLOCK_VALID:
                continue
            timestamp = struct.unpack_from("<I", payload, _TIMESTAMP_AT)[0]
            if start is not None and timestamp < start:
                continue
            if end is not None and timestamp > end:
                continue

        # A payload this firmware cannot read is not a match; never an error
        # on the screen.
        try:
            yield rec.Record.decode(payload, voucher)
        except ValueError:
            continue


def find_transactions(journal, amount_cents=None, amount_max=None, start=None, end=None,
                      operator=None, limit=None, newest_first=True, kinds=TRANSACTION_KINDS):
    """A list of the Records that meet every condition given, at most limit of them.

    amount_cents alone finds that exact amount; with amount_max it is the
    lowest of a range (both included); amount_max alone is an upper bound.
    start and end are Unix seconds, both included; day_range makes them
    from days. newest_first=False lists oldest first.
    """
    if limit is not None and limit <= 0:
        return []
    amount_min = amount_cents
    if amount_cents is not None and amount_max is None:
        amount_max = amount_cents
    found = []
    for record in matching(journal, kinds, amount_min, amount_max, start, end, operator,
                           newest_first):
        found.append(record)
        if limit is not None and len(found) >= limit:
            break
    return found


def last(journal, count, kinds=TRANSACTION_KINDS):
    """The newest count records of the given kinds, newest first."""
    return find_transactions(journal, limit=count, kinds=kinds)


def _month_days(year, month):
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31
