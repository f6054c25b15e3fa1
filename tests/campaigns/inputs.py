# Bad input: amounts at and past every limit, a zero amount, voucher numbers of
# up to 13 digits, every query and command on an empty journal and on a full
# one (the real Terminal and journal), and every key on every screen the menu
# can reach (a breadth-first walk over the screens, on the menu's fake
# terminal). The random-key test in tests/test_menu_random.py covers the same
# ground by chance with over 100 000 keys a run; this walk covers it by rule.
#
# Lost means: an exception out of the terminal or the menu, a refused input
# that still changed the journal, an accepted one stored other than given, or
# a commit made by any key but ENTER on a screen asking a question.
from campaigns import Outcome
from campaigns.power import _terminal
from norflash import NorFlash
from terminal.menu import KEYS, Menu, TerminalError
from terminal.money import MAX_CENTS
from terminal.record import CARD, CASH, QR, Record
from test_menu_random import PATHS, new_terminal

_AMOUNTS = (-(1 << 63), -1, 0, 1, 99, MAX_CENTS - 1, MAX_CENTS, MAX_CENTS + 1, 1 << 31,
            1 << 32, (1 << 63) - 1, 1 << 63, 1 << 64, 10 ** 30)
_VOUCHERS = (-1, 0, 1, 2, 99, 10 ** 6 - 1, 10 ** 6, 1 << 31, 1 << 32, 10 ** 12 - 1,
             10 ** 12, 10 ** 13 - 1, 10 ** 13)


def _journal_snapshot(terminal):
    return list(terminal.journal.records())


def _refused_or_kept(terminal, action, expect=None):
    """Runs `action`; a refusal must leave the journal as it was."""
    before = _journal_snapshot(terminal)
    try:
        result = action()
    except TerminalError:
        assert _journal_snapshot(terminal) == before, "a refusal changed the journal"
        return None
    if expect is not None:
        expect(result)
    return result


def amounts(size):
    """Every amount, by every method, straight into Terminal.ring_sale."""
    outcome = Outcome()
    terminal = _terminal(NorFlash(sector_size=4096, sector_count=16))
    for amount in _AMOUNTS:
        for method in (CASH, CARD, QR):
            def one_case():
                def stored(sale):
                    assert 0 < amount <= MAX_CENTS, "accepted %d" % amount
                    record = Record.decode(terminal.journal.read(sale.voucher), sale.voucher)
                    assert record.amount == amount
                _refused_or_kept(terminal, lambda: terminal.ring_sale(amount, method), stored)
            outcome.check(one_case, "amount %d method %d" % (amount, method))
    return outcome.result()


def _queries(terminal, voucher):
    return (("find", lambda: terminal.find(voucher)),
            ("reprint", lambda: terminal.reprint(voucher)),
            ("void", lambda: terminal.void(voucher)),
            ("voided_by", lambda: terminal.voided_by(voucher)),
            ("reprint_count", lambda: terminal.reprint_count(voucher)))


def vouchers(size):
    """Voucher numbers from -1 to 13 digits at every lookup, on a journal of 3 sales."""
    outcome = Outcome()
    terminal = _terminal(NorFlash(sector_size=4096, sector_count=16))
    for amount in (100, 200, 300):
        terminal.ring_sale(amount, CASH)
    for voucher in _VOUCHERS:
        for name, action in _queries(terminal, voucher):
            outcome.check(lambda: _refused_or_kept(terminal, action),
                          "%s(%d)" % (name, voucher))
    return outcome.result()


def _every_command(terminal):
    return (("last_sale", terminal.last_sale),
            ("search", lambda: terminal.search(amount_cents=100)),
            ("search by time", lambda: terminal.search(start=0, end=1 << 32)),
            ("nearest", lambda: terminal.nearest(amount_cents=100)),
            ("batch_totals", terminal.batch_totals),
            ("print_detail", terminal.print_detail),
            ("print_totals", terminal.print_totals),
            ("reprint last", lambda: terminal.reprint(terminal.journal.newest())),
            ("reprint_settlement", terminal.reprint_settlement),
            ("settle", terminal.settle),
            ("sale", lambda: terminal.ring_sale(100, CASH)),
            ("attention", terminal.attention))


def empty_and_full(size):
    """Every command on an empty journal, and on a full one that keeps its records."""
    outcome = Outcome()
    empty = _terminal(NorFlash(sector_size=4096, sector_count=4))
    for name, action in _every_command(empty):
        outcome.check(lambda: _refused_or_kept(empty, action), "empty journal: " + name)

    full = _terminal(NorFlash(sector_size=4096, sector_count=3))  # keeps its records
    sold = 0
    try:
        while True:
            full.ring_sale(100 + sold, CASH)
            sold += 1
    except TerminalError as refusal:
        assert str(refusal) == "JOURNAL FULL"
    kept = _journal_snapshot(full)
    for name, action in _every_command(full):
        outcome.check(lambda: _refused_or_kept(full, action), "full journal: " + name)

    def nothing_lost():
        assert _journal_snapshot(full)[:len(kept)] == kept, "a full journal lost records"
        assert full.find(1) is not None
    outcome.check(nothing_lost, "full journal: every sale still there")
    return outcome.result()


def _screen(menu):
    # Digits typed into an entry make no new screen: "12.50" and "99.99" on
    # the amount entry are one screen, so the walk ends.
    shown = "".join("0" if char.isdigit() else char for char in menu.lines[1])
    return (menu.screen_name, menu.lines[0], shown)


def _replay(path):
    terminal = new_terminal()
    menu = Menu(terminal)
    menu.tick(0)
    for key in path:
        menu.press(key)
        menu.tick(0)
    return terminal, menu


def every_key(size):
    """Every key on every screen reachable from the idle screen."""
    outcome = Outcome()
    # The walk starts at the idle screen and at the ends of the random-key
    # test's paths, which hold the one-digit PINs of the deeper menus.
    seen = {}
    queue = []
    for path in ("",) + PATHS:
        _, menu = _replay(path)
        if _screen(menu) not in seen:
            seen[_screen(menu)] = path
            queue.append(path)
    while queue and outcome.cases < size:
        path = queue.pop(0)
        for key in KEYS:
            if outcome.cases >= size:
                break

            def one_case():
                terminal, menu = _replay(path)
                shown = "\n".join(menu.lines)
                commits_before = len(terminal.commits())
                menu.press(key)
                menu.tick(0)
                assert len(menu.lines) == 2 and all(len(line) == 16 for line in menu.lines)
                new_commits = terminal.commits()[commits_before:]
                if new_commits:
                    assert key == "#" and "?" in shown, (shown, new_commits)
                screen = _screen(menu)
                if screen not in seen:
                    seen[screen] = path + key
                    queue.append(path + key)

            outcome.check(one_case, "key %r after %r" % (key, path))
    outcome.notes = ["%d screens reached" % len(seen)]
    return outcome.result()
