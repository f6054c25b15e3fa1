# Raspberry Pi Pico (RP2040, 2 MiB flash) with a 4x4 keypad, a 16x2 screen on
# I2C and a TTL thermal printer on UART0. Wiring: boards/pico/README.md.
#
# The journal's flash region is carved from MicroPython's storage area
# (rp2.Flash(), 1408 KiB) by `reslip flash`, next to a file system made
# smaller without losing its files (terminal/carve.py). The region's place is
# read from the layout that carving recorded.
#
# TODO: not yet run on a real board: carving over USB, the boot into the
# carved layout, the keypad scan, the LCD, the printer and the service link
# on the REPL's port; all are checked on the PC only (tests/test_carve_*.py,
# tests/test_board_pins.py).

import time

import machine
import rp2
from micropython import const

from panel_board import PanelBoard
from terminal import carve

# Plain data, read by the PC too (reslip flash, the pin checks): the storage
# area as the board's boot mounts it, and the journal's share of it.
FLASH = {"store": "__import__('rp2').Flash()", "progsize": 256, "journal_blocks": 64}

# GPIO numbers. The USB port carries the REPL, so UART0 is free for the printer.
PIN_MAP = {
    "keypad_rows": (2, 3, 4, 5),
    "keypad_cols": (6, 7, 8, 9),
    "printer_uart": 0,
    "printer_tx": 0,
    "printer_rx": 1,
    "printer_baud": 9600,
    "lcd_i2c": 1,
    "lcd_sda": 14,
    "lcd_scl": 15,
}

_BLOCK_SIZE = const(4096)
# rp2 programs 256-byte pages, 256-aligned.
_PROGRAM_UNIT = const(256)

# rp2's clock starts at 2021-01-01 00:00:00 at every boot: a time before this
# one has not been set since power came on.
_CLOCK_SET_AFTER = const(1609545600)


class Clock:
    def now(self):
        return time.time()

    def valid(self):
        return time.time() >= _CLOCK_SET_AFTER

    def set(self, unix_seconds):
        year, month, day, hour, minute, second, weekday, _ = time.gmtime(unix_seconds)
        machine.RTC().datetime((year, month, day, weekday, hour, minute, second, 0))


class Board(PanelBoard):
    def __init__(self):
        PanelBoard.__init__(self, PIN_MAP, machine.Pin(PIN_MAP["printer_tx"]),
                            machine.Pin(PIN_MAP["printer_rx"]))
        # The region carving recorded, opened natively: faster than a view.
        region = carve.journal_region(rp2.Flash())
        self.flash = rp2.Flash(start=region.first * _BLOCK_SIZE, len=region.count * _BLOCK_SIZE)
        self.program_unit = _PROGRAM_UNIT
        self.clock = Clock()
