# The screens every menu is built from: the key names, a notice, entry of
# digits, an amount or a PIN, and fitting text to the screen's width. Used by
# terminal.menu (idle, sale) and the deeper menus it loads.

from micropython import const

from terminal.money import parse_amount

KEY_SALE = "A"
KEY_TRANSACTIONS = "B"
KEY_CANCEL = "C"
KEY_DELETE = "D"
KEY_ENTER = "#"
KEY_POINT = "*"
KEYS = "0123456789*#ABCD"
PIN_MAX_DIGITS = const(8)

_AMOUNT_MAX_CHARS = const(10)


# --- screens ---
#
# Each screen answers three things: key(menu, key) does what a key means
# here, show(menu) gives the text, pending() names what ENTER commits.

class _Screen:
    def key(self, menu, key):
        if key == KEY_CANCEL:
            menu._back()

    def show(self, menu):
        return ("", "")

    def pending(self):
        return None


class _Notice(_Screen):
    """A message; any key takes it away."""

    def __init__(self, top, bottom):
        self.top = top
        self.bottom = bottom

    def key(self, menu, key):
        menu._back()

    def show(self, menu):
        return (self.top, self.bottom)


class _DigitEntry(_Screen):
    """Up to `max_digits` digits; ENTER hands them to `then`, which may
    return a message to refuse them. `secret` shows stars. The other entry
    screens are this one with their own ENTER and text."""

    def __init__(self, title, max_digits, then, initial="", secret=False, hint=""):
        self.title = title
        self.max_digits = max_digits
        self.then = then
        self.digits = initial
        self.secret = secret
        self.hint = hint
        self.note = None

    def key(self, menu, key):
        self.note = None
        if key == KEY_CANCEL:
            menu._back()
        elif key == KEY_DELETE:
            self.digits = self.digits[:-1]
        elif key == KEY_POINT or "0" <= key <= "9":
            self._type(key)
        elif key == KEY_ENTER:
            self._enter(menu)

    def clear(self):
        self.digits = ""
        self.note = None

    def _type(self, key):
        if key != KEY_POINT and len(self.digits) < self.max_digits:
            self.digits += key

    def _enter(self, menu):
        digits = self.digits
        if self.secret:
            # A PIN is not left on a screen CANCEL comes back to.
            self.digits = ""
        self.note = self.then(menu, digits)

    def show(self, menu):
        shown = "*" * len(self.digits) if self.secret else self.digits
        return (self.note or self.title, _right(shown or self.hint, menu.width))


class _AmountEntry(_DigitEntry):
    """Digits with `*` as the point; ENTER hands the cents to `then`, or
    None for no amount at all when the amount is `optional`."""

    def __init__(self, title, then, optional=False, hint="ANY"):
        _DigitEntry.__init__(self, title, _AMOUNT_MAX_CHARS, then,
                             hint=hint if optional else "0.00")
        self.optional = optional

    def _type(self, key):
        # A lone leading zero gives way to the next digit: "05" is "5".
        char = "." if key == KEY_POINT else key
        text = char if self.digits == "0" and char != "." else self.digits + char
        if len(text) > _AMOUNT_MAX_CHARS:
            self.note = "AMOUNT TOO LARGE"
            return

        # Refuse the key that makes the amount wrong, not the ENTER after it.
        # A trailing point is fine while typing ("12." becomes "12.0").
        try:
            parse_amount(text + "0" if text.endswith(".") else text)
        except ValueError as error:
            self.note = str(error).upper()
            return
        self.digits = text

    def _enter(self, menu):
        if self.optional and not self.digits:
            self.note = self.then(menu, None)
            return
        try:
            cents = parse_amount(self.digits)
        except ValueError as error:
            self.note = str(error).upper()
            return
        if cents == 0:
            self.note = "AMOUNT IS ZERO"
            return
        self.note = self.then(menu, cents)


class _PinEntry(_DigitEntry):
    """A PIN for `role`, shown as stars; when it is right the entry closes
    and `on_pass(menu)` goes on."""

    def __init__(self, role, title, on_pass):
        _DigitEntry.__init__(self, title, PIN_MAX_DIGITS, None, secret=True)
        self.role = role
        self.on_pass = on_pass

    def _enter(self, menu):
        if not self.digits:
            return
        pin, self.digits = self.digits, ""
        role = self.role
        if menu._pin_locked(role):
            menu._back()
            menu._notice_locked(role)
        elif menu.terminal.check_pin(role, pin):
            menu._pin_passed(role)
            menu._back()
            self.on_pass(menu)
        else:
            tries_left = menu._pin_failed(role)
            if tries_left > 0:
                self.note = "WRONG PIN %d LEFT" % tries_left
            else:
                menu._back()
                menu._notice_locked(role)

    def show(self, menu):
        return (self.note or self.title, "*" * len(self.digits))


# --- text helpers ---

def _fit(text, width):
    if len(text) >= width:
        return text[:width]
    return text + " " * (width - len(text))


def _right(text, width):
    if len(text) >= width:
        return text[-width:]
    return " " * (width - len(text)) + text


def _spread(left, right, width):
    """`left` at the start and `right` at the end; the right side wins a tie."""
    room = width - len(right)
    if room <= 0:
        return right[-width:]
    if len(left) >= room:
        left = left[:max(room - 1, 0)]
    return left + " " * (room - len(left)) + right
