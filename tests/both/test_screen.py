# Screen drivers against a fake I2C bus that records every write: the
# character LCD (HD44780 on a PCF8574 backpack) under both runtimes, the
# SSD1306 OLED where framebuf exists (MicroPython, the unix port too).
from terminal.lcd import CharLcdScreen
from terminal.screen import TextScreen

try:
    import framebuf
except ImportError:
    framebuf = None


class RecordingI2C:
    def __init__(self):
        self.writes = []

    def writeto(self, address, buffer):
        self.writes.append((address, bytes(buffer)))

    def sent(self):
        return b"".join(data for _, data in self.writes)


def no_sleep(ms):
    pass


# Backpack bits: RS 0x01, E 0x04, backlight 0x08; the nibble in the top four.
def nibble_pair(nibble, rs=0):
    byte = nibble << 4 | 0x08 | rs
    return bytes((byte | 0x04, byte))


def lcd_byte(value, rs=0):
    return nibble_pair(value >> 4, rs) + nibble_pair(value & 0x0F, rs)


def test_lcd_init_sequence_switches_to_four_bits_and_clears():
    i2c = RecordingI2C()
    waits = []
    CharLcdScreen(i2c, address=0x27, sleep_ms=waits.append)
    assert all(address == 0x27 for address, _ in i2c.writes)
    expected = (nibble_pair(0x3) * 3 + nibble_pair(0x2)
                + lcd_byte(0x28) + lcd_byte(0x08) + lcd_byte(0x01)
                + lcd_byte(0x06) + lcd_byte(0x0C))
    assert i2c.sent() == expected
    assert waits[0] >= 40  # the controller's power-on time
    assert waits[1] >= 5   # after the first 0x3 nibble (4.1 ms)
    assert sum(waits) >= 50


def test_lcd_writes_a_changed_line_at_its_address():
    i2c = RecordingI2C()
    screen = CharLcdScreen(i2c, sleep_ms=no_sleep)
    i2c.writes = []
    assert screen.show(["HI", ""])
    assert len(i2c.writes) == 1  # one line, one I2C write
    expected = lcd_byte(0x80) + lcd_byte(ord("H"), 1) + lcd_byte(ord("I"), 1)
    expected += lcd_byte(ord(" "), 1) * 14
    assert i2c.sent() == expected

    # The second row starts at 0x40; the first, unchanged, is not sent again.
    i2c.writes = []
    assert screen.show(["HI", "OK"])
    assert i2c.sent().startswith(lcd_byte(0xC0) + lcd_byte(ord("O"), 1))
    assert len(i2c.writes) == 1
    i2c.writes = []
    assert not screen.show(["HI", "OK"])
    assert i2c.writes == []


def test_lcd_20x4_rows_and_characters_outside_its_rom():
    i2c = RecordingI2C()
    screen = CharLcdScreen(i2c, width=20, rows=4, sleep_ms=no_sleep)
    i2c.writes = []
    screen.show(["", "", "", "\u00e9X"])
    data = i2c.sent()
    assert data.startswith(lcd_byte(0x80 | 0x54) + lcd_byte(ord("?"), 1) + lcd_byte(ord("X"), 1))
    assert len(data) == 4 * 21
    assert screen.lines[3] == "\u00e9X" + " " * 18


def test_lcd_refuses_more_rows_than_the_controller_has():
    try:
        CharLcdScreen(RecordingI2C(), rows=5, sleep_ms=no_sleep)
    except ValueError:
        return
    raise AssertionError("five rows accepted")


def test_oled_init_then_text_goes_to_its_page():
    if framebuf is None:
        return  # CPython has no framebuf; this runs under MicroPython
    from terminal.oled import Ssd1306Screen

    i2c = RecordingI2C()
    screen = Ssd1306Screen(i2c, address=0x3C, width_px=128, height_px=32)
    first = i2c.writes[0][1]
    assert first[0] == 0x00 and first[1] == 0xAE  # commands, display off first
    assert 0xA8 in first and first[first.index(0xA8) + 1] == 31  # 32 rows
    assert first[first.index(0x8D) + 1] == 0x14  # charge pump on
    assert i2c.writes[-1][1] == bytes((0x00, 0xAF))  # display on last
    # Every page blanked: a window then 128 zero bytes behind 0x40.
    blanks = [data for _, data in i2c.writes if data[0] == 0x40]
    assert len(blanks) == 4 and all(data[1:] == bytes(128) for data in blanks)

    i2c.writes = []
    assert screen.show(["I", ""])
    window, pixels = i2c.writes[0][1], i2c.writes[1][1]
    assert window == bytes((0x00, 0x21, 0, 127, 0x22, 0, 0))
    assert pixels[0] == 0x40 and len(pixels) == 129
    # Draw the same letter with framebuf and compare the first 8 columns.
    expected = bytearray(8)
    framebuf.FrameBuffer(expected, 8, 8, framebuf.MONO_VLSB).text("I", 0, 0, 1)
    assert pixels[1:9] == bytes(expected) and any(expected)
    assert pixels[9:] == bytes(120)

    # The second line lands on page 2 of the four.
    i2c.writes = []
    screen.show(["I", "2"])
    assert len(i2c.writes) == 2
    assert i2c.writes[0][1][5:7] == bytes((2, 2))


def test_text_screen_reports_changes():
    screen = TextScreen(4, 1)
    assert screen.show(["ab"])
    assert not screen.show(["ab  "])
    assert screen.lines == ["ab  "]
