# The menus, driven by key scripts against the fake terminal, in both runtimes.
from fake_terminal import FakeTerminal
from terminal.keyscript import ScriptMismatch, parse, run
from terminal.menu import Menu
from terminal.money import format_cents, parse_amount
from terminal.record import CARD, CASH, QR, REPRINT, SALE, SETTLEMENT, TRAINING_SALE, VOID


class MainLoop:
    """Each key followed by a tick, as the app's loop does; "! tick N" in a
    script moves the clock N ms on."""

    def __init__(self, menu, clock):
        self.menu = menu
        self.clock = clock

    @property
    def lines(self):
        return self.menu.lines

    def press(self, key):
        self.menu.press(key)
        self.menu.tick(self.clock[0])

    def directive(self, text, line_no):
        words = text.split()
        if words[0] != "tick":
            raise AssertionError("line %d: unknown directive %s" % (line_no, text))
        self.clock[0] += int(words[1])
        self.menu.tick(self.clock[0])


def play(script, terminal=None, menu=None, clock=None):
    """Run `script` on a menu in a main loop; returns the menu."""
    terminal = terminal if terminal is not None else FakeTerminal()
    clock = clock if clock is not None else [0]
    if menu is None:
        menu = Menu(terminal)
    loop = MainLoop(menu, clock)
    run(parse(script), loop, loop.directive)
    return menu


def sales_in(terminal):
    return [(r.amount, r.method, r.card_last4) for r in terminal.journal if r.kind == SALE]


def refused(call):
    try:
        call()
    except ValueError as error:
        return str(error)
    raise AssertionError("no ValueError")


# --- money ---

def test_amounts_parse_to_integer_cents():
    assert parse_amount("1234567.89") == 123456789
    assert parse_amount("12") == 1200
    assert parse_amount("12.5") == 1250
    assert parse_amount("12.") == 1200
    assert parse_amount(".05") == 5
    assert parse_amount("0012.30") == 1230
    assert parse_amount("9999999.99") == 999999999


def test_bad_amounts_are_refused_with_a_short_message():
    assert refused(lambda: parse_amount("")) == "no amount"
    assert refused(lambda: parse_amount(".")) == "no amount"
    assert refused(lambda: parse_amount("1.2.3")) == "two points"
    assert refused(lambda: parse_amount("1.234")) == "max 2 decimals"
    assert refused(lambda: parse_amount("10000000")) == "amount too large"
    assert refused(lambda: parse_amount("1a")) == "bad character"
    assert refused(lambda: parse_amount("-5")) == "bad character"
    for message in ("no amount", "two points", "max 2 decimals", "amount too large"):
        assert len(message) <= 16


def test_cents_format_with_thousands():
    assert format_cents(0) == "0.00"
    assert format_cents(5) == "0.05"
    assert format_cents(123450) == "1,234.50"
    assert format_cents(100000) == "1,000.00"
    assert format_cents(999999999) == "9,999,999.99"
    assert format_cents(-1999) == "-19.99"


def test_format_and_parse_agree():
    for cents in (1, 99, 100, 1001, 123456, 99999999, 999999999):
        assert parse_amount(format_cents(cents).replace(",", "")) == cents


# --- the screen ---

def test_every_screen_line_is_exactly_the_width():
    terminal = FakeTerminal()
    menu = Menu(terminal)
    seen = set()
    for key in "A9999999*99#2" "1234#" "#" "#B0000#1#" "#3" "9999999*99#" "#":
        menu.press(key)
        assert len(menu.lines) == 2
        for line in menu.lines:
            assert len(line) == 16
        seen.add(menu.screen_name)
    assert len(seen) >= 8


def test_more_rows_are_padded():
    menu = Menu(FakeTerminal(), width=20, rows=4)
    assert len(menu.lines) == 4
    assert menu.lines[3] == " " * 20


def test_changed_is_set_when_the_text_changes():
    menu = Menu(FakeTerminal())
    menu.changed = False
    menu.press("5")  # ignored on the idle screen
    assert not menu.changed
    menu.press("A")
    assert menu.changed


