# What the microcontroller boards share: a keypad matrix, a character LCD on
# I2C, a printer on a UART, the service link on the REPL's port, and the
# settings files. Each board module subclasses PanelBoard and adds its flash
# region, program unit and clock.

import json

import machine

from terminal.console import StdioConsole
from terminal.keypad import MatrixKeypad
from terminal.lcd import CharLcdScreen


class PanelBoard:
    def __init__(self, pins, printer_tx, printer_rx):
        """pins: the board's PIN_MAP; printer_tx, printer_rx: the UART's pins
        in the form that port's machine.UART takes."""
        rows = [machine.Pin(n, machine.Pin.OUT, value=1) for n in pins["keypad_rows"]]
        cols = [machine.Pin(n, machine.Pin.IN, machine.Pin.PULL_UP) for n in pins["keypad_cols"]]
        self.keypad = MatrixKeypad(rows, cols)

        i2c = machine.I2C(pins["lcd_i2c"], sda=machine.Pin(pins["lcd_sda"]),
                          scl=machine.Pin(pins["lcd_scl"]), freq=100000)
        self.screen = CharLcdScreen(i2c)

        self.printer_uart = machine.UART(pins["printer_uart"], baudrate=pins["printer_baud"],
                                         tx=printer_tx, rx=printer_rx, timeout=0)

        # The service link shares the REPL's port; its module is loaded once
        # the PC first sends something.
        self._stdio = StdioConsole()

        with open("config.json") as file:
            self.settings = json.load(file)
        self.settings_path = "/reslip-settings.json"
        self.gb2312_path = "gb2312.bin"

    @property
    def console(self):
        return self._stdio.pair()

    def console_waiting(self):
        return self._stdio.waiting()

    def idle(self, ms):
        # Wakes early when the PC sends something.
        self._stdio.waiting(ms)
