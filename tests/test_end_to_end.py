# What `make demo` does, in a temporary folder: the board in a box on the real
# MicroPython unix port, deploy over the raw REPL, a keypad session, a pull.
import csv
import os
import subprocess
import sys

import pytest

from reslip.demo import run_demo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    lines = []
    slips = run_demo(str(out), say=lines.append)
    return out, slips, "\n".join(lines)


def test_every_slip_is_written_as_bytes_text_and_picture(demo):
    out, slips, _ = demo
    # Three sales of two copies each, and two reprints.
    assert len(slips) == 8
    for number in range(1, len(slips) + 1):
        assert (out / "slips" / ("slip-%02d.txt" % number)).stat().st_size > 0
        assert (out / "slips" / ("slip-%02d.png" % number)).stat().st_size > 0
    assert (out / "printer.bin").stat().st_size == sum(len(s.raw) for s in slips)


def test_slips_show_the_amounts_typed(demo):
    _, slips, _ = demo
    text = "\n".join(slip.text for slip in slips)
    for amount in ("12.50", "1,234.56", "8.01"):
        assert amount in text
    assert "************4321" in text


def test_reprints_are_marked_and_match_their_originals(demo):
    _, slips, _ = demo
    reprints = [slip for slip in slips if "REPRINT" in slip.text]
    assert len(reprints) == 2
    assert "000003" in reprints[0].text and "8.01" in reprints[0].text
    assert "000002" in reprints[1].text and "1,234.56" in reprints[1].text
    assert all("重打印" in slip.text for slip in reprints)
    originals = [slip for slip in slips if "REPRINT" not in slip.text]
    assert all("重打印" not in slip.text for slip in originals)


def test_pulled_journal_holds_the_sales_and_the_reprint_events(demo):
    out, _, _ = demo
    with open(out / "journal.csv", encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 5
    text = repr(rows)
    for amount in ("12.50", "1234.56", "8.01"):
        assert amount in text


def test_summary_says_where_everything_is(demo):
    out, _, summary = demo
    assert str(out) in summary
    assert "slip-NN.png" in summary


def test_sim_runs_the_same_session_under_cpython(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "reslip.cli", "sim", "--script",
         os.path.join(ROOT, "demo", "session.keys"), "--state", str(tmp_path)],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("REPRINT") >= 2
    assert "1,234.56" in run.stdout


def test_a_missing_port_is_a_clear_error_not_a_traceback(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "reslip.cli", "pull", "/dev/no-such-port",
         "--db", str(tmp_path / "x.sqlite")],
        capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert run.stderr.startswith("reslip: pull: ")
    assert "Traceback" not in run.stderr
