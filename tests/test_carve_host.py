"""`reslip flash`'s carving step against a board on a serial line: the
MicroPython unix port with its storage area in an emulated flash file
(tests/carve_board.py), reached through mpremote as a real board is."""
import hashlib
import os
import pty
import select
import subprocess
import threading
import time
import tty

import pytest

from conftest import ROOT, micropython_command
from reslip import carve

_BLOCKS = 96
_FLASH = {"store": "__import__('norflash').STORE", "progsize": None, "journal_blocks": 16}

_FILES = {
    "/main.py": b"print('app')\n",
    "/active": b"a\n",
    "/a/config.json": b'{"terminal_no": "00000009"}',
    "/a/lib/terminal/app.mpy": bytes(range(256)) * 40,
    "/reslip-settings.json": b'{"copies": 1}',
    "/notes/empty": b"",
}


class SerialBoard:
    """The emulated board on a pty, with a relay to a second pty whose path
    mpremote opens like any serial port."""

    def __init__(self, flash_path):
        self.flash_path = flash_path
        self.board_master, board_slave = self._pty()
        self.port_master, port_slave = self._pty()
        self.port = os.ttyname(port_slave)
        self._slaves = (board_slave, port_slave)
        self.process = None
        self.running = True
        self.relay = threading.Thread(target=self._relay, daemon=True)
        self.relay.start()

    @staticmethod
    def _pty():
        master, slave = pty.openpty()
        tty.setraw(slave)
        return master, slave

    def power_on(self):
        self.process = subprocess.Popen(
            [micropython_command(), "-X", "heapsize=4m", "-i",
             os.path.join(ROOT, "tests", "carve_board.py"), ROOT, self.flash_path, str(_BLOCKS)],
            stdin=self._slaves[0], stdout=self._slaves[0], stderr=self._slaves[0])
        time.sleep(0.5)

    def power_off(self):
        self.process.kill()
        self.process.wait()

    def _relay(self):
        routes = {self.board_master: self.port_master, self.port_master: self.board_master}
        while self.running:
            readable, _, _ = select.select(list(routes), [], [], 0.05)
            for source in readable:
                try:
                    os.write(routes[source], os.read(source, 4096))
                except OSError:
                    pass

    def close(self):
        self.running = False
        self.relay.join()
        if self.process and self.process.poll() is None:
            self.power_off()


@pytest.fixture
def board(tmp_path):
    serial_board = SerialBoard(str(tmp_path / "flash.bin"))
    serial_board.power_on()
    yield serial_board
    serial_board.close()


def _connect(port):
    from mpremote.transport_serial import SerialTransport
    transport = SerialTransport(port, baudrate=115200, timeout=1)
    transport.enter_raw_repl(soft_reset=False, timeout_overall=5)
    return transport


def _put_files(port):
    transport = _connect(port)
    try:
        for folder in ("/a", "/a/lib", "/a/lib/terminal", "/notes"):
            transport.exec("import os\ntry:\n os.mkdir(%r)\nexcept OSError:\n pass" % folder)
        for path, data in _FILES.items():
            transport.fs_writefile(path, data)
    finally:
        transport.close()


def _state(port):
    """{path: sha256} on the board, the blocks of "/", and the journal region's
    record count (None when it cannot be opened)."""
    transport = _connect(port)
    try:
        found = {}
        for path in _FILES:
            found[path] = hashlib.sha256(transport.fs_readfile(path)).hexdigest()
        # The firmware from the PC's folder: "/" is the board's file system.
        transport.exec("import sys, vfs\nvfs.mount(vfs.VfsPosix(%r), '/pc')\n"
                       "sys.path.insert(0, '/pc')" % os.path.join(ROOT, "firmware"))
        blocks = transport.eval("__import__('os').statvfs('/')[2]")
        records = transport.eval(
            "(lambda c, j: len(list(j.Journal(c.journal_region(__import__('norflash').STORE))"
            ".mount().records())))(__import__('terminal.carve').carve, "
            "__import__('terminal.journal').journal)")
        return found, blocks, records
    finally:
        transport.close()


def _expected():
    return {path: hashlib.sha256(data).hexdigest() for path, data in _FILES.items()}


def _prepare(port, backups, progress=lambda line: None):
    transport = _connect(port)
    try:
        return carve.prepare(transport, "esp32", progress, str(backups), flash=_FLASH)
    finally:
        transport.close()


def test_carving_keeps_the_files_and_survives_a_reboot(board, tmp_path):
    _put_files(board.port)
    assert _prepare(board.port, tmp_path / "backups") is True

    board.power_off()
    board.power_on()
    found, blocks, records = _state(board.port)
    assert found == _expected()
    assert blocks == _BLOCKS - 2 - _FLASH["journal_blocks"]
    assert records == 0
    kept = os.listdir(tmp_path / "backups")
    assert len(kept) == 1 and "-carved-" in kept[0]

    # A second flash finds the layout in place and changes nothing.
    with open(board.flash_path, "rb") as file:
        before = file.read()
    assert _prepare(board.port, tmp_path / "backups") is False
    with open(board.flash_path, "rb") as file:
        assert file.read() == before


def test_a_board_cut_off_while_its_files_go_back_is_carved_from_the_pc_s_copy(board, tmp_path):
    _put_files(board.port)

    def cut_during_restore(line):
        if "putting" in line:
            board.power_off()

    with pytest.raises(Exception):
        _prepare(board.port, tmp_path / "backups", cut_during_restore)
    assert os.path.exists(tmp_path / "backups" / "board" / "complete.json")

    board.power_on()
    lines = []
    assert _prepare(board.port, tmp_path / "backups", lines.append) is True
    assert any("earlier run" in line for line in lines)

    board.power_off()
    board.power_on()
    found, blocks, records = _state(board.port)
    assert found == _expected()
    assert records == 0


def test_a_board_with_a_smaller_journal_region_is_refused(board, tmp_path):
    _put_files(board.port)
    _prepare(board.port, tmp_path / "backups")
    transport = _connect(board.port)
    try:
        with pytest.raises(carve.CarveError, match="journal"):
            carve.prepare(transport, "esp32", lambda line: None, str(tmp_path / "backups"),
                          flash=dict(_FLASH, journal_blocks=24))
    finally:
        transport.close()
