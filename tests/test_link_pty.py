# The service link end to end: the real MicroPython unix port on a
# pseudo-terminal, as a board in a box, and the PC side through pyserial.
#
# Two pty pairs with a relay between their master ends, as a USB serial
# adapter would be: the MicroPython process has the first slave as its stdin
# and stdout, pyserial opens the second slave by its path.
import os
import pty
import select
import subprocess
import sys
import threading

import pytest
import serial

from reslip.link import HostLink

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECORDS = 400

# The app's side: a journal with RECORDS sales, then the service link polled
# from a main loop, exactly as the app wires it on the board in a box.
DEVICE_SCRIPT = r"""
import sys
sys.path[:0] = [%(root)r + "/firmware", %(root)r + "/boards/pc"]

import select
import termios

from terminal.link import PollingReader, PollingWriter, ServiceLink
from terminal.record import CARD, Record, SALE
from terminal.journal import Journal
from norflash import NorFlash

journal = Journal(NorFlash(sector_count=64))
journal.mount()
for number in range(%(records)d):
    sale = Record(SALE, amount=100 + number, method=CARD, operator=number %% 7,
                  timestamp=1767225600 + number, card_last4="%%04d" %% number,
                  reference="单号 %%d" %% number)
    journal.append(sale.encode())

clock = [0]

def set_clock(seconds):
    clock[0] = seconds

# Raw mode: no echo, no \n -> \r\n on output, Ctrl-C arrives as a byte.
termios.setraw(0)
incoming = select.poll()
incoming.register(sys.stdin, select.POLLIN)
link = ServiceLink(PollingReader(sys.stdin.buffer), PollingWriter(sys.stdout.buffer),
                   journal, {"terminal": "PTY00001", "firmware": "test"}, set_clock)
while True:
    link.poll()
    if not link.busy():
        incoming.poll(5)  # stands in for the rest of the app's loop
"""


def micropython_command():
    beside = os.path.join(os.path.dirname(sys.executable), "micropython")
    return beside if os.path.exists(beside) else "/tmp/venvprobe/bin/micropython"


def _relay(first, second, stop):
    """Copies bytes both ways between two pty master ends until stop is set."""
    while not stop.is_set():
        ready, _, _ = select.select([first, second], [], [], 0.05)
        for source in ready:
            target = second if source == first else first
            try:
                data = os.read(source, 65536)
            except OSError:
                return  # the other side has gone
            while data:
                data = data[os.write(target, data):]


@pytest.fixture
def board(tmp_path):
    """(serial port path, process) of a MicroPython terminal behind a relay."""
    script = tmp_path / "device.py"
    script.write_text(DEVICE_SCRIPT % {"root": ROOT, "records": RECORDS}, encoding="utf-8")
    device_master, device_slave = pty.openpty()
    host_master, host_slave = pty.openpty()
    stderr_path = tmp_path / "stderr.txt"
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(
            [micropython_command(), "-X", "heapsize=4m", str(script)],
            stdin=device_slave, stdout=device_slave, stderr=stderr)
    os.close(device_slave)
    stop = threading.Event()
    relay = threading.Thread(target=_relay, args=(device_master, host_master, stop), daemon=True)
    relay.start()
    try:
        yield os.ttyname(host_slave), process, stderr_path
    finally:
        process.kill()
        process.wait()
        stop.set()
        relay.join()
        for fd in (device_master, host_master, host_slave):
            os.close(fd)


def _expected_payloads():
    """The payloads the device script appends, rebuilt here."""
    from terminal.record import CARD, SALE, Record

    return [Record(SALE, amount=100 + number, method=CARD, operator=number % 7,
                   timestamp=1767225600 + number, card_last4="%04d" % number,
                   reference="单号 %d" % number).encode() for number in range(RECORDS)]


def test_pull_everything_from_the_unix_port(board):
    path, process, stderr_path = board
    with serial.Serial(path, timeout=0.05) as port:
        host = HostLink(port, timeout_s=1.0, retries=8)
        identity = host.identify()
        assert process.poll() is None, stderr_path.read_text()
        assert (identity.terminal, identity.count) == ("PTY00001", RECORDS)

        host.set_clock(1767225600)
        pulled = [record for batch in host.pull(identity.oldest) for record in batch]

    assert [record.payload for record in pulled] == _expected_payloads()
    assert [record.voucher for record in pulled] == \
        list(range(identity.oldest, identity.oldest + RECORDS))
    assert host.stats["record_bytes"] / host.stats["wire_bytes_in"] >= 0.9


def test_junk_and_ctrl_c_inside_a_command_do_not_stop_the_app(board):
    path, process, stderr_path = board
    with serial.Serial(path, timeout=0.05) as port:
        host = HostLink(port, timeout_s=1.0, retries=8)
        host.identify()

        # A command cut by a Ctrl-C and an EOF byte: the device must NAK it, not stop.
        port.write(b">4901\x03\x04\n")
        host_status = host.status()
        assert host_status["bad_frames"] >= 1
        assert host.identify().count == RECORDS
    assert process.poll() is None, stderr_path.read_text()


def test_reslip_pull_by_port_path_then_nothing_twice(board, tmp_path):
    from reslip.pull import pull
    from reslip.store import Store

    path, process, stderr_path = board
    db_path = str(tmp_path / "store.sqlite")
    csv_path = str(tmp_path / "journal.csv")

    first = pull(path, db_path, csv_path=csv_path)
    assert (first.terminal, first.received, first.added) == ("PTY00001", RECORDS, RECORDS), \
        stderr_path.read_text()
    assert first.export_note == ""
    assert first.csv_rows == RECORDS

    second = pull(path, db_path)
    assert (second.received, second.added, second.exported_up_to) == (0, 0, first.exported_up_to)
    with Store(db_path) as store:
        stored = store.payloads("PTY00001", 1, 10 ** 9)
    assert [payload for _, payload in stored] == _expected_payloads()
    with open(csv_path, encoding="utf-8-sig") as file:
        assert "单号 7" in file.read()
    assert process.poll() is None, stderr_path.read_text()
