# Random key streams against the menu: no crash, nothing printed without an
# ENTER on a screen that said what it would print, and the journal holding
# exactly what was confirmed.
#
# 500 examples of 200 to 300 keys each: well over 100 000 keys per run.
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_terminal import FakeTerminal
from terminal.menu import Menu
from terminal.money import format_cents
from terminal.record import CASH, SALE

KEYS = "0123456789*#ABCD"

# Digits, ENTER and the menu keys come often enough to reach every screen:
# the PINs are one digit, and sales of 1.00 and 5.00 are there to be found.
key_events = st.sampled_from(KEYS + "#123AB")
other_events = st.one_of(
    st.tuples(st.just("tick"), st.integers(min_value=0, max_value=200000)),
    st.tuples(st.just("refuse"), st.sampled_from([None, "JOURNAL FULL", "PAPER OUT"])),
    st.tuples(st.just("clock"), st.booleans()),
)
events = st.lists(st.one_of(key_events, key_events, key_events, key_events, other_events),
                  min_size=200, max_size=300)


def new_terminal():
    terminal = FakeTerminal(pins={"operator": "1", "supervisor": "2"})
    for cents in (100, 500, 100):
        terminal.ring_sale(cents, CASH, "")
    terminal.calls = []
    return terminal


@settings(max_examples=500, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(events)
def test_random_keys_never_print_unannounced(stream):
    terminal = new_terminal()
    menu = Menu(terminal)
    now_ms = 0
    confirmed_sales = 0
    confirmed_reprints = 0

    for event in stream:
        if isinstance(event, tuple):
            if event[0] == "tick":
                now_ms += event[1]
                menu.tick(now_ms)
            elif event[0] == "refuse":
                terminal.refusal = event[1]
            else:
                terminal.clock_is_valid = event[1]
            continue

        shown = "\n".join(menu.lines)
        pending = menu.pending
        journal_before = len(terminal.journal)
        prints_before = len(terminal.prints())

        menu.press(event)
        menu.tick(now_ms)  # the app's loop ticks after every key

        assert len(menu.lines) == 2
        assert all(len(line) == 16 for line in menu.lines)
        new_prints = terminal.prints()[prints_before:]
        if not new_prints:
            assert len(terminal.journal) == journal_before
            continue

        # One print, by ENTER, on a screen that named it.
        assert len(new_prints) == 1
        assert event == "#"
        call = new_prints[0]
        if call[0] == "ring_sale":
            assert pending == ("sale",) + call[1:]
            assert "PRINT" in shown
            assert format_cents(call[1]) in shown
            if terminal.refusal is None and terminal.clock_is_valid:
                confirmed_sales += 1
        else:
            assert pending == ("reprint", call[1])
            assert "REPRINT" in shown
            assert "#%06d" % call[1] in shown
            if terminal.refusal is None:
                confirmed_reprints += 1

    # The journal holds what was confirmed and nothing else.
    sales = [record for record in terminal.journal if record.kind == SALE]
    assert len(sales) == 3 + confirmed_sales
    assert len(terminal.journal) == 3 + confirmed_sales + confirmed_reprints


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(KEYS), max_size=60))
def test_cancel_from_anywhere_reaches_idle_without_printing(keys):
    terminal = new_terminal()
    menu = Menu(terminal)
    for key in keys:
        menu.press(key)
    prints_before = len(terminal.prints())

    # No screen is more than a handful of steps deep.
    for _ in range(12):
        menu.press("C")
    assert menu.screen_name == "Idle"
    assert len(terminal.prints()) == prints_before
