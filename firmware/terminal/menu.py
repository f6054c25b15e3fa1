# The keypad menus: keys in, screen text out, actions out through a facade.
#
# The menu knows no hardware. The app feeds it keys with press() and the time
# with tick(), draws `lines` when `changed` is set, and hands it a `terminal`
# object (terminal.app.Terminal, or a fake in tests) that rings sales, finds
# records and queues slips:
#
#   clock_valid() -> bool;  now() -> Unix seconds or None;  training() -> bool
#   attention() -> str or None (the idle screen's note)
#   check_pin(role, pin) -> bool;  pin_failures(role) -> int;
#   set_pin_failures(role, count)
#   ring_sale(amount_cents, method, card_last4) -> Record
#   last_sale() / find(voucher) -> Record or None;  reprint_count(voucher) -> int
#   reprint(voucher) -> Record
#   search(amount_cents=None, start=None, end=None, amount_max=None) -> [Record]
#   nearest(amount_cents=None, start=None, end=None, amount_max=None) -> [Record]
#   void_refusal(record) -> str or None;  void(voucher) -> Record
#   batch, batch_totals() -> Totals;  settle() -> Record
#   last_settlement() -> Record or None;  reprint_settlement() -> Record
#   print_detail() -> int;  print_totals();  print_test_page()
#   setting(name, default);  set_setting(name, value) -> note or None
#   set_pin(number, pin or None);  set_clock(unix_seconds) -> Record
#   printer_profiles() -> [name]
#
# Everything that commits raises TerminalError with a message short enough
# to show.
#
# Screens sit on a stack: a key either works inside the top screen, opens a
# new one on top, or (CANCEL) pops the top one, which is why CANCEL never has
# a side effect. Only confirmation screens commit anything, all on ENTER and
# all saying what ENTER will do; `pending` names what ENTER would commit.

from micropython import const
import time

from terminal.money import format_cents, parse_amount
from terminal.record import (CARD, CASH, KIND_NAMES, METHOD_NAMES, QR, REFUND, SALE,
                             TRAINING_SALE, VOID)

KEY_SALE = "A"
KEY_TRANSACTIONS = "B"
KEY_CANCEL = "C"
KEY_DELETE = "D"
KEY_ENTER = "#"
KEY_POINT = "*"
KEYS = "0123456789*#ABCD"
ROLES = ("operator", "supervisor", "admin")

_PIN_TRIES = const(5)
_PIN_LOCK_MS = const(300000)
_PIN_MAX_DIGITS = const(8)
_VOUCHER_MAX_DIGITS = const(9)
_AMOUNT_MAX_CHARS = const(10)
_IDLE_REFRESH_MS = const(1000)

# Kinds whose slip the reprint menus print again; a reprint event or a clock
# change has no slip, and a settlement's reprint is a supervisor's business.
_SLIP_KINDS = (SALE, VOID, REFUND, TRAINING_SALE)
_SECONDS_PER_DAY = const(86400)


class TerminalError(Exception):
    """A refusal from the terminal; its message is short enough for the screen."""