def test_idle_shows_what_needs_attention():
    terminal = FakeTerminal()
    terminal.note = "PAPER OUT"
    play("? reslip \n ? PAPER OUT", terminal)
    play("? A=SALE B=TRANS", FakeTerminal())


def test_idle_note_appears_without_keys():
    terminal = FakeTerminal()
    menu = Menu(terminal)
    menu.tick(0)
    terminal.note = "PAPER OUT"
    menu.tick(500)
    assert "PAPER OUT" not in menu.lines[1]
    menu.tick(1000)
    assert "PAPER OUT" in menu.lines[1]


# --- sale ---

SALE_CASH = """
A           ? SALE AMOUNT
1234567*89  ? 1234567.89
#           ? 1CASH 2CARD 3QR
            ? 1,234,567.89
1           ? PRINT CASH?
            ? 1,234,567.89
#           ? PRINTED #000001
C           ? READY
"""


def test_cash_sale():
    terminal = FakeTerminal()
    play(SALE_CASH, terminal)
    assert sales_in(terminal) == [(123456789, CASH, "")]


def test_card_sale_keeps_the_last_four_digits():
    terminal = FakeTerminal()
    play("""
        A 12*5 #        ? 12.50
        2               ? CARD LAST 4
        12345           ? 2345          ; a fifth digit pushes the first out
        D 9             ? 2349
        #               ? PRINT CARD*2349?
        #               ? PRINTED #000001
        """, terminal)
    assert sales_in(terminal) == [(1250, CARD, "2349")]


def test_a_whole_card_number_typed_keeps_its_last_four_digits():
    terminal = FakeTerminal()
    play("""
        A 5 # 2
        4111111111111234 ? 1234
        #               ? PRINT CARD*1234?
        #               ? PRINTED #000001
        """, terminal)
    assert sales_in(terminal) == [(500, CARD, "1234")]


def test_one_to_three_card_digits_are_refused_and_kept_for_fixing():
    terminal = FakeTerminal()
    play("""
        A 5 # 2 12 #    ? 4 DIGITS OR NONE
                        ? 12
        34 #            ? PRINT CARD*1234?
        #               ? PRINTED #000001
        """, terminal)
    assert sales_in(terminal) == [(500, CARD, "1234")]


def test_card_sale_without_digits_and_qr_sale():
    terminal = FakeTerminal()
    play("""
        A 7 # 2 #       ? PRINT CARD?
        #               ? PRINTED #000001
        # A 8*01 # 3    ? PRINT QR?
                        ? 8.01
        #               ? PRINTED #000002
        """, terminal)
    assert sales_in(terminal) == [(700, CARD, ""), (801, QR, "")]


def test_amount_keys_that_make_it_wrong_are_refused():
    terminal = FakeTerminal()
    play("""
        A 1**           ? TWO POINTS
                        ? 1.
        234             ? MAX 2 DECIMALS
                        ? 1.23
        C A 99999999    ? AMOUNT TOO LARGE
                        ? 9999999
        C A 007         ? 7
        C A *5 #        ? 0.50
        """, terminal)
    assert sales_in(terminal) == []


def test_zero_and_empty_amounts_are_refused():
    terminal = FakeTerminal()
    play("""
        A #             ? NO AMOUNT
        0 #             ? AMOUNT IS ZERO
        * 0 0 #         ? AMOUNT IS ZERO
        D D D D 5 #     ? 1CASH
        """, terminal)
    assert sales_in(terminal) == []


def test_sale_is_refused_while_the_clock_is_not_set():
    terminal = FakeTerminal(clock_valid=False)
    play("""
        ? CLOCK NOT SET
        A               ? CLOCK NOT SET
                        ? NO SALES
        5 # 1 #         ? READY         ; any key leaves; no amount screen came
        """, terminal)
    assert terminal.prints() == []


def test_cancel_goes_back_one_step_at_a_time():
    terminal = FakeTerminal()
    play("""
        A 5 # 2 1234 # ? PRINT CARD*1234?
        C            ? CARD LAST 4
                     ? 1234
        C            ? 1CASH 2CARD 3QR
        C            ? SALE AMOUNT
                     ? 5
        C            ? READY
        C            ? READY
        """, terminal)
    assert terminal.prints() == []


