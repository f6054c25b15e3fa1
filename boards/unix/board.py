# The board in a box: the MicroPython unix port on a pseudo-terminal.
#
# Its hardware lives in the box folder named by RESLIP_BOX: the journal's flash
# region is an emulated NOR flash in flash.bin, the keypad is the file `keys`
# (key characters appended by the PC), the screen is the file screen.txt, and
# the printer is a serial line on the pseudo-terminal RESLIP_PRINTER_PORT.

import json
import os
import select

from micropython import const

from norflash import NorFlash
from offset_clock import OffsetClock
from terminal.console import StdioConsole

_SECTOR_SIZE = const(4096)
_SECTOR_COUNT = const(256)

BOX = os.getenv("RESLIP_BOX") or ".."


class FileKeypad:
    """Keys appended to a file.

    How far the keys were taken is kept beside them, so keys typed while the
    app starts or restarts (after a deploy, say) are taken once it is up, not
    lost: a keypad with a buffer.
    """

    def __init__(self, path):
        self.path = path
        self.taken_path = path + ".taken"
        self.pending = b""
        try:
            with open(self.taken_path) as file:
                self.offset = int(file.read())
        except (OSError, ValueError):
            self.offset = 0

    def _size(self):
        try:
            return os.stat(self.path)[6]
        except OSError:
            return 0

    def scan(self, now_ms):
        size = self._size()
        if size < self.offset:
            self.offset = 0  # the file was emptied or made anew
        if not self.pending and size > self.offset:
            with open(self.path, "rb") as file:
                file.seek(self.offset)
                self.pending = file.read(64)
            self.offset += len(self.pending)
            with open(self.taken_path, "w") as file:
                file.write(str(self.offset))
        if not self.pending:
            return None
        key = chr(self.pending[0])
        self.pending = self.pending[1:]
        return key


class FileScreen:
    def __init__(self, path):
        self.path = path

    def show(self, lines):
        with open(self.path, "w") as file:
            file.write("\n".join(lines) + "\n")


class SerialLine:
    """A serial port on a pseudo-terminal, never blocking the caller."""

    def __init__(self, path):
        self.file = open(path, "r+b")
        self.poller = select.poll()
        self.poller.register(self.file, select.POLLIN)
        self.out_poller = select.poll()
        self.out_poller.register(self.file, select.POLLOUT)

    def write(self, data):
        if not self.out_poller.poll(0):
            return 0
        return self.file.write(data)

    def any(self):
        return 1 if self.poller.poll(0) else 0

    def read(self, count):
        if not self.poller.poll(0):
            return None
        return self.file.read(1) if count == 1 else self._read_available(count)

    def _read_available(self, count):
        data = b""
        while len(data) < count and self.poller.poll(0):
            data += self.file.read(1)
        return data


class Board:
    def __init__(self):
        self.flash = NorFlash(BOX + "/flash.bin", _SECTOR_SIZE, _SECTOR_COUNT)
        self.program_unit = 1
        self.keypad = FileKeypad(BOX + "/keys")
        self.screen = FileScreen(BOX + "/screen.txt")
        self.printer_uart = SerialLine(os.getenv("RESLIP_PRINTER_PORT"))
        self._stdio = StdioConsole()
        self.clock = OffsetClock(BOX + "/clock-offset")
        with open("config.json") as file:
            self.settings = json.load(file)
        # Changes made at the terminal, at the filesystem's root: outside the
        # version folders a deploy switches between, so a deploy keeps them.
        self.settings_path = BOX + "/fs/reslip-settings.json"
        self.gb2312_path = "gb2312.bin"

    @property
    def console(self):
        """The USB serial port: the service link's, and nothing else writes there.

        Made when the app first asks for it, which it does once the PC has
        sent something (console_waiting)."""
        return self._stdio.pair()

    def console_waiting(self):
        return self._stdio.waiting()

    def idle(self, ms):
        # Wakes early when the PC sends something.
        self._stdio.waiting(ms)
