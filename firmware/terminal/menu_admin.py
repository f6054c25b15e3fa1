# The admin's menu: PINs, the slip header's numbers, the clock, the printer
# (model, density, test page), copies, the journal policy, training mode and
# the service window of a locked console.
# Loaded by terminal.menu_records once the admin's PIN is right.

from micropython import const

from terminal.menu_entry import (KEY_CANCEL, KEY_ENTER, KEY_POINT, PIN_MAX_DIGITS,
                                 _DigitEntry, _Screen)
from terminal.menu_screens import _Confirm, _DateEntry, _Options, _date_time

_SECONDS_PER_DAY = const(86400)


def open_menu(menu):
    menu._push(_AdminMenu())


class _AdminMenu(_Options):
    def __init__(self):
        _Options.__init__(self, (
            ("1 PINS 2 HEADER", "3 CLOCK 4 PRN *>"),
            ("5 COPIES 6 JRNL", "7 TRAINING    *>"),
            ("8 SERVICE WINDOW", "FOR FLASH     *>"),
        ), {
            "1": _open_pin_admin,
            "2": _open_header,
            "3": _open_clock,
            "4": _open_printer,
            "5": _open_copies,
            "6": _open_journal_policy,
            "7": _confirm_training,
            "8": _open_service_window,
        })


def _confirm_setting(menu, top, bottom, name, value):
    menu._push(_Confirm(
        top, bottom, ("setting", name, value),
        lambda menu: menu.terminal.set_setting(name, value),
        lambda menu, note: ("SAVED", note or ""), "NOT SAVED"))


def _ask_level(menu, name, label, highest, bottom, initial="", hint=""):
    """A setting from 1 to `highest`, one digit, e.g. "COPIES 1-3"."""

    def take(menu, digits):
        if not digits or not 1 <= int(digits) <= highest:
            return "%s 1 TO %d" % (label, highest)
        value = int(digits)
        _confirm_setting(menu, "%s %d?" % (label, value), bottom, name, value)
        return None

    menu._push(_DigitEntry("%s 1-%d" % (label, highest), 1, take, initial, hint=hint))


# --- PINs ---

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
        menu._push(_DigitEntry("NEW PIN %02d" % self.number, PIN_MAX_DIGITS, self._take_first,
                               secret=True, hint=self.name()))

    def _take_first(self, menu, pin):
        number = self.number
        if not pin:
            if number == 0 or number == 99:
                return "PIN NEEDED"
            self._confirm(menu, "REMOVE OP %02d?" % number, "PIN GOES TOO", None, "REMOVED")
            return None
        self.pin = pin
        menu._push(_DigitEntry("REPEAT PIN", PIN_MAX_DIGITS, self._take_second, secret=True))
        return None

    def _take_second(self, menu, pin):
        if pin != self.pin:
            return "PINS DIFFER"
        self._confirm(menu, "SAVE PIN %02d?" % self.number, self.name(), pin, "PIN SAVED")
        return None

    def _confirm(self, menu, top, bottom, pin, done):
        number = self.number
        menu._push(_Confirm(
            top, bottom, ("pin", number),
            lambda menu: menu.terminal.set_pin(number, pin),
            lambda menu, result: (done, self.name()), "NOT SAVED", self.depth))


# --- header ---

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


# --- clock ---

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


# --- printer ---

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
    _ask_level(menu, "density", "DENSITY", 5, "1 LIGHT 5 DARK", hint="1 LIGHT 5 DARK")


def _confirm_test_page(menu):
    menu._push(_Confirm(
        "PRINT TEST PAGE?", menu.terminal.setting("printer", "").upper(), ("test_page",),
        lambda menu: menu.terminal.print_test_page(),
        lambda menu, result: ("TEST PAGE", "SENT TO PRINTER"), "NOT PRINTED"))


# --- copies, journal policy, training ---

def _open_copies(menu):
    _ask_level(menu, "copies", "COPIES", 3, "EACH SALE",
               initial=str(menu.terminal.setting("copies", 2)))


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


# --- service window ---

def _open_service_window(menu):
    """A locked console lets a Ctrl-C stop the app (for `reslip flash`) only
    for a few minutes after the admin opens this window."""
    # Imported here: the link's code stays off the heap until a PC speaks
    # or this window is asked for, not whenever the admin menu opens.
    from terminal import link

    if not link.locked():
        menu._notice("NOT LOCKED", "FLASH ALLOWED")
        return
    if link.service_window_ms():
        menu._push(_Confirm(
            "CLOSE SERVICE?", "LOCK CONSOLE", ("service_window", False),
            lambda menu: link.close_service_window(),
            lambda menu, result: ("SERVICE CLOSED", "CONSOLE LOCKED"), "NOT CLOSED"))
        return
    # TODO: the journal has no record kind for this; an audit trail of who
    # opened the window, and when, needs one.
    shown = "%d MIN FOR FLASH" % (link.SERVICE_WINDOW_MS // 60000)
    menu._push(_Confirm(
        "OPEN SERVICE?", shown, ("service_window", True),
        lambda menu: link.open_service_window(),
        lambda menu, result: ("SERVICE OPEN", shown), "NOT OPENED"))
