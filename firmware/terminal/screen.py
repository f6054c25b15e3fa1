# Screens the menu's lines are drawn on.
#
# Every screen takes show(lines) with the menu's fixed-width lines and keeps
# them; a driver also puts them on its glass. TextScreen is the plain holder
# (tests, the PC link); ConsoleScreen draws a framed box to a text stream for
# the PC simulation.
#
# The glass drivers build on TextScreen: terminal.lcd.CharLcdScreen (HD44780
# 16x2 / 20x4 behind a PCF8574 I2C backpack) and terminal.oled.Ssd1306Screen
# (SSD1306 OLED on I2C, framebuf's 8x8 font).


class TextScreen:
    def __init__(self, width=16, rows=2):
        self.width = width
        self.rows = rows
        self.lines = [" " * width] * rows

    def show(self, lines):
        """Take the menu's lines; returns True when the text changed."""
        fitted = []
        for row in range(self.rows):
            text = lines[row] if row < len(lines) else ""
            fitted.append((text + " " * self.width)[:self.width])
        if fitted == self.lines:
            return False

        # A driver redraws only the rows that changed.
        before, self.lines = self.lines, fitted
        for row in range(self.rows):
            if fitted[row] != before[row]:
                self._draw_row(row, fitted[row])
        return True

    def _draw_row(self, row, text):
        """Puts one changed row on the glass; the plain holder has none."""

    def text(self):
        return "\n".join(self.lines)


class ConsoleScreen(TextScreen):
    """Draws the lines in a box on a text stream, once per change:

        +----------------+
        |reslip     READY|
        |A=SALE B=TRANS  |
        +----------------+
    """

    def __init__(self, stream, width=16, rows=2):
        TextScreen.__init__(self, width, rows)
        self.stream = stream

    def show(self, lines):
        if not TextScreen.show(self, lines):
            return False
        border = "+" + "-" * self.width + "+\n"
        parts = [border]
        for line in self.lines:
            parts.append("|" + line + "|\n")
        parts.append(border)
        self.stream.write("".join(parts))
        return True
