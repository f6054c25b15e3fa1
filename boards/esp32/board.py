# ESP32 dev board (ESP32-DevKitC, ESP32-WROOM-32, 4 MiB flash) with a 4x4
# keypad, a 16x2 screen on I2C and a TTL thermal printer on UART2 (UART0 is
# the REPL on the USB bridge). Wiring: boards/esp32/README.md.
#
# The journal's flash region is carved from the "vfs" partition (2 MiB on
# MicroPython's 4 MiB partition table) by `reslip flash`, next to a file
# system made smaller without losing its files (terminal/carve.py).
#
# TODO: not yet run on a real board: carving over the USB bridge, the boot
# into the carved layout, the keypad scan, the LCD, the printer and the service
# link on the REPL's port; all are checked on the PC only
# (tests/test_carve_*.py, tests/test_board_pins.py).

import time

import esp32
import machine
from micropython import const

from panel_board import PanelBoard
from terminal import carve

# Plain data, read by the PC too (reslip flash, the pin checks): the storage
# area as the board's boot mounts it (default progsize), and the journal's share.
FLASH = {"store": "__import__('esp32').Partition.find(1,label='vfs')[0]", "progsize": None,
         "journal_blocks": 64}

# GPIO numbers. Kept off the flash pins (6-11), the strapping pins (0, 2, 5,
# 12, 15), UART0 (1, 3) and the input-only pins (34-39, which have no pull-ups).
PIN_MAP = {
    "keypad_rows": (32, 33, 25, 26),
    "keypad_cols": (27, 14, 13, 4),
    "printer_uart": 2,
    "printer_tx": 17,
    "printer_rx": 16,
    "printer_baud": 9600,
    "lcd_i2c": 0,
    "lcd_sda": 21,
    "lcd_scl": 22,
}

# esp_partition_write takes any length at any offset.
_PROGRAM_UNIT = const(1)

# Seconds from 1970 to 2000: firmware whose time starts in 2000 is moved to
# Unix time.
_EPOCH_2000 = const(946684800)
# The RTC restarts at its epoch after a power cut: a year before this one
# means the clock has not been set since.
_FIRST_VALID_YEAR = const(2024)


class Clock:
    def __init__(self):
        self.offset = _EPOCH_2000 if time.gmtime(0)[0] == 2000 else 0

    def now(self):
        return time.time() + self.offset

    def valid(self):
        return time.gmtime(time.time())[0] >= _FIRST_VALID_YEAR

    def set(self, unix_seconds):
        year, month, day, hour, minute, second, weekday, _ = time.gmtime(
            unix_seconds - self.offset)
        machine.RTC().datetime((year, month, day, weekday, hour, minute, second, 0))


class Board(PanelBoard):
    def __init__(self):
        PanelBoard.__init__(self, PIN_MAP, PIN_MAP["printer_tx"], PIN_MAP["printer_rx"])
        store = esp32.Partition.find(esp32.Partition.TYPE_DATA, label="vfs")[0]
        self.flash = carve.journal_region(store)
        self.program_unit = _PROGRAM_UNIT
        self.clock = Clock()