class Menu:
    def __init__(self, terminal, width=16, rows=2, session_timeout_ms=120000,
                 free_reprints=2):
        """`free_reprints`: reprints of one slip the operator may make; past
        them each reprint needs the supervisor PIN."""
        self.terminal = terminal
        self.width = width
        self.rows = rows
        self.session_timeout_ms = session_timeout_ms
        self.free_reprints = free_reprints
        self.lines = [" " * width] * rows
        self.changed = True

        self._stack = [_Idle()]
        # The clock is whatever tick() last said (None before the first).
        # A key or a PIN lock is stamped by the tick after it, so a key that
        # comes before any tick still gets a true time.
        self._now_ms = None
        self._key_unstamped = False
        self._last_key_ms = 0
        self._last_idle_draw_ms = 0

        # Wrong PINs in a row are kept by the terminal across reboots; a role
        # that was locked when the power went starts a whole lock again.
        self._pin_failures = {}      # role -> wrong PINs in a row
        self._pin_locked_at_ms = {}  # locked role -> when it locked, or None till the next tick
        for role in ROLES:
            failures = terminal.pin_failures(role)
            self._pin_failures[role] = failures
            if failures >= _PIN_TRIES:
                self._pin_locked_at_ms[role] = None

        self._render()

    # --- what the app calls ---

    def press(self, key):
        """One key from the keypad; keys outside KEYS are ignored."""
        if len(key) != 1 or key not in KEYS:
            return
        self._key_unstamped = True
        self._stack[-1].key(self, key)
        self._render()

    def tick(self, now_ms):
        """The time, from the main loop: ends a session left without keys for
        session_timeout_ms, and redraws the idle note now and then."""
        first = self._now_ms is None
        self._now_ms = now_ms
        if self._key_unstamped or first:
            self._key_unstamped = False
            self._last_key_ms = now_ms
        if self._pin_locked_at_ms:
            self._stamp_and_lift_pin_locks()

        if len(self._stack) > 1:
            if time.ticks_diff(now_ms, self._last_key_ms) >= self.session_timeout_ms:
                self._home()
                self._render()
        elif first or time.ticks_diff(now_ms, self._last_idle_draw_ms) >= _IDLE_REFRESH_MS:
            # The idle note (paper out, clock not set) changes without keys.
            self._last_idle_draw_ms = now_ms
            self._render()

    @property
    def pending(self):
        """What ENTER would commit on this screen, or None: ("sale", cents,
        method, last4), ("reprint", voucher), ("void", voucher), ("settle",
        batch), ("reprint_settlement", voucher), ("detail", batch), ("totals",
        batch), ("test_page",), ("clock", unix_seconds), ("setting", name,
        value) or ("pin", number)."""
        return self._stack[-1].pending()

    @property
    def screen_name(self):
        return type(self._stack[-1]).__name__.lstrip("_")

    # --- navigation, for the screens ---

    def _push(self, screen):
        self._stack.append(screen)

    def _back(self):
        if len(self._stack) > 1:
            self._stack.pop()

    def _cut(self, depth):
        """Drop every screen above the first `depth` ones."""
        del self._stack[max(depth, 1):]

    def _home(self):
        self._cut(1)

    def _notice(self, top, bottom=""):
        self._push(_Notice(top, bottom))

    def _render(self):
        shown = self._stack[-1].show(self)
        lines = []
        for row in range(self.rows):
            text = shown[row] if row < len(shown) else ""
            lines.append(_fit(text, self.width))
        if lines != self.lines:
            self.lines = lines
            self.changed = True

    # --- PIN lock ---

    def _ask_pin(self, role, title, on_pass):
        """Open the PIN entry for `role`, or say it is locked."""
        if self._pin_locked(role):
            self._notice_locked(role)
        else:
            self._push(_PinEntry(role, title, on_pass))

    def _pin_locked(self, role):
        return role in self._pin_locked_at_ms

    def _stamp_and_lift_pin_locks(self):
        # Lifted here rather than when the role is next asked for, so a lock
        # never outlives the ticks counter's wrap-around.
        now_ms = self._now_ms
        for role in list(self._pin_locked_at_ms):
            locked_at_ms = self._pin_locked_at_ms[role]
            if locked_at_ms is None:
                self._pin_locked_at_ms[role] = now_ms
            elif time.ticks_diff(now_ms, locked_at_ms) >= _PIN_LOCK_MS:
                del self._pin_locked_at_ms[role]
                self._set_pin_failures(role, 0)

    def _notice_locked(self, role):
        locked_at_ms = self._pin_locked_at_ms[role]
        passed_ms = 0 if locked_at_ms is None else time.ticks_diff(self._now_ms, locked_at_ms)
        self._notice("PIN LOCKED", "WAIT %d MIN" % ((_PIN_LOCK_MS - passed_ms + 59999) // 60000))

    def _pin_failed(self, role):
        failures = self._pin_failures.get(role, 0) + 1
        self._set_pin_failures(role, failures)
        if failures >= _PIN_TRIES:
            self._pin_locked_at_ms[role] = None
        return _PIN_TRIES - failures

    def _pin_passed(self, role):
        self._set_pin_failures(role, 0)

    def _set_pin_failures(self, role, failures):
        # Written only on a change: a right PIN after a right PIN costs no write.
        if self._pin_failures.get(role, 0) != failures:
            self._pin_failures[role] = failures
            self.terminal.set_pin_failures(role, failures)


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


class _Idle(_Screen):
    def key(self, menu, key):
        terminal = menu.terminal
        if key == KEY_SALE:
            if terminal.clock_valid():
                menu._push(_AmountEntry("SALE AMOUNT", _start_sale))
            else:
                menu._notice("CLOCK NOT SET", "NO SALES")
        elif key == KEY_TRANSACTIONS:
            menu._ask_pin("operator", "OPERATOR PIN", _open_transactions)

    def show(self, menu):
        note = menu.terminal.attention()
        return (_spread("reslip", "READY", menu.width), note or "A=SALE B=TRANS")


class _Notice(_Screen):
    """A message; any key takes it away."""

    def __init__(self, top, bottom):
        self.top = top
        self.bottom = bottom

    def key(self, menu, key):
        menu._back()

    def show(self, menu):
        return (self.top, self.bottom)


class _AmountEntry(_Screen):
    """Digits with `*` as the point; ENTER hands the cents to `then`, or
    None for no amount at all when the amount is `optional`."""

    def __init__(self, title, then, optional=False, hint="ANY"):
        self.title = title
        self.then = then
        self.optional = optional
        self.hint = hint
        self.text = ""
        self.note = None

    def key(self, menu, key):
        self.note = None
        if key == KEY_CANCEL:
            menu._back()
        elif key == KEY_DELETE:
            self.text = self.text[:-1]
        elif key == KEY_POINT or "0" <= key <= "9":
            self._type("." if key == KEY_POINT else key)
        elif key == KEY_ENTER:
            self._enter(menu)

    def _type(self, char):
        # A lone leading zero gives way to the next digit: "05" is "5".
        text = char if self.text == "0" and char != "." else self.text + char
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
        self.text = text

    def _enter(self, menu):
        if self.optional and not self.text:
            self.note = self.then(menu, None)
            return
        try:
            cents = parse_amount(self.text)
        except ValueError as error:
            self.note = str(error).upper()
            return
        if cents == 0:
            self.note = "AMOUNT IS ZERO"
            return
        self.note = self.then(menu, cents)

    def show(self, menu):
        hint = self.hint if self.optional else "0.00"
        return (self.note or self.title, _right(self.text or hint, menu.width))


class _Sale:
    """The sale being typed, shared by its screens."""

    def __init__(self, cents):
        self.cents = cents
        self.method = CASH
        self.card_last4 = ""


def _start_sale(menu, cents):
    menu._push(_MethodChoice(_Sale(cents)))


class _MethodChoice(_Screen):
    def __init__(self, sale):
        self.sale = sale

    def key(self, menu, key):
        sale = self.sale
        if key == KEY_CANCEL:
            menu._back()
        elif key == "1" or key == "3":
            sale.method = CASH if key == "1" else QR
            sale.card_last4 = ""
            menu._push(_SaleConfirm(sale))
        elif key == "2":
            sale.method = CARD
            menu._push(_CardDigits(sale))

    def show(self, menu):
        return ("1CASH 2CARD 3QR", _right(format_cents(self.sale.cents), menu.width))


class _CardDigits(_Screen):
    """The card's last four digits, for the slip; ENTER with none is fine."""

    def __init__(self, sale):
        self.sale = sale
        self.digits = ""

    def key(self, menu, key):
        if key == KEY_CANCEL:
            menu._back()
        elif key == KEY_DELETE:
            self.digits = self.digits[:-1]
        elif "0" <= key <= "9" and len(self.digits) < 4:
            self.digits += key
        elif key == KEY_ENTER:
            self.sale.card_last4 = self.digits
            menu._push(_SaleConfirm(self.sale))

    def show(self, menu):
        return ("CARD LAST 4", _spread("#=OK", self.digits or "----", menu.width))


class _SaleConfirm(_Screen):
    def __init__(self, sale):
        self.sale = sale

    def key(self, menu, key):
        if key == KEY_CANCEL:
            menu._back()
        elif key == KEY_ENTER:
            sale = self.sale
            menu._home()
            try:
                record = menu.terminal.ring_sale(sale.cents, sale.method, sale.card_last4)
            except TerminalError as error:
                menu._notice("NOT PRINTED", str(error))
                return
            menu._notice("PRINTED #%06d" % record.voucher,
                         _right(format_cents(record.amount), menu.width))

    def show(self, menu):
        sale = self.sale
        method = METHOD_NAMES[sale.method]
        if sale.card_last4:
            method += "*" + sale.card_last4
        # A training sale says so before it prints, not only on its slip.
        mark = "TRAINING" if menu.terminal.training() else ""
        return ("PRINT %s?" % method, _spread(mark, format_cents(sale.cents), menu.width))

    def pending(self):
        sale = self.sale
        return ("sale", sale.cents, sale.method, sale.card_last4)


class _PinEntry(_Screen):
    """A PIN for `role`, shown as stars; when it is right the entry closes
    and `on_pass(menu)` goes on."""

    def __init__(self, role, title, on_pass):
        self.role = role
        self.title = title
        self.on_pass = on_pass
        self.pin = ""
        self.note = None

    def key(self, menu, key):
        self.note = None
        if key == KEY_CANCEL:
            menu._back()
        elif key == KEY_DELETE:
            self.pin = self.pin[:-1]
        elif "0" <= key <= "9" and len(self.pin) < _PIN_MAX_DIGITS:
            self.pin += key
        elif key == KEY_ENTER and self.pin:
            self._check(menu)

    def _check(self, menu):
        pin, self.pin = self.pin, ""
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
        return (self.note or self.title, "*" * len(self.pin))


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
            top, bottom = self.outcome(menu, result)
            menu._notice(top, bottom)

    def show(self, menu):
        return (self.top, self.bottom)

    def pending(self):
        return self._pending


class _DigitEntry(_Screen):
    """Up to `max_digits` digits; ENTER hands them to `then`, which may
    return a message to refuse them. `secret` shows stars."""

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
        elif "0" <= key <= "9" and len(self.digits) < self.max_digits:
            self.digits += key
        elif key == KEY_ENTER:
            digits = self.digits
            if self.secret:
                # A PIN is not left on a screen CANCEL comes back to.
                self.digits = ""
            self.note = self.then(menu, digits)

    def show(self, menu):
        shown = "*" * len(self.digits) if self.secret else self.digits
        return (self.note or self.title, _right(shown or self.hint, menu.width))


# --- transactions ---

def _open_transactions(menu):
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
    menu._push(_VoucherEntry())


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
        "PRINT TOTALS?", _spread("NET", format_cents(totals.net_cents), menu.width),
        ("totals", totals.batch),
        lambda menu: menu.terminal.print_totals(),
        lambda menu, result: ("TOTALS PRINTED", "BATCH %06d" % totals.batch), "NOT PRINTED"))