def test_a_refused_sale_shows_why():
    terminal = FakeTerminal()
    terminal.refusal = "JOURNAL FULL"
    play("""
        A 5 # 1 #       ? NOT PRINTED
                        ? JOURNAL FULL
        #               ? READY
        """, terminal)
    assert sales_in(terminal) == []


def test_a_key_before_the_first_tick_does_not_end_the_session():
    # The app's loop presses a key, then ticks; the first tick may come late.
    menu = Menu(FakeTerminal())
    menu.press("A")
    menu.tick(900000000)
    assert menu.screen_name == "AmountEntry"
    menu.tick(900000000 + 119999)
    assert menu.screen_name == "AmountEntry"
    menu.tick(900000000 + 120000)
    assert menu.screen_name == "Idle"


def test_a_pin_lock_runs_from_the_tick_after_it():
    menu = Menu(FakeTerminal())
    for key in "B1#1#1#1#1#":
        menu.press(key)
    assert "PIN LOCKED" in menu.lines[0]
    menu.tick(700000000)
    menu.press("#")
    menu.tick(700000000 + 299999)
    menu.press("B")
    assert "PIN LOCKED" in menu.lines[0]
    menu.press("#")
    menu.tick(700000000 + 300000)
    menu.press("B")
    assert "OPERATOR PIN" in menu.lines[0]


def test_a_script_mismatch_names_the_line_and_the_screen():
    try:
        play("A\n? NOT THERE")
    except ScriptMismatch as error:
        assert "line 2" in str(error)
        assert "NOT THERE" in str(error)
        assert "SALE AMOUNT" in str(error)
        return
    raise AssertionError("no mismatch reported")


# --- PIN ---

def test_wrong_pin_then_right_pin():
    terminal = FakeTerminal(pins={"operator": "0123"})
    play("""
        B               ? OPERATOR PIN
        123 #           ? WRONG PIN 4 LEFT
        0123            ? ****
        #               ? 1 LAST 2 VOUCHER
        C               ? READY
        """, terminal)
    assert ("check_pin", "operator", "123") in terminal.calls
    assert ("check_pin", "operator", "0123") in terminal.calls


def test_five_wrong_pins_lock_for_five_minutes():
    terminal = FakeTerminal()
    clock = [0]
    menu = play("""
        B 1# 1# 1# 1#   ? WRONG PIN 1 LEFT
        1#              ? PIN LOCKED
                        ? WAIT 5 MIN
        # B             ? PIN LOCKED
        ! tick 240000
        # B             ? WAIT 1 MIN
        ! tick 60000
        # B             ? OPERATOR PIN
        0000 #          ? 1 LAST 2 VOUCHER
        """, terminal, clock=clock)
    assert len([call for call in terminal.calls if call[0] == "check_pin"]) == 6
    assert menu.screen_name == "TransactionsMenu"


def test_a_session_ends_after_two_minutes_without_keys():
    terminal = FakeTerminal()
    play("""
        B 0000 #        ? 1 LAST
        ! tick 119000
        2               ? VOUCHER NO.
        ! tick 119000
                        ? VOUCHER NO.
        ! tick 1000
                        ? READY
        A 5 # 1
        ! tick 120000
                        ? READY
        #               ? READY
        """, terminal)
    assert terminal.prints() == []


# --- reprint ---

def rung(*amounts):
    terminal = FakeTerminal()
    for cents in amounts:
        terminal.ring_sale(cents, CASH, "")
    terminal.calls = []
    return terminal


def test_reprint_last_with_nothing_sold():
    terminal = FakeTerminal()
    play("B 0000 # 1 ? NO SALES \n # ? 1 LAST", terminal)
    assert terminal.prints() == []


def test_reprint_last_asks_then_prints_and_asks_again_next_time():
    terminal = rung(500, 1250)
    play("""
        B 0000 # 1      ? REPRINT #000002?
                        ? SALE CASH
                        ? 12.50
        C               ? 1 LAST
        1 #             ? REPRINT #000002
                        ? SENT TO PRINTER
        # 1             ? REPRINT #000002?
        #               ? REPRINTED 1X
                        ? AGAIN #000002?
        C               ? REPRINT #000002?
        # #             ? SENT TO PRINTER
        """, terminal)
    assert terminal.prints() == [("reprint", 2), ("reprint", 2)]
    assert terminal.reprint_count(2) == 2


