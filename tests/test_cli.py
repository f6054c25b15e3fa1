# The `reslip` command's expected failures: one line `reslip: VERB: ...` on
# stderr, a non-zero status, never a traceback; and how the port is found.
import os
import subprocess
import sys

import pytest

from reslip import cli
from reslip.errors import ReslipError
from reslip.store import Store
from terminal.record import SALE, Record


def reslip(*args):
    return subprocess.run([sys.executable, "-m", "reslip.cli"] + list(args),
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args, verb, says", [
    (["flash", "/dev/no-such-port"], "flash", "cannot open /dev/no-such-port"),
    (["pull", "/dev/no-such-port"], "pull", "cannot open /dev/no-such-port"),
    (["pull", "/dev/no-such-port", "--accept-break", "0"], "pull", "voucher 0 is out of range"),
    (["sale", "12.50", "/dev/no-such-port"], "sale", "cannot open /dev/no-such-port"),
    (["sale", "12,50", "/dev/no-such-port"], "sale", "is not an amount"),
    (["reprint", "5", "--db", "/nonexistent/x.sqlite", "--png", "x.png"], "reprint",
     "no store at"),
    (["reprint", "5", "--board", "nosuch", "--png", "x.png"], "reprint",
     "cannot read the merchant settings"),
    (["flash", "/dev/no-such-port", "--board", "nosuch"], "flash",
     "'nosuch' is not a board that can be flashed"),
    (["flash", "/dev/no-such-port", "--config", ""], "flash", "--config is empty"),
    (["reprint", "99999999999999999999", "--png", "r.png"], "reprint",
     "voucher 99999999999999999999 is out of range; it goes from 1 to 4294967295"),
    (["reprint", "0", "--png", "r.png"], "reprint", "voucher 0 is out of range"),
    (["reprint", "-1", "--png", "r.png"], "reprint", "voucher -1 is out of range"),
    (["reprint", "5", "--png", "r.png", "--terminal", ""], "reprint", "--terminal is empty"),
    (["reprint", "5", "--png", "r.png", "--config", ""], "reprint", "--config is empty"),
    (["reprint", "5", "--serial", "/dev/null", "--baud", "0"], "reprint",
     "--baud 0 is not a speed"),
    (["find", "--voucher", "99999999999999999999"], "find",
     "voucher 99999999999999999999 is out of range"),
    (["find", "--voucher", "4294967296"], "find", "voucher 4294967296 is out of range"),
    (["find", "--operator", "99999999999999999999"], "find",
     "operator 99999999999999999999 is out of range; it goes from 0 to 99"),
    (["find", "--operator", "100"], "find", "operator 100 is out of range"),
    (["find", "--limit", "0"], "find", "--limit 0 shows nothing; give 1 or more"),
    (["find", "--limit", "-3"], "find", "--limit -3 shows nothing"),
    (["find", "--amount=-5"], "find", "an amount cannot be negative"),
    (["find", "--amount", "20..10"], "find", "the range 20..10 runs backwards; write 10..20"),
    (["find", "--amount="], "find", "'' is not an amount"),
    (["find", "--from", ""], "find", "'' is not a time"),
    (["find", "--terminal", ""], "find", "--terminal is empty"),
    (["demo", "--out", "/proc/x"], "demo", "cannot make the output folder /proc/x"),
    (["board", "slips", "--box", ".", "--out", "/proc/x"], "board",
     "cannot write the slips into /proc/x"),
    (["board", "start", "--box", "/proc/x"], "board", "cannot use /proc/x"),
])
def test_expected_failures_read_as_one_line(tmp_path, args, verb, says):
    # A store and a printer's bytes, so that only the argument under test is wrong.
    with Store(str(tmp_path / "reslip.sqlite")) as store:
        store.add("T1", [(5, Record(SALE, amount=100, voucher=5).encode(), 0)])
    (tmp_path / "printer.bin").write_bytes(b"")
    run = subprocess.run([sys.executable, "-m", "reslip.cli"] + args, capture_output=True,
                         text=True, timeout=60, cwd=tmp_path)
    assert run.returncode != 0
    assert run.stderr.startswith("reslip: %s: " % verb), run.stderr
    assert says in run.stderr
    assert "Traceback" not in run.stderr


def test_port_named_wins_then_box_then_the_one_usb_board(monkeypatch, tmp_path):
    assert cli.find_port("/dev/ttyACM7", str(tmp_path)) == "/dev/ttyACM7"

    class Port:
        def __init__(self, device, vid):
            self.device = device
            self.vid = vid

    ports = [Port("/dev/ttyS0", None), Port("/dev/ttyACM0", 0x2E8A)]
    monkeypatch.setattr("serial.tools.list_ports.comports", lambda: ports)
    assert cli.find_port(None, str(tmp_path)) == "/dev/ttyACM0"

    ports.append(Port("/dev/ttyUSB0", 0x1A86))
    with pytest.raises(ReslipError, match="several boards attached .*ttyACM0, /dev/ttyUSB0"):
        cli.find_port(None, str(tmp_path))
    ports[:] = [Port("/dev/ttyS0", None)]
    with pytest.raises(ReslipError, match="no board found"):
        cli.find_port(None, str(tmp_path))


def test_output_cut_short_by_the_reader_ends_quietly(tmp_path):
    # `reslip find | head -1`: the reader goes away long before the table ends.
    db_path = str(tmp_path / "many.sqlite")
    with Store(db_path) as store:
        store.add("T1", [(voucher, Record(SALE, amount=voucher, voucher=voucher,
                                          timestamp=1774900000 + voucher).encode(), 0)
                         for voucher in range(1, 5001)])
    run = subprocess.run(["bash", "-c", "set -o pipefail; %s -m reslip.cli find --db %s | head -1"
                          % (sys.executable, db_path)], capture_output=True, text=True,
                         timeout=60)
    assert run.stdout.startswith("TERMINAL") and run.stdout.count("\n") == 1
    assert run.stderr == ""
    assert run.returncode == 141


def test_interrupt_says_what_the_command_left_behind(monkeypatch, capsys):
    said = []

    def interrupted_flash(args):
        raise KeyboardInterrupt(*said)

    monkeypatch.setattr(cli, "cmd_flash", interrupted_flash)
    said.append("interrupted; the terminal's app was started again on the old version")
    assert cli.main(["flash", "/dev/null"]) == 130
    assert capsys.readouterr().err == ("reslip: flash: interrupted; the terminal's app was "
                                       "started again on the old version\n")
    said.clear()
    assert cli.main(["flash", "/dev/null"]) == 130
    assert capsys.readouterr().err == "reslip: flash: interrupted\n"
