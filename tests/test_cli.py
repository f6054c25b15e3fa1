# The `reslip` command's expected failures: one line `reslip: VERB: ...` on
# stderr, a non-zero status, never a traceback; and how the port is found.
import subprocess
import sys

import pytest

from reslip import cli
from reslip.errors import ReslipError


def reslip(*args):
    return subprocess.run([sys.executable, "-m", "reslip.cli"] + list(args),
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args, verb, says", [
    (["flash", "/dev/no-such-port"], "flash", "cannot open /dev/no-such-port"),
    (["pull", "/dev/no-such-port"], "pull", "cannot open /dev/no-such-port"),
    (["sale", "12.50", "/dev/no-such-port"], "sale", "cannot open /dev/no-such-port"),
    (["sale", "12,50", "/dev/no-such-port"], "sale", "is not an amount"),
    (["reprint", "5", "--db", "/nonexistent/x.sqlite", "--png", "x.png"], "reprint",
     "no store at"),
    (["reprint", "5", "--board", "nosuch", "--png", "x.png"], "reprint",
     "cannot read the merchant settings"),
    (["flash", "/dev/no-such-port", "--board", "nosuch"], "flash", "cannot open"),
])
def test_expected_failures_read_as_one_line(tmp_path, args, verb, says):
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