def test_reprint_by_voucher():
    terminal = rung(500, 1250, 300)
    play("""
        B 0000 # 2      ? VOUCHER NO.
        2               ? 2
        #               ? REPRINT #000002?
                        ? 12.50
        C               ? VOUCHER NO.
        #  #            ? SENT TO PRINTER
        #               ? VOUCHER NO.
        """, terminal)
    assert terminal.prints() == [("reprint", 2)]
    assert terminal.journal[-1].kind == REPRINT


def test_voucher_not_found_shows_the_query():
    terminal = rung(500)
    play("""
        B 0000 # 2 123 #  ? NOT FOUND
                          ? VOUCHER #000123
        #                 ? VOUCHER NO.
                          ? 123
        DD # #            ? SENT TO PRINTER
        """, terminal)
    assert terminal.prints() == [("reprint", 1)]


def test_a_reprint_event_has_no_slip_of_its_own():
    terminal = rung(500)
    terminal.reprint(1)
    terminal.calls = []
    play("B 0000 # 2 2 # ? NO SLIP \n ? #000002 REPRINT \n # #", terminal)
    assert terminal.prints() == []


def test_a_refused_reprint_shows_why():
    terminal = rung(500)
    terminal.refusal = "PAPER OUT"
    play("B 0000 # 1 # ? NOT PRINTED \n ? PAPER OUT \n # ? 1 LAST", terminal)
    assert terminal.reprint_count(1) == 0


def test_find_by_amount_lists_newest_first():
    terminal = rung(500, 1250, 300, 1250, 1250)
    play("""
        B 0000 # 3      ? FIND AMOUNT
        12*5 #          ? 1/3
                        ? #000005
                        ? 2026-12-03 16:41
        8               ? 2/3
                        ? #000004
        * 8             ? 3/3
                        ? #000002
        2               ? #000004
        #               ? REPRINT #000004?
                        ? 12.50
        C               ? 2/3
        # #             ? SENT TO PRINTER
        #               ? 2/3
        C C             ? 1 LAST
        3 99 #          ? NOT FOUND
                        ? 99.00
        """, terminal)
    assert terminal.prints() == [("reprint", 4)]
    assert ("search", 1250, None, None, None) in terminal.calls


# --- screens ---

def test_console_screen_draws_a_box_once_per_change():
    import io
    from terminal.screen import ConsoleScreen

    stream = io.StringIO()
    screen = ConsoleScreen(stream)
    menu = Menu(FakeTerminal())
    assert screen.show(menu.lines)
    assert not screen.show(menu.lines)
    drawn = stream.getvalue().split("\n")
    assert drawn[0] == "+" + "-" * 16 + "+"
    assert drawn[1] == "|reslip     READY|"
    assert drawn[3] == drawn[0]
    assert len(drawn) == 5  # four lines and the empty rest after the last newline
    menu.press("A")
    assert screen.show(menu.lines)
    assert "|SALE AMOUNT     |" in stream.getvalue()


def test_text_screen_fits_lines_to_its_size():
    from terminal.screen import TextScreen

    screen = TextScreen(8, 3)
    screen.show(["a much longer line", "b"])
    assert screen.lines == ["a much l", "b       ", "        "]
    assert screen.text() == "a much l\nb       \n        "


# --- find by time ---

def spread_over_days(terminal):
    """Sales on 2026-12-01, 12-02 (two) and 12-03, at noon and 18:00."""
    day = 20788 * 86400  # 2026-12-01
    for offset, cents in ((12 * 3600, 500), (86400 + 12 * 3600, 1250),
                          (86400 + 18 * 3600, 300), (2 * 86400 + 12 * 3600, 1250)):
        record = terminal.ring_sale(cents, CASH, "")
        record.timestamp = day + offset
    terminal.calls = []
    return terminal


