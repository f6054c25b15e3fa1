# Amounts as the keypad types them and as the screen shows them.
#
# Money is integer cents from the first key to the journal: "12.5" is 1250,
# never 12.5. The cap keeps every amount a small int on 32-bit boards (below
# 2**30), so the menu never allocates a long integer for a price.

from micropython import const

MAX_CENTS = const(999999999)  # 9,999,999.99
_POINT = "."


def parse_amount(text):
    """Integer cents from text such as "12", "12.5" or "1234567.89".

    Raises ValueError with a short message (at most 16 characters, so the menu
    can show it as it is) for an empty amount, a stray character, a second
    point, a third decimal or an amount above MAX_CENTS.
    """
    if not text or text == _POINT:
        raise ValueError("no amount")

    # Split at the one point, if there is one.
    point = text.find(_POINT)
    if point < 0:
        whole, fraction = text, ""
    else:
        whole, fraction = text[:point], text[point + 1:]
        if _POINT in fraction:
            raise ValueError("two points")
    if len(fraction) > 2:
        raise ValueError("max 2 decimals")
    if not _digits_only(whole) or not _digits_only(fraction):
        raise ValueError("bad character")

    # Leading zeros say nothing; strip them so the length check below is fair.
    whole = whole.lstrip("0")
    if len(whole) > 7:
        raise ValueError("amount too large")

    cents = int(whole or "0") * 100 + int((fraction + "00")[:2])
    if cents > MAX_CENTS:
        raise ValueError("amount too large")
    return cents


def format_cents(cents):
    """Cents as the screen and the slip show them: 123450 -> "1,234.50"."""
    sign = "-" if cents < 0 else ""
    cents = -cents if cents < 0 else cents
    whole = str(cents // 100)

    # Thousands separators, grouped from the right.
    groups = []
    while len(whole) > 3:
        groups.append(whole[-3:])
        whole = whole[:-3]
    groups.append(whole)
    groups.reverse()

    return "%s%s.%02d" % (sign, ",".join(groups), cents % 100)


def _digits_only(text):
    for char in text:
        if not "0" <= char <= "9":
            return False
    return True
