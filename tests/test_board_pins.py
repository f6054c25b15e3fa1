"""The real boards' pin maps and flash settings, read from board.py as plain
data (board.py itself needs machine, which only a board has)."""
import ast
import os

import pytest

from conftest import ROOT

_BOARDS = ("pico", "esp32")


def board_data(board, name):
    """The literal assigned to `name` at the top of boards/<board>/board.py."""
    with open(os.path.join(ROOT, "boards", board, "board.py")) as file:
        tree = ast.parse(file.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == name for target in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError("%s has no %s" % (board, name))


def _gpios(pins):
    used = list(pins["keypad_rows"]) + list(pins["keypad_cols"])
    used += [pins["printer_tx"], pins["printer_rx"], pins["lcd_sda"], pins["lcd_scl"]]
    return used


@pytest.mark.parametrize("board", _BOARDS)
def test_no_pin_is_used_twice(board):
    used = _gpios(board_data(board, "PIN_MAP"))
    assert len(used) == len(set(used)), sorted(used)


@pytest.mark.parametrize("board", _BOARDS)
def test_a_4x4_keypad_and_a_standard_baud(board):
    pins = board_data(board, "PIN_MAP")
    assert len(pins["keypad_rows"]) == 4 and len(pins["keypad_cols"]) == 4
    assert pins["printer_baud"] in (9600, 19200, 38400, 115200)


# RP2040: GP0-GP22 and GP26-GP28 reach the Pico's pins; each UART and I2C
# block can use only some of them.
_PICO_GPIO = set(range(0, 23)) | {26, 27, 28}
_PICO_UART_TX = {0: {0, 12, 16, 28}, 1: {4, 8, 20}}
_PICO_UART_RX = {0: {1, 13, 17}, 1: {5, 9, 21}}
_PICO_I2C_SDA = {0: {0, 4, 8, 12, 16, 20, 28}, 1: {2, 6, 10, 14, 18, 26}}
_PICO_I2C_SCL = {0: {1, 5, 9, 13, 17, 21}, 1: {3, 7, 11, 15, 19, 27}}


def test_pico_pins_exist_and_fit_their_blocks():
    pins = board_data("pico", "PIN_MAP")
    assert set(_gpios(pins)) <= _PICO_GPIO
    assert pins["printer_tx"] in _PICO_UART_TX[pins["printer_uart"]]
    assert pins["printer_rx"] in _PICO_UART_RX[pins["printer_uart"]]
    assert pins["lcd_sda"] in _PICO_I2C_SDA[pins["lcd_i2c"]]
    assert pins["lcd_scl"] in _PICO_I2C_SCL[pins["lcd_i2c"]]


# ESP32 (WROOM-32): 6-11 belong to the flash; 0, 2, 5, 12 and 15 are sampled
# at reset (12 high picks 1.8 V flash and the board does not boot); 1 and 3 are
# UART0, the REPL; 34-39 are inputs without pull-ups; 20, 24, 28-31 do not exist.
_ESP32_GPIO = set(range(0, 40)) - {20, 24, 28, 29, 30, 31}
_ESP32_FLASH = set(range(6, 12))
_ESP32_STRAPPING = {0, 2, 5, 12, 15}
_ESP32_UART0 = {1, 3}
_ESP32_INPUT_ONLY = set(range(34, 40))


def test_esp32_pins_keep_off_flash_strapping_repl_and_input_only_pins():
    pins = board_data("esp32", "PIN_MAP")
    used = set(_gpios(pins))
    assert used <= _ESP32_GPIO
    assert not used & _ESP32_FLASH
    assert not used & _ESP32_STRAPPING
    assert not used & _ESP32_UART0
    # Keypad columns need pull-ups; rows, TX and the I2C lines drive.
    assert not used & _ESP32_INPUT_ONLY
    assert pins["printer_uart"] != 0


@pytest.mark.parametrize("board", _BOARDS)
def test_the_journal_gets_a_share_of_the_storage_area(board):
    flash = board_data(board, "FLASH")
    assert 16 <= flash["journal_blocks"] <= 128
    assert flash["progsize"] in (None, 256)
    # What the stub evaluates at boot: an expression, no statements.
    compile(flash["store"], "<store>", "eval")