def test_find_by_one_day():
    terminal = spread_over_days(FakeTerminal())
    play("""
        B 0000 # 4          ? FROM YYYYMMDD
        202612              ? 2026-12
        02                  ? 2026-12-02
        #                   ? TO YYYYMMDD
                            ? SAME DAY
        #                   ? AMOUNT OR #=ANY
                            ? ANY
        #                   ? 1/2      #000003
                            ? 18:00
                            ? 3.00
        8                   ? 2/2      #000002
                            ? 12:00
        # #                 ? SENT TO PRINTER
        """, terminal)
    start = 20789 * 86400
    assert ("search", None, start, start + 86399, None) in terminal.calls
    assert terminal.prints() == [("reprint", 2)]


def test_find_by_days_and_amount_includes_the_last_day():
    terminal = spread_over_days(FakeTerminal())
    play("""
        B 0000 # 4 20261201 #   ? TO YYYYMMDD
        20261203 #              ? AMOUNT OR
        12*5 #                  ? UP TO OR #=SAME
        #                       ? 1/2      #000004
        8                       ? 2/2      #000002
        """, terminal)


def test_find_by_time_refuses_wrong_dates_and_a_backward_range():
    terminal = spread_over_days(FakeTerminal())
    play("""
        B 0000 # 4 20260229 #   ? NO SUCH DATE
        D 8 #                   ? TO YYYYMMDD       ; 2026-02-28
        20260101 #              ? START AFTER END
        C DDDD 1130 #           ? TO YYYYMMDD
        #                       ? AMOUNT OR
        9 # #                   ? NOT FOUND 9.00
                                ? 11-30..11-30 #>
        #                       ? 1/3      #000002    ; the nearest: amounts, then times
                                ? 12:00      12.50
        C                       ? NOT FOUND 9.00
        C C C C C               ? 1 LAST
        """, terminal)
    assert terminal.prints() == []


def test_day_numbers_round_trip_through_dates():
    from terminal.menu_screens import _date_time, _day_number

    for day in range(0, 49000, 7):  # to 2104, inside the years a date may take
        text = _date_time(day * 86400 + 3600)
        assert _day_number(text[:10].replace("-", "")) == day, text
    assert _date_time(1796315802) == "2026-12-03 16:36"
    assert _day_number("20240229") is not None
    assert _day_number("20230229") is None
    assert _day_number("21000229") is None
    assert _day_number("20000229") is not None


def test_past_the_free_reprints_the_supervisor_approves():
    terminal = rung(500)
    terminal.pins["supervisor"] = "123456"
    terminal.reprint(1)
    terminal.reprint(1)
    terminal.calls = []
    play("""
        B 0000 # 1 #        ? REPRINTED 2X
                            ? #=SUPERVISOR PIN
        #                   ? SUPERVISOR PIN
        0000 #              ? WRONG PIN 4 LEFT     ; the operator's PIN is not enough
        C                   ? #=SUPERVISOR PIN
        # 123456 #          ? REPRINTED 2X
                            ? AGAIN #000001?
        #                   ? SENT TO PRINTER
        """, terminal)
    assert ("check_pin", "supervisor", "0000") in terminal.calls
    assert terminal.prints() == [("reprint", 1)]


def test_a_locked_supervisor_pin_leaves_the_operator_pin_alone():
    terminal = rung(500)
    terminal.pins["supervisor"] = "123456"
    for _ in range(3):
        terminal.reprint(1)
    terminal.calls = []
    menu = Menu(terminal, free_reprints=3)
    play("""
        B 0000 # 1 #        ? REPRINTED 3X
        # 1# 1# 1# 1# 1#    ? PIN LOCKED
        #                   ? #=SUPERVISOR PIN
        #                   ? PIN LOCKED
        # C C C             ? READY
        B                   ? OPERATOR PIN
        """, terminal, menu=menu)
    assert terminal.prints() == []


# --- detail list and totals ---