# --- supervisor ---

def _open_supervisor(menu):
    menu._ask_pin("supervisor", "SUPERVISOR PIN", _push_supervisor_menu)


def _push_supervisor_menu(menu):
    menu._push(_SupervisorMenu())


class _SupervisorMenu(_Options):
    def __init__(self):
        _Options.__init__(self, (("1 VOID 2 SETTLE", "3 LAST SETTLE"),), {
            "1": _open_void,
            "2": _confirm_settle,
            "3": _confirm_settlement_reprint,
        })


def _open_void(menu):
    menu._push(_DigitEntry("VOID VOUCHER NO.", _VOUCHER_MAX_DIGITS, _void_voucher))


def _void_voucher(menu, digits):
    if not digits:
        return None
    voucher = int(digits)
    record = menu.terminal.find(voucher)
    if record is None:
        menu._notice("NOT FOUND", "VOUCHER #%06d" % voucher)
        return None
    refusal = menu.terminal.void_refusal(record)
    if refusal:
        menu._notice("CANNOT VOID", refusal)
        return None
    menu._push(_Confirm(
        "VOID #%06d?" % voucher, _record_line(record, menu.width), ("void", voucher),
        lambda menu: menu.terminal.void(voucher),
        lambda menu, event: ("VOIDED #%06d" % voucher, "SLIP #%06d" % event.voucher),
        "NOT VOIDED"))
    return None


