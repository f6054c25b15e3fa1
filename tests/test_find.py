# `reslip find`: the PC-side record query over the SQLite store.
import calendar
import os
import re
import subprocess
import sys
import time

import pytest

from reslip import find
from reslip.store import Store
from terminal.record import CARD, CASH, QR, REFUND, REPRINT, SALE, Record

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def utc(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S"))


# (terminal, record): two terminals, a month boundary, the last second of a day.
RECORDS = [
    ("T1", Record(SALE, amount=1250, method=CASH, operator=1, voucher=1,
                  timestamp=utc("2026-03-30 09:00:00"))),
    ("T1", Record(SALE, amount=99999, method=CARD, operator=2, voucher=2, card_last4="4321",
                  timestamp=utc("2026-03-31 23:59:59"), reference="午餐")),
    ("T1", Record(REPRINT, operator=2, voucher=3, refers_to=2,
                  timestamp=utc("2026-04-01 00:00:00"))),
    ("T1", Record(REFUND, amount=1250, method=CASH, operator=1, voucher=4, refers_to=1,
                  timestamp=utc("2026-04-01 00:00:01"))),
    ("T2", Record(SALE, amount=1250, method=QR, operator=1, voucher=1,
                  timestamp=utc("2026-03-31 12:00:00"))),
]


@pytest.fixture
def store_path(tmp_path):
    path = str(tmp_path / "store.sqlite")
    with Store(path) as store:
        for terminal, record in RECORDS:
            store.add(terminal, [(record.voucher, record.encode(), 0)])
    return path


def keys(found):
    return [(terminal, record.voucher) for terminal, record in found]


def test_end_day_counts_whole_and_start_day_from_midnight(store_path):
    query = find.Query(start=find.parse_time("2026-03-31"),
                       end=find.parse_time("2026-03-31", end_of_range=True))
    with Store(store_path) as store:
        assert keys(find.find(store, query)) == [("T1", 2), ("T2", 1)]


def test_newest_first_and_events_only_when_asked(store_path):
    with Store(store_path) as store:
        assert keys(find.find(store, find.Query())) == [("T1", 4), ("T1", 2), ("T2", 1),
                                                        ("T1", 1)]
        with_events = keys(find.find(store, find.Query(events=True)))
    assert with_events[:2] == [("T1", 4), ("T1", 3)]


@pytest.mark.parametrize("text, expected", [
    ("12.50", [("T1", 4), ("T2", 1), ("T1", 1)]),
    ("12.51..", [("T1", 2)]),
    ("..12.5", [("T1", 4), ("T2", 1), ("T1", 1)]),
    ("10-1000", [("T1", 2), ("T1", 4), ("T2", 1), ("T1", 1)]),
])
def test_amount_exact_and_ranges(store_path, text, expected):
    low, high = find.parse_amount_range(text)
    with Store(store_path) as store:
        found = keys(find.find(store, find.Query(amount_min=low, amount_max=high)))
    assert sorted(found) == sorted(expected)


def test_voucher_operator_and_terminal_combine(store_path):
    with Store(store_path) as store:
        assert keys(find.find(store, find.Query(voucher=1))) == [("T2", 1), ("T1", 1)]
        assert keys(find.find(store, find.Query(voucher=1, terminal="T2"))) == [("T2", 1)]
        assert keys(find.find(store, find.Query(operator=2))) == [("T1", 2)]


def test_bad_times_and_amounts_say_how_to_write_them():
    with pytest.raises(ValueError, match="2026-03-31"):
        find.parse_time("31/03/2026")
    with pytest.raises(ValueError, match="12.50"):
        find.parse_amount_range("12,50")
    assert find.parse_time("2026-03-31 14:05", end_of_range=True) == utc("2026-03-31 14:05:59")


@pytest.mark.parametrize("text, says", [
    ("-5", "cannot be negative; for 'up to 5' write ..5"),
    ("-5..10", "cannot be negative"),
    ("10..-5", "cannot be negative"),
    ("20..10", "runs backwards; write 10..20"),
    ("20-10", "runs backwards"),
    ("..", "give at least one end"),
    ("", "is not an amount"),
])
def test_negative_amounts_reversed_and_empty_ranges_are_refused(text, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        find.parse_amount_range(text)


def test_a_range_of_one_amount_and_open_ends_still_parse():
    assert find.parse_amount_range("5..5") == (500, 500)
    assert find.parse_amount_range(" 10 .. 20 ") == (1000, 2000)
    assert find.parse_amount_range("0..") == (0, None)


def test_table_shows_masked_card_and_chinese_aligned(store_path):
    with Store(store_path) as store:
        table = find.format_table(find.find(store, find.Query(terminal="T1")))
    lines = table.splitlines()
    assert lines[0].startswith("TERMINAL")
    # The same mask as the slip's: twelve stars and the last four digits.
    assert "************4321" in table and "999.99" in table and "午餐" in table
    assert "REFUND of 000001" in table
    assert "4321" not in table.replace("************4321", "")


def reslip(*args):
    return subprocess.run([sys.executable, "-m", "reslip.cli"] + list(args),
                          capture_output=True, text=True, timeout=60)


def test_cli_prints_table_or_names_the_empty_query(store_path):
    run = reslip("find", "--db", store_path, "--from", "2026-03-31", "--to", "2026-03-31")
    assert run.returncode == 0, run.stderr
    assert run.stdout.index("000002") < run.stdout.index("T2")
    assert "2 record(s)" in run.stdout

    run = reslip("find", "--db", store_path, "--amount", "7.00", "--operator", "3")
    assert run.returncode == 1
    assert run.stderr.startswith("reslip: find: no record matches amount 7.00, operator 3")


def test_cli_errors_are_one_line_without_traceback(tmp_path, store_path):
    run = reslip("find", "--db", str(tmp_path / "none.sqlite"))
    assert run.returncode != 0 and run.stderr.startswith("reslip: find: no store at")
    run = reslip("find", "--db", store_path, "--from", "yesterday")
    assert run.stderr.startswith("reslip: find: ") and "Traceback" not in run.stderr
    run = reslip("find", "--db", store_path, "--from", "2026-04-02", "--to", "2026-04-01")
    assert "swap" in run.stderr
