"""The real boards' modules wire themselves up under the MicroPython unix port,
with fake machine, rp2 and esp32 modules recording what they were asked for
(tests/fake_mcu): the printer's UART, the settings, the service link's
console, the journal's flash window."""
import os
import subprocess

import pytest

from conftest import ROOT
from reslip.boardbox import micropython_command

_WIRE = """
import sys
sys.path[:0] = [%(fakes)r, %(firmware)r, %(mcu)r, %(board)r]
from terminal import carve

class Region:
    first = 10
    count = 64

carve.journal_region = lambda store: Region()  # what carving would have recorded
import board
b = board.Board()
uart = b.printer_uart
pins = [getattr(pin, "number", pin) for pin in (uart.options["tx"], uart.options["rx"])]
flash = b.flash
window = (flash.start, flash.len) if hasattr(flash, "start") else (flash.first, flash.count)
print(uart.number, pins, uart.options["baudrate"], b.program_unit, window,
      b.settings["terminal_no"], b.settings_path,
      type(b.console[0]).__name__, type(b.console[1]).__name__)
"""


@pytest.mark.parametrize("board, expected", [
    ("pico", "0 [0, 1] 9600 256 (40960, 262144)"),
    ("esp32", "2 [17, 16] 9600 1 (10, 64)"),
])
def test_a_board_wires_its_printer_uart_and_flash_window(tmp_path, board, expected):
    (tmp_path / "config.json").write_text('{"terminal_no": "00000042"}')
    script = tmp_path / "wire.py"
    script.write_text(_WIRE % {
        "fakes": os.path.join(ROOT, "tests", "fake_mcu"),
        "firmware": os.path.join(ROOT, "firmware"),
        "mcu": os.path.join(ROOT, "boards", "mcu"),
        "board": os.path.join(ROOT, "boards", board)})
    run = subprocess.run([micropython_command(), str(script)], cwd=tmp_path, input="",
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    line = run.stdout.strip()
    assert line.startswith(expected + " "), line
    assert line.endswith("00000042 /reslip-settings.json PollingReader PollingWriter"), line