def _confirm_settle(menu):
    totals = menu.terminal.batch_totals()
    batch = totals.batch
    menu._push(_Confirm(
        "SETTLE %06d?" % batch, _spread("NET", format_cents(totals.net_cents), menu.width),
        ("settle", batch),
        lambda menu: menu.terminal.settle(),
        lambda menu, event: ("SETTLED %06d" % batch, "NEXT %06d" % (batch + 1)),
        "NOT SETTLED"))


def _confirm_settlement_reprint(menu):
    settlement = menu.terminal.last_settlement()
    if settlement is None:
        menu._notice("NO SETTLEMENT", "NOTHING TO PRINT")
        return
    menu._push(_Confirm(
        "REPRINT SETTLE?", _spread("%06d" % settlement.batch,
                                   format_cents(settlement.amount), menu.width),
        ("reprint_settlement", settlement.voucher),
        lambda menu: menu.terminal.reprint_settlement(),
        lambda menu, event: ("SETTLE REPRINTED", "SENT TO PRINTER"), "NOT PRINTED"))


# --- admin ---

def _open_admin(menu):
    menu._ask_pin("admin", "ADMIN PIN", _push_admin_menu)


def _push_admin_menu(menu):
    menu._push(_AdminMenu())


class _AdminMenu(_Options):
    def __init__(self):
        _Options.__init__(self, (
            ("1 PINS 2 HEADER", "3 CLOCK 4 PRN *>"),
            ("5 COPIES 6 JRNL", "7 TRAINING    *>"),
        ), {
            "1": _open_pin_admin,
            "2": _open_header,
            "3": _open_clock,
            "4": _open_printer,
            "5": _open_copies,
            "6": _open_journal_policy,
            "7": _confirm_training,
        })


