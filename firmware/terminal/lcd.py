# A 16x2 or 20x4 character LCD (HD44780 controller) behind a PCF8574 I2C
# backpack, driven 4 bits at a time.
#
# The backpack's eight outputs, as most boards wire them:
#   P0 RS (0 command, 1 character)   P1 R/W (kept 0: only writes)
#   P2 E  (the controller latches on its falling edge)   P3 backlight
#   P4..P7 the controller's D4..D7
#
# Every nibble goes as two bytes, E high then E low; one I2C byte takes longer
# than the enable pulse and a command's 37 us need, so no waits are written
# between them. Only init() waits (the controller's power-on and 8-to-4-bit
# dance need milliseconds), and it runs once, when the board is built.
# A line is redrawn only when its text changed, in one I2C write.

from micropython import const
import time

from terminal.screen import TextScreen

_RS = const(0x01)
_ENABLE = const(0x04)
_BACKLIGHT = const(0x08)

_CLEAR = const(0x01)
_ENTRY_LEFT_TO_RIGHT = const(0x06)
_DISPLAY_ON = const(0x0C)  # display on, no cursor, no blink
_DISPLAY_OFF = const(0x08)
_FOUR_BITS_TWO_LINES = const(0x28)  # 4-bit bus, 2 line mode, 5x8 dots
_SET_ADDRESS = const(0x80)

# Where each row starts in the controller's display memory.
_ROW_STARTS = (0x00, 0x40, 0x14, 0x54)


class CharLcdScreen(TextScreen):
    """`i2c` needs writeto(address, buffer); `sleep_ms` is only used by init()."""

    def __init__(self, i2c, address=0x27, width=16, rows=2, sleep_ms=None):
        if rows > len(_ROW_STARTS) or width > 40:
            raise ValueError("at most 4 rows of 40 characters")
        TextScreen.__init__(self, width, rows)
        self.i2c = i2c
        self.address = address
        self.backlight = _BACKLIGHT
        self._sleep_ms = sleep_ms or time.sleep_ms
        # One line: its address command and `width` characters, 4 bytes each.
        self._buffer = bytearray(4 * (1 + width))
        self.init()

    def init(self):
        """The power-on sequence; also brings back a screen that lost power."""
        sleep_ms = self._sleep_ms
        sleep_ms(50)

        # Whatever mode the controller is in, three "8-bit" nibbles reach a
        # known state; then one nibble switches to the 4-bit bus.
        for wait_ms in (5, 1, 1):
            self._write_nibble(0x30, 0)
            sleep_ms(wait_ms)
        self._write_nibble(0x20, 0)
        sleep_ms(1)

        for command in (_FOUR_BITS_TWO_LINES, _DISPLAY_OFF, _CLEAR):
            self._command(command)
        sleep_ms(2)  # clearing takes 1.52 ms
        for command in (_ENTRY_LEFT_TO_RIGHT, _DISPLAY_ON):
            self._command(command)
        self.lines = [" " * self.width] * self.rows

    def _draw_row(self, row, text):
        buffer = self._buffer
        self._put(buffer, 0, _SET_ADDRESS | _ROW_STARTS[row], 0)
        at = 4
        for char in text:
            code = ord(char)
            # The character ROM holds ASCII; anything else shows as "?".
            self._put(buffer, at, code if 0x20 <= code < 0x7F else 0x3F, _RS)
            at += 4
        self.i2c.writeto(self.address, buffer)

    def _command(self, command):
        buffer = bytearray(4)
        self._put(buffer, 0, command, 0)
        self.i2c.writeto(self.address, buffer)

    def _write_nibble(self, high_bits, mode):
        byte = (high_bits & 0xF0) | mode | self.backlight
        self.i2c.writeto(self.address, bytes((byte | _ENABLE, byte)))

    def _put(self, buffer, at, value, mode):
        high = (value & 0xF0) | mode | self.backlight
        low = ((value << 4) & 0xF0) | mode | self.backlight
        buffer[at] = high | _ENABLE
        buffer[at + 1] = high
        buffer[at + 2] = low | _ENABLE
        buffer[at + 3] = low
