# The transactions menu, behind the operator's PIN: reprint the last sale or
# a voucher, find sales by amount, days or a range (menu_search), and print
# the batch's detail list and totals. Its last two choices load the
# supervisor's and the admin's menus. Loaded by terminal.menu only when the
# operator's PIN opens it.

from terminal.menu import TerminalError, load_menu
from terminal.menu_entry import KEY_CANCEL, KEY_ENTER, _Screen
from terminal.menu_screens import _Confirm, _Options, _ask_voucher, _net_line, _record_line
from terminal.record import KIND_NAMES, REFUND, SALE, SETTLEMENT, TRAINING_SALE, VOID

# Kinds whose slip the reprint menus print again; a reprint event or a clock
# change has no slip, and a settlement's reprint is a supervisor's business.
_SLIP_KINDS = (SALE, VOID, REFUND, TRAINING_SALE)


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


# The searches load on their choice (menu_search), so a reprint never pays
# for them.

def _open_amount_search(menu):
    menu_search = load_menu(menu, "menu_search")
    if menu_search is not None:
        menu_search.open_amount_search(menu)


def _open_time_search(menu):
    menu_search = load_menu(menu, "menu_search")
    if menu_search is not None:
        menu_search.open_time_search(menu)


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