def _confirm_setting(menu, top, bottom, name, value, depth=None):
    menu._push(_Confirm(
        top, bottom, ("setting", name, value),
        lambda menu: menu.terminal.set_setting(name, value),
        lambda menu, note: ("SAVED", note or ""), "NOT SAVED", depth))


def _open_pin_admin(menu):
    menu._push(_DigitEntry("OPERATOR 00-99", 2, _take_pin_owner, hint="00 SUPERVISOR"))


def _take_pin_owner(menu, digits):
    if len(digits) != 2:
        return "TWO DIGITS"
    _PinChange(int(digits), len(menu._stack)).ask_first(menu)
    return None


class _PinChange:
    """A new PIN for one operator, typed twice; an empty PIN removes an operator."""

    def __init__(self, number, depth):
        self.number = number
        self.depth = depth  # the operator number entry, to come back to
        self.pin = None

    def name(self):
        if self.number == 0:
            return "SUPERVISOR"
        if self.number == 99:
            return "ADMIN"
        return "OPERATOR %02d" % self.number

    def ask_first(self, menu):
        menu._push(_DigitEntry("NEW PIN %02d" % self.number, _PIN_MAX_DIGITS, self._take_first,
                               secret=True, hint=self.name()))

    def _take_first(self, menu, pin):
        number = self.number
        if not pin:
            if number == 0 or number == 99:
                return "PIN NEEDED"
            menu._push(_Confirm(
                "REMOVE OP %02d?" % number, "PIN GOES TOO", ("pin", number),
                lambda menu: menu.terminal.set_pin(number, None),
                lambda menu, result: ("REMOVED", self.name()), "NOT SAVED", self.depth))
            return None
        self.pin = pin
        menu._push(_DigitEntry("REPEAT PIN", _PIN_MAX_DIGITS, self._take_second, secret=True))
        return None

    def _take_second(self, menu, pin):
        if pin != self.pin:
            return "PINS DIFFER"
        number, first = self.number, self.pin
        menu._push(_Confirm(
            "SAVE PIN %02d?" % number, self.name(), ("pin", number),
            lambda menu: menu.terminal.set_pin(number, first),
            lambda menu, result: ("PIN SAVED", self.name()), "NOT SAVED", self.depth))
        return None


