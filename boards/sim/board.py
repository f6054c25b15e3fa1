# The CPython simulation board: the terminal in a terminal window.
#
# Same firmware as on a real board; the hardware is the PC's: the journal's
# flash region is an emulated NOR flash in a file, the printer is the printer
# emulator, the screen is drawn with text and keys come from the keyboard or
# a key script.

import json
import os
import time

from norflash import NorFlash
from offset_clock import OffsetClock

from reslip.printer_emu import PrinterEmulator

_HERE = os.path.dirname(os.path.abspath(__file__))
_SECTOR_SIZE = 4096
_SECTOR_COUNT = 256


class QueuedKeypad:
    """Keys pushed by the simulator, given to the app one per poll."""

    def __init__(self):
        self.keys = []

    def push(self, key):
        self.keys.append(key)

    def scan(self, now_ms):
        return self.keys.pop(0) if self.keys else None


class Board:
    def __init__(self, state_dir, screen, gb2312_path):
        os.makedirs(state_dir, exist_ok=True)
        self.flash = NorFlash(os.path.join(state_dir, "flash.bin"), _SECTOR_SIZE, _SECTOR_COUNT)
        self.program_unit = 1
        self.keypad = QueuedKeypad()
        self.screen = screen
        # The emulator takes the printer's bytes as its UART would, and answers
        # status queries the same way.
        self.emulator = PrinterEmulator()
        self.printer_uart = self.emulator
        self.console = None
        self.clock = OffsetClock(os.path.join(state_dir, "clock-offset"))
        with open(os.path.join(_HERE, "config.json"), encoding="utf-8") as file:
            self.settings = json.load(file)
        self.settings_path = os.path.join(state_dir, "settings.json")
        self.gb2312_path = gb2312_path

    def idle(self, ms):
        time.sleep(ms / 1000)