def test_detail_and_totals_print_only_after_enter():
    terminal = rung(500, 1250)
    play("""
        B 0000 # *          ? 5 DETAIL 6 TOTAL
                            ? 7 SUPERV 8 ADMIN
        *                   ? 1 LAST
        * 5                 ? PRINT DETAIL?
                            ? BATCH 000001
        C                   ? 5 DETAIL
        5 #                 ? DETAIL PRINTED
                            ? 2 RECORDS
        # 6                 ? PRINT TOTALS?
                            ? NET        17.50
        #                   ? TOTALS PRINTED
        """, terminal)
    assert terminal.prints() == [("print_detail", 1), ("print_totals", 1)]


# --- supervisor ---

SUPERVISOR = {"operator": "0000", "supervisor": "0000", "admin": "9999"}


def supervised(*amounts):
    terminal = rung(*amounts)
    terminal.pins = dict(SUPERVISOR)
    return terminal


def test_an_entry_starts_empty_once_its_action_is_done():
    terminal = supervised(500, 1250)
    menu = play("""
        B 0000 # 7 0000 # 1 ? VOID VOUCHER NO.
        2 # #               ? VOIDED #000002
        #                   ? VOID VOUCHER NO.
        """, terminal)
    assert "2" not in menu.lines[1]
    menu.press("1")
    assert menu.lines[1].strip().endswith("1") and "21" not in menu.lines[1]


def test_void_a_sale_once():
    terminal = supervised(500, 1250)
    play("""
        B 0000 # 7          ? SUPERVISOR PIN
        0000 #              ? 1 VOID 2 SETTLE
        1                   ? VOID VOUCHER NO.
        2 #                 ? VOID #000002?
                            ? SALE CASH
                            ? 12.50
        C                   ? VOID VOUCHER NO.
        #  #                ? VOIDED #000002
                            ? SLIP #000003
        #                   ? VOID VOUCHER NO.     ; empty again after a void
        2 #                 ? CANNOT VOID
                            ? ALREADY VOIDED
        # D 3 #             ? CANNOT VOID          ; #3 is the void itself
                            ? ONLY SALES
        # D 9 #             ? NOT FOUND
        """, terminal)
    assert terminal.prints() == [("void", 2)]
    assert [record.kind for record in terminal.journal] == [SALE, SALE, VOID]
    assert terminal.journal[2].refers_to == 2


def test_settle_then_reprint_the_settlement():
    terminal = supervised(500, 1250)
    play("""
        B 0000 # 7 0000 # 3    ? NO SETTLEMENT
        # 2                    ? SETTLE 000001?
                               ? NET        17.50
        #                      ? SETTLED 000001
                               ? NEXT 000002
        # 2                    ? SETTLE 000002?
                               ? NET         0.00
        C 3                    ? REPRINT SETTLE?
                               ? 000001
        #                      ? SETTLE REPRINTED
        # C                    ? 1 LAST
        7 0000 # 1 1 #         ? CANNOT VOID
                               ? BATCH SETTLED
        """, terminal)
    assert terminal.prints() == [("settle", 1), ("reprint_settlement", 3)]
    assert terminal.batch == 2
    assert terminal.journal[2].kind == SETTLEMENT and terminal.journal[2].amount == 1750


def test_the_operator_pin_does_not_open_the_supervisor_menu():
    terminal = supervised(500)
    terminal.pins["supervisor"] = "2580"
    play("""
        B 0000 # 7 0000 #   ? WRONG PIN 4 LEFT
        C                   ? 1 LAST
        """, terminal)
    assert terminal.commits() == []


# --- admin ---

def admin_terminal():
    terminal = supervised(500)
    return terminal


def test_admin_sets_a_pin_typed_twice():
    terminal = admin_terminal()
    play("""
        B 0000 # 8          ? ADMIN PIN
        9999 #              ? 1 PINS 2 HEADER
        1                   ? OPERATOR 00-99
        5 #                 ? TWO DIGITS
        D 05 #              ? NEW PIN 05
                            ? OPERATOR 05
        0123 #              ? REPEAT PIN
        123 #               ? PINS DIFFER
        C                   ? NEW PIN 05       ; typed PINs are not kept
        0123 # 0123 #       ? SAVE PIN 05?
        #                   ? PIN SAVED
                            ? OPERATOR 05
        #                   ? OPERATOR 00-99
        """, terminal)
    assert terminal.pins["op05"] == "0123"
    assert terminal.commits() == [("set_pin", 5)]