def _open_header(menu):
    menu._push(_Options((("1 MERCHANT NO.", "2 TERMINAL NO."),), {
        "1": lambda menu: _ask_header_number(menu, "merchant_no", "MERCHANT NO.",
                                             "SAVE MERCHANT?", 15),
        "2": lambda menu: _ask_header_number(menu, "terminal_no", "TERMINAL NO.",
                                             "SAVE TERMINAL?", 8),
    }))


def _ask_header_number(menu, name, title, question, digits):
    def take(menu, value):
        if len(value) != digits:
            return "%d DIGITS" % digits
        _confirm_setting(menu, question, value, name, value)
        return None
    menu._push(_DigitEntry(title, digits, take, menu.terminal.setting(name, "")))


def _open_clock(menu):
    menu._push(_DateEntry("DATE YYYYMMDD", _ClockChange(len(menu._stack)).take_day))


class _ClockChange:
    def __init__(self, depth):
        self.depth = depth
        self.day = None

    def take_day(self, menu, day):
        self.day = day
        menu._push(_DigitEntry("TIME HHMM", 4, self._take_time))
        return None

    def _take_time(self, menu, digits):
        if len(digits) != 4:
            return "FOUR DIGITS"
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            return "NO SUCH TIME"
        seconds = self.day * _SECONDS_PER_DAY + hours * 3600 + minutes * 60
        shown = _date_time(seconds)
        menu._push(_Confirm(
            "SET CLOCK?", shown, ("clock", seconds),
            lambda menu: menu.terminal.set_clock(seconds),
            lambda menu, event: ("CLOCK SET", shown), "NOT SET", self.depth))
        return None


def _open_printer(menu):
    menu._push(_Options((("1 MODEL", "2 DENSITY 3 TEST"),), {
        "1": _open_printer_models,
        "2": _open_density,
        "3": _confirm_test_page,
    }))


def _open_printer_models(menu):
    menu._push(_ModelList(menu.terminal.printer_profiles(),
                          menu.terminal.setting("printer", "")))


class _ModelList(_Screen):
    """The printer models: 8 or `*` next, 2 back, ENTER picks."""

    def __init__(self, names, current):
        self.names = names
        self.at = names.index(current) if current in names else 0

    def key(self, menu, key):
        if key == KEY_CANCEL:
            menu._back()
        elif key == "8" or key == KEY_POINT:
            self.at = (self.at + 1) % len(self.names)
        elif key == "2":
            self.at = (self.at - 1) % len(self.names)
        elif key == KEY_ENTER:
            name = self.names[self.at]
            _confirm_setting(menu, "PRINTER MODEL?", name.upper(), "printer", name)

    def show(self, menu):
        place = "MODEL %d/%d" % (self.at + 1, len(self.names))
        return (place, self.names[self.at].upper())


def _open_density(menu):
    def take(menu, digits):
        if not digits or not 1 <= int(digits) <= 5:
            return "DENSITY 1 TO 5"
        density = int(digits)
        _confirm_setting(menu, "DENSITY %d?" % density, "1 LIGHT 5 DARK", "density", density)
        return None
    menu._push(_DigitEntry("DENSITY 1-5", 1, take, hint="1 LIGHT 5 DARK"))


def _confirm_test_page(menu):
    menu._push(_Confirm(
        "PRINT TEST PAGE?", menu.terminal.setting("printer", "").upper(), ("test_page",),
        lambda menu: menu.terminal.print_test_page(),
        lambda menu, result: ("TEST PAGE", "SENT TO PRINTER"), "NOT PRINTED"))


