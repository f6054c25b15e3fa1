# An SSD1306 OLED (128x32 or 128x64) on I2C, showing the menu's text lines
# with framebuf's built-in 8x8 font: 16 characters to a line.
#
# Our own small driver on framebuf. micropython-lib's ssd1306.py is on PyPI
# only as a source archive pip cannot install, and it redraws the whole
# display (1 KiB on a 128x64) for every change; here a text line is one
# display page (8 pixel rows), and only the pages of lines that changed are
# sent, 129 bytes each.
#
# framebuf exists in MicroPython (the unix port too), not in CPython.

from micropython import const

from terminal.screen import TextScreen

_COMMANDS = const(0x00)  # control byte: a stream of commands follows
_DATA = const(0x40)      # control byte: display data follows

_DISPLAY_OFF = const(0xAE)
_DISPLAY_ON = const(0xAF)
_SET_COLUMNS = const(0x21)
_SET_PAGES = const(0x22)


class Ssd1306Screen(TextScreen):
    """`i2c` needs writeto(address, buffer)."""

    def __init__(self, i2c, address=0x3C, width_px=128, height_px=32, rows=2,
                 external_vcc=False, contrast=0xCF):
        import framebuf

        pages = height_px // 8
        if rows > pages:
            raise ValueError("more rows than display pages")
        TextScreen.__init__(self, width_px // 8, rows)
        self.i2c = i2c
        self.address = address
        self.width_px = width_px
        self.height_px = height_px
        # Lines spread over the pages: on a 128x32, rows 0 and 1 go to pages 0 and 2.
        self.page_step = pages // rows

        # One page of pixels behind its data control byte, drawn by framebuf in place.
        self._page = bytearray(1 + width_px)
        self._page[0] = _DATA
        self._frame = framebuf.FrameBuffer(memoryview(self._page)[1:], width_px, 8,
                                           framebuf.MONO_VLSB)
        self._window = bytearray((_COMMANDS, _SET_COLUMNS, 0, width_px - 1,
                                  _SET_PAGES, 0, 0))
        self.init(external_vcc, contrast)

    def init(self, external_vcc=False, contrast=0xCF):
        """Sets the controller up and blanks every page."""
        wide = self.width_px > 2 * self.height_px
        self._commands((
            _DISPLAY_OFF,
            0xD5, 0x80,                      # clock divide ratio, oscillator
            0xA8, self.height_px - 1,        # multiplex: the number of rows
            0xD3, 0x00,                      # no display offset
            0x40,                            # start line 0
            0x8D, 0x10 if external_vcc else 0x14,  # charge pump
            0x20, 0x00,                      # horizontal addressing
            0xA1,                            # column 127 is SEG0 (not mirrored)
            0xC8,                            # scan COM from the bottom (not flipped)
            0xDA, 0x02 if wide else 0x12,    # COM pins as the panel is wired
            0x81, contrast,
            0xD9, 0x22 if external_vcc else 0xF1,  # pre-charge periods
            0xDB, 0x30,                      # VCOMH deselect level
            0xA4,                            # show the RAM's contents
            0xA6,                            # not inverted
        ))
        self._frame.fill(0)
        for page in range(self.height_px // 8):
            self._send_page(page)
        self._commands((_DISPLAY_ON,))
        self.lines = [" " * self.width] * self.rows

    def _draw_row(self, row, text):
        self._frame.fill(0)
        self._frame.text(text, 0, 0, 1)
        self._send_page(row * self.page_step)

    def _send_page(self, page):
        self._window[5] = page
        self._window[6] = page
        self.i2c.writeto(self.address, self._window)
        self.i2c.writeto(self.address, self._page)

    def _commands(self, commands):
        self.i2c.writeto(self.address, bytes((_COMMANDS,) + tuple(commands)))
