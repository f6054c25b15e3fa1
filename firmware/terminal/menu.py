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
#
# This module holds the screen stack, the PIN locks, the idle screen and the
# sale; menu_entry the screens every menu builds on. The rest of the menus are
# parts of this one, in modules of their own that share its private names and
# load only when the operator's PIN opens them:
#   menu_screens     the building blocks the deeper menus share
#   menu_records     the transactions menu: reprints, searches, reports
#   menu_supervisor  void, settlement (after the supervisor's PIN)
#   menu_admin       PINs, header, clock, printer, settings (after the admin's)
# On the board they are dropped again back at the idle screen, which gives
# their RAM back to the sale path.

from micropython import const
import sys
import time

# The key names are part of this module's public face; they live with the
# entry screens, which every menu uses.
from terminal.menu_entry import (KEY_CANCEL, KEY_DELETE, KEY_ENTER, KEY_POINT, KEY_SALE,
                                 KEY_TRANSACTIONS, KEYS, _AmountEntry, _DigitEntry, _fit,
                                 _Notice, _PinEntry, _right, _Screen, _spread)
from terminal.money import format_cents
from terminal.record import CARD, CASH, METHOD_NAMES, QR

ROLES = ("operator", "supervisor", "admin")

_PIN_TRIES = const(5)
_PIN_LOCK_MS = const(300000)
_IDLE_REFRESH_MS = const(1000)

# The modules loaded behind the operator's PIN, dropped at the idle screen.
# Only on the board: CPython has the RAM, and importing them again at every
# return to idle would slow the long random-key tests threefold.
# With them go the modules only they use (the terminal's back office, query
# for searches, totals for batch totals), which the terminal imports on demand.
_DEEPER_MENUS = ("menu_admin", "menu_supervisor", "menu_search", "menu_records",
                 "menu_screens", "office", "query", "totals")
_DROP_DEEPER_MENUS = sys.implementation.name == "micropython"


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
        self._drop_deeper_menus()

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
                self._drop_deeper_menus()
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

    def _drop_deeper_menus(self):
        # With only the idle screen left nothing refers to the deeper menus'
        # code any more, so forgetting their modules lets the collector take
        # it back; the next PIN loads them afresh. Called once a key or a
        # timeout is done with, never while their code runs.
        if len(self._stack) > 1 or not _DROP_DEEPER_MENUS:
            return
        import terminal
        for name in _DEEPER_MENUS:
            if "terminal." + name in sys.modules:
                del sys.modules["terminal." + name]
                delattr(terminal, name)

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


# --- idle ---
#
# Each screen answers three things (see menu_entry._Screen): key(menu, key),
# show(menu), pending().

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


def _open_transactions(menu):
    # Loaded only now: the idle screen and a sale never pay for the rest.
    menu_records = load_menu(menu, "menu_records")
    if menu_records is not None:
        menu_records.open_menu(menu)


def load_menu(menu, name):
    """The module of a deeper menu, imported now; None, with a notice on the
    screen, when the heap has no room for it at the moment."""
    try:
        return getattr(__import__("terminal." + name), name)
    except MemoryError:
        menu._notice("LOW MEMORY", "TRY AGAIN")
        return None


# --- sale ---

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


class _CardDigits(_DigitEntry):
    """The card's last four digits, for the slip; ENTER with none is fine.

    A cashier who types the whole card number keeps only its last four: each
    digit past the fourth pushes the oldest out, so no more than four are ever
    held. One to three digits are refused, as they would match no card."""

    def __init__(self, sale):
        _DigitEntry.__init__(self, "CARD LAST 4", 4, None)
        self.sale = sale

    def _type(self, key):
        if key != KEY_POINT:
            self.digits = (self.digits + key)[-4:]

    def _enter(self, menu):
        if 0 < len(self.digits) < 4:
            self.note = "4 DIGITS OR NONE"
            return
        self.sale.card_last4 = self.digits
        menu._push(_SaleConfirm(self.sale))

    def show(self, menu):
        return (self.note or self.title, _spread("#=OK", self.digits or "----", menu.width))


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