def _open_copies(menu):
    def take(menu, digits):
        if not digits or not 1 <= int(digits) <= 3:
            return "COPIES 1 TO 3"
        copies = int(digits)
        _confirm_setting(menu, "COPIES %d?" % copies, "EACH SALE", "copies", copies)
        return None
    menu._push(_DigitEntry("COPIES 1-3", 1, take, str(menu.terminal.setting("copies", 2))))


def _open_journal_policy(menu):
    overwrite = menu.terminal.setting("journal_policy") == "overwrite"
    menu._push(_Options(
        (("FULL: " + ("OVERWRITE" if overwrite else "REFUSE"), "1 REFUSE 2 OVERW"),), {
            "1": lambda menu: _confirm_setting(menu, "REFUSE IF FULL?", "KEEP UNEXPORTED",
                                               "journal_policy", "refuse"),
            "2": lambda menu: _confirm_setting(menu, "OVERWRITE OLD?", "UNEXPORTED LOST",
                                               "journal_policy", "overwrite"),
        }))


def _confirm_training(menu):
    turn_on = not menu.terminal.training()
    if turn_on:
        _confirm_setting(menu, "TRAINING ON?", "NOT COUNTED", "training", True)
    else:
        _confirm_setting(menu, "TRAINING OFF?", "REAL SALES", "training", False)

class _VoucherEntry(_Screen):
    def __init__(self):
        self.digits = ""

    def key(self, menu, key):
        if key == KEY_CANCEL:
            menu._back()
        elif key == KEY_DELETE:
            self.digits = self.digits[:-1]
        elif "0" <= key <= "9" and len(self.digits) < _VOUCHER_MAX_DIGITS:
            self.digits += key
        elif key == KEY_ENTER and self.digits:
            voucher = int(self.digits)
            record = menu.terminal.find(voucher)
            if record is None:
                # TODO: offer the nearest vouchers that do exist.
                menu._notice("NOT FOUND", "VOUCHER #%06d" % voucher)
            else:
                _open_preview(menu, record)

    def show(self, menu):
        return ("VOUCHER NO.", _right(self.digits, menu.width))


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
        if day is None:
            menu._push(_AmountEntry("AMOUNT OR #=ANY", self.take_amount, optional=True))
            return None
        self.first_day = day
        menu._push(_DateEntry("TO YYYYMMDD", self._take_last_day, optional=True))
        return None

    def _take_last_day(self, menu, day):
        last_day = self.first_day if day is None else day
        if last_day < self.first_day:
            return "START AFTER END"
        self.last_day = last_day
        menu._push(_AmountEntry("AMOUNT OR #=ANY", self.take_amount, optional=True))
        return None

    def take_amount(self, menu, cents):
        if cents is None or not self.full:
            self.low = cents
            self._run(menu)
            return None
        self.low = cents
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

class _DateEntry(_Screen):
    """A day as YYYYMMDD; ENTER hands `then` the day number (days since
    1970-01-01), or None for an empty `optional` entry. `then` may return a
    message to refuse the day."""

    def __init__(self, title, then, optional=False, empty="SAME DAY"):
        self.title = title
        self.then = then
        self.optional = optional
        self.empty = empty
        self.digits = ""
        self.note = None

    def key(self, menu, key):
        self.note = None
        if key == KEY_CANCEL:
            menu._back()
        elif key == KEY_DELETE:
            self.digits = self.digits[:-1]
        elif "0" <= key <= "9" and len(self.digits) < 8:
            self.digits += key
        elif key == KEY_ENTER:
            self._enter(menu)

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


def _open_preview(menu, record):
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


def _day_number(digits):
    """Days since 1970-01-01 for "YYYYMMDD", or None for no such date."""
    if len(digits) != 8:
        return None
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    if not 1970 <= year <= 2105 or not 1 <= month <= 12 or day < 1:
        return None
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        days_in_month = 29 if leap else 28
    elif month in (4, 6, 9, 11):
        days_in_month = 30
    else:
        days_in_month = 31
    if day > days_in_month:
        return None

    # The inverse of _date_time's reckoning, from a year starting in March.
    year -= 1 if month <= 2 else 0
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


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
