# The key-script format parses the same in both runtimes.
from fake_terminal import FakeTerminal
from terminal.keyscript import ScriptMismatch, parse, run, shows
from terminal.menu import Menu


def test_keys_comments_expectations_and_directives():
    steps = parse("""; a whole-line comment
A 1 2*5   ; keys with spaces between
? SALE AMOUNT
  ?   12.5   ; spaces around the text do not count
! wait
#
""")
    assert steps == [
        ("key", "A"), ("key", "1"), ("key", "2"), ("key", "*"), ("key", "5"),
        ("expect", "SALE AMOUNT", 3),
        ("expect", "12.5", 4),
        ("directive", "wait", 5),
        ("key", "#"),
    ]


def test_keys_then_an_expectation_on_one_line():
    assert parse("B0000# ? 1 LAST") == [
        ("key", "B"), ("key", "0"), ("key", "0"), ("key", "0"), ("key", "0"),
        ("key", "#"), ("expect", "1 LAST", 1)]


def test_directive_keeps_its_arguments():
    assert parse("\n\n! tick 1000") == [("directive", "tick 1000", 3)]


def test_a_bad_character_names_its_line():
    for text, line in (("A\nB\n12x", 3), ("a", 1), ("\n\nE", 3), ("1 ! wait", 1)):
        try:
            parse(text)
        except ValueError as error:
            assert ("line %d" % line) in str(error), str(error)
            continue
        raise AssertionError("%r parsed" % text)


def test_empty_expectation_and_directive_are_refused():
    for text in ("?", "? ; nothing", "!", "12 ?"):
        try:
            parse(text)
        except ValueError:
            continue
        raise AssertionError("%r parsed" % text)


def test_shows_matches_part_of_one_line_only():
    lines = ["reslip     READY", "A=SALE B=TRANS  "]
    assert shows(lines, "READY")
    assert shows(lines, "B=TRANS")
    assert not shows(lines, "TRANS  ")  # trailing spaces of the screen do not count
    assert not shows(lines, "READYA=SALE")


def test_run_presses_keys_and_hands_on_directives():
    terminal = FakeTerminal()
    menu = Menu(terminal)
    seen = []
    run(parse("A 5 # 1\n! wait\n? PRINT CASH?\n#"), menu,
        lambda text, line_no: seen.append((text, line_no)))
    assert seen == [("wait", 2)]
    assert len(terminal.journal) == 1


def test_run_without_a_directive_handler_skips_directives():
    menu = Menu(FakeTerminal())
    run(parse("! wait\nA ? SALE"), menu)
    assert menu.screen_name == "AmountEntry"


def test_mismatch_reports_line_expectation_and_screen():
    menu = Menu(FakeTerminal())
    try:
        run(parse("\nA\n? PRINTED"), menu)
    except ScriptMismatch as error:
        message = str(error)
        assert "line 3" in message
        assert "PRINTED" in message
        assert "SALE AMOUNT" in message
        return
    raise AssertionError("no mismatch")