def test_admin_removes_an_operator_but_not_the_supervisor():
    terminal = admin_terminal()
    terminal.pins["op07"] = "7777"
    play("""
        B 0000 # 8 9999 # 1 00 #    ? NEW PIN 00
                                    ? SUPERVISOR
        #                           ? PIN NEEDED
        C DD 07 # #                 ? REMOVE OP 07?
        #                           ? REMOVED
        """, terminal)
    assert "op07" not in terminal.pins
    assert terminal.commits() == [("set_pin", 7)]


def test_admin_sets_the_clock_and_sales_open():
    terminal = admin_terminal()
    terminal.clock_is_valid = False
    play("""
        A                   ? CLOCK NOT SET
        # B 0000 # 8 9999 # 3   ? DATE YYYYMMDD
        20261203 #          ? TIME HHMM
        2460 #              ? NO SUCH TIME
        DDDD 1640 #         ? SET CLOCK?
                            ? 2026-12-03 16:40
        #                   ? CLOCK SET
        # C C C A           ? SALE AMOUNT
        """, terminal)
    assert terminal.commits() == [("set_clock", 1796316000)]
    assert terminal.clock_valid()


def test_admin_settings_each_ask_before_saving():
    terminal = admin_terminal()
    play("""
        B 0000 # 8 9999 #
        5                   ? COPIES 1-3
                            ? 2
        D 4 #               ? COPIES 1 TO 3
        D 3 #               ? COPIES 3?
        # #                 ? COPIES 1-3         ; saved, back to the entry
        C *                 ? 5 COPIES 6 JRNL
        6                   ? FULL: REFUSE
        2                   ? OVERWRITE OLD?
        #                   ? SAVED
                            ? AT RESTART
        # C 4 1             ? MODEL 2/3
                            ? QR204
        8 8                 ? ADAFRUIT
        #                   ? PRINTER MODEL?
        # # C 2             ? DENSITY 1-5
        9 #                 ? DENSITY 1 TO 5
        D 4 # #             ? SAVED
        # C 3               ? PRINT TEST PAGE?
        #                   ? SENT TO PRINTER
        # C 2 2             ? TERMINAL NO.
                            ? 00000001
        D 9 #               ? SAVE TERMINAL?
                            ? 00000009
        #                   ? SAVED
        """, terminal)
    assert terminal.commits() == [
        ("set_setting", "copies", 3), ("set_setting", "journal_policy", "overwrite"),
        ("set_setting", "printer", "adafruit"), ("set_setting", "density", 4),
        ("print_test_page",), ("set_setting", "terminal_no", "00000009")]


def test_training_mode_says_so_on_the_idle_and_sale_screens():
    terminal = admin_terminal()
    play("""
        B 0000 # 8 9999 # 7     ? TRAINING ON?
                                ? NOT COUNTED
        #                       ? SAVED
        # C C C                 ? TRAINING MODE
        A 5 # 1                 ? PRINT CASH?
                                ? TRAINING
        #                       ? PRINTED #000002
        C B 0000 # 8 9999 # 7   ? TRAINING OFF?
        #                       ? SAVED
        """, terminal)
    assert terminal.journal[1].kind == TRAINING_SALE
    assert terminal.settings["training"] is False


# --- PIN failures across a reboot ---

def test_a_pin_lock_survives_a_new_menu():
    terminal = FakeTerminal()
    menu = play("B 1# 1# 1#    ? WRONG PIN 2 LEFT", terminal)
    assert terminal.failures["operator"] == 3

    # The power goes: a new menu on the same terminal counts on from 3.
    play("B 1#  ? WRONG PIN 1 LEFT \n 1# ? PIN LOCKED", terminal)
    writes = terminal.pin_writes
    menu = play("B ? PIN LOCKED", terminal)
    assert menu.screen_name == "Notice"

    # The lock runs its time from the new start, then the count is cleared.
    play("""
        ! tick 0
        ! tick 300000
        B 0000 #        ? 1 LAST
        """, terminal)
    assert terminal.failures["operator"] == 0
    assert terminal.pin_writes == writes + 1  # cleared once; a right PIN writes nothing more


