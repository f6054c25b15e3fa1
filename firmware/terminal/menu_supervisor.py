# The supervisor's menu: void a sale of the open batch, settle the batch,
# reprint the last settlement. Loaded by terminal.menu_records once the
# supervisor's PIN is right.

from terminal.menu_entry import _spread
from terminal.menu_screens import _Confirm, _Options, _ask_voucher, _net_line, _record_line
from terminal.money import format_cents


def open_menu(menu):
    menu._push(_SupervisorMenu())


class _SupervisorMenu(_Options):
    def __init__(self):
        _Options.__init__(self, (("1 VOID 2 SETTLE", "3 LAST SETTLE"),), {
            "1": _open_void,
            "2": _confirm_settle,
            "3": _confirm_settlement_reprint,
        })


def _open_void(menu):
    _ask_voucher(menu, "VOID VOUCHER NO.", _confirm_void)


def _confirm_void(menu, record):
    refusal = menu.terminal.void_refusal(record)
    if refusal:
        menu._notice("CANNOT VOID", refusal)
        return
    voucher = record.voucher
    menu._push(_Confirm(
        "VOID #%06d?" % voucher, _record_line(record, menu.width), ("void", voucher),
        lambda menu: menu.terminal.void(voucher),
        lambda menu, event: ("VOIDED #%06d" % voucher, "SLIP #%06d" % event.voucher),
        "NOT VOIDED"))


def _confirm_settle(menu):
    totals = menu.terminal.batch_totals()
    batch = totals.batch
    menu._push(_Confirm(
        "SETTLE %06d?" % batch, _net_line(totals, menu.width), ("settle", batch),
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
