# Raspberry Pi Pico (RP2040, 2 MiB flash) with a 4x4 keypad, a 16x2 screen on
# I2C and a TTL thermal printer on UART0. Wiring: boards/pico/README.md.
#
# The journal's flash region is the top 256 KiB of the 1408 KiB that
# MicroPython gives its filesystem on this board; the filesystem is mounted
# over the lower 1152 KiB only (see README.md: preparing the board).

import json
import time

import machine
import rp2
from micropython import const

from terminal.keypad import MatrixKeypad
from terminal.lcd import CharLcdScreen

# Offsets inside MicroPython's storage region (rp2.Flash()).
_STORAGE_BYTES = const(1408 * 1024)
_JOURNAL_BYTES = const(256 * 1024)
_JOURNAL_START = const(_STORAGE_BYTES - _JOURNAL_BYTES)

# rp2 programs 256-byte pages, 256-aligned.
_PROGRAM_UNIT = const(256)

_KEYPAD_ROW_PINS = (2, 3, 4, 5)
_KEYPAD_COL_PINS = (6, 7, 8, 9)
_PRINTER_UART = const(0)
_PRINTER_TX_PIN = const(0)
_PRINTER_RX_PIN = const(1)
_PRINTER_BAUD = const(9600)
_LCD_I2C = const(1)
_LCD_SDA_PIN = const(14)
_LCD_SCL_PIN = const(15)

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


class Board:
    def __init__(self):
        self.flash = rp2.Flash(start=_JOURNAL_START, len=_JOURNAL_BYTES)
        self.program_unit = _PROGRAM_UNIT

        rows = [machine.Pin(n, machine.Pin.OUT, value=1) for n in _KEYPAD_ROW_PINS]
        cols = [machine.Pin(n, machine.Pin.IN, machine.Pin.PULL_UP) for n in _KEYPAD_COL_PINS]
        self.keypad = MatrixKeypad(rows, cols)

        i2c = machine.I2C(_LCD_I2C, sda=machine.Pin(_LCD_SDA_PIN),
                          scl=machine.Pin(_LCD_SCL_PIN), freq=100000)
        self.screen = CharLcdScreen(i2c)

        self.printer_uart = machine.UART(
            _PRINTER_UART, baudrate=_PRINTER_BAUD, tx=machine.Pin(_PRINTER_TX_PIN),
            rx=machine.Pin(_PRINTER_RX_PIN), timeout=0)

        # TODO: run the service link on USB; it needs a reader that polls
        # sys.stdin without blocking, as the unix board's does.
        self.console = None

        self.clock = Clock()
        with open("config.json") as file:
            self.settings = json.load(file)
        self.settings_path = "/reslip-settings.json"
        self.gb2312_path = "gb2312.bin"

    def idle(self, ms):
        time.sleep_ms(ms)