# --- not found ---

def test_not_found_by_amount_shows_the_nearest_amounts():
    terminal = rung(500, 1250, 300)
    play("""
        B 0000 # 3 12 #     ? NOT FOUND 12.00
                            ? NEAR 12.50 5.00
        #                   ? 1/3      #000002
        8 8                 ? 3/3      #000003
        C C                 ? FIND AMOUNT
        """, terminal)
    assert terminal.prints() == []


def test_find_by_amount_range_over_any_day():
    terminal = rung(500, 1250, 300, 800)
    play("""
        B 0000 # 4 #        ? AMOUNT OR #=ANY
        4 #                 ? UP TO OR #=SAME
        3 #                 ? BELOW THE AMOUNT
        D 10 #              ? 1/2      #000004
                            ? 8.00
        8                   ? 2/2      #000001
        """, terminal)
    assert ("search", 400, None, None, 1000) in terminal.calls


# --- the real terminal, in both runtimes ---

class RecordingUart:
    """A printer line with no reply wire: takes everything, answers nothing."""

    def __init__(self):
        self.sent = bytearray()

    def write(self, data):
        self.sent.extend(bytes(data))
        return len(data)

    def any(self):
        return 0

    def read(self, count):
        return None


class SetClock:
    def __init__(self):
        self.seconds = 1796315802

    def now(self):
        return self.seconds

    def valid(self):
        return True

    def set(self, seconds):
        self.seconds = seconds


def real_terminal(flash=None):
    from norflash import NorFlash
    from terminal.app import Terminal
    from terminal.escpos import Printer, get_profile
    from terminal.journal import Journal
    from terminal.pins import make_pin_entry
    from terminal.textenc import TextEncoder

    flash = flash if flash is not None else NorFlash(None, 4096, 8)
    journal = Journal(flash)
    journal.mount()
    uart = RecordingUart()
    encoder = TextEncoder(None, "cp437")
    printer = Printer(uart, get_profile("qr204-latin"), encoder)
    settings = {"merchant_name": "SHOP", "terminal_no": "00000001", "language": "en",
                "copies": 1, "width": 32,
                "pins": {"operator": make_pin_entry(b"a", "1234"),
                         "supervisor": make_pin_entry(b"b", "0000"),
                         "admin": make_pin_entry(b"c", "9999")}}
    return Terminal(journal, printer, settings, SetClock(), encoder), uart, flash


def pump(terminal):
    now_ms = 0
    while terminal.printer.busy and now_ms < 600000:
        now_ms += 10
        terminal.printer.pump(now_ms)


def test_real_terminal_sale_void_and_settlement_reach_the_printer():
    terminal, uart, flash = real_terminal()
    menu = Menu(terminal)
    play("""
        A 12*5 # 1 #            ? PRINTED #000001
        C B 1234 # 7 0000 #     ? 1 VOID 2 SETTLE
        1 1 #                   ? VOID #000001?
        #                       ? VOIDED #000001
        # C 2                   ? SETTLE 000001?
        #                       ? SETTLED 000001
        """, terminal, menu)
    pump(terminal)
    sent = bytes(uart.sent)
    assert sent.count(b"12.50") >= 2      # the sale and its void
    assert b"-12.50" in sent
    assert b"VOID" in sent
    assert b"SETTLEMENT" in sent or b"BATCH" in sent
    assert terminal.batch == 2

    # A restart on the same flash reads the batch back from the journal.
    again, _, _ = real_terminal(flash)
    assert again.batch == 2
    assert again.last_settlement().batch == 1
    assert again.voided_by(1) == 2


def test_real_terminal_nothing_leaves_without_enter():
    terminal, uart, _ = real_terminal()
    play("""
        A 5 # 1 C C C C
        B 1234 # 5 C 6 C 7 0000 # 2 C C 8 9999 # 4 3 C C C C C
        """, terminal)
    pump(terminal)
    assert bytes(uart.sent) == b""
    assert terminal.journal.newest() == 0
