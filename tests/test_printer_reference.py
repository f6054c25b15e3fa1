# Our command bytes against adafruit-circuitpython-thermal-printer 1.4.0, the
# library our driver replaces, for the commands both know (CPython only).
#
# The library writes through any object with write/read; with its delays set
# to zero it does not wait. Its send_command() encodes as ASCII, so under
# CPython it cannot send a parameter of 0x80 or above at all (and under
# MicroPython it would send such a byte as two UTF-8 bytes): parameters below
# are kept under 0x80 where the library is asked.
import pytest

from terminal import escpos
from terminal.escpos import JobBuilder, get_profile, read_status
from terminal.textenc import TextEncoder

thermal = pytest.importorskip("adafruit_thermal_printer")
from adafruit_thermal_printer import thermal_printer  # noqa: E402


class Capture:
    """A UART that keeps what is written and answers reads from `replies`."""

    def __init__(self):
        self.written = bytearray()
        self.replies = bytearray()

    def write(self, data):
        self.written.extend(data)
        return len(data)

    def read(self, count):
        if not self.replies:
            return None
        data = bytes(self.replies[:count])
        del self.replies[:count]
        return data


def library_printer():
    uart = Capture()
    printer = thermal_printer.ThermalPrinter(uart, byte_delay_s=0, dot_feed_s=0,
                                             dot_print_s=0, auto_warm_up=False)
    uart.written.clear()
    return printer, uart


def library_bytes(action):
    """The bytes the library writes for `action(printer)`."""
    printer, uart = library_printer()
    action(printer)
    return bytes(uart.written)


def test_reset_starts_with_our_init():
    # The library's reset adds tab stops (ESC D) that our slips do not use.
    sent = library_bytes(lambda printer: printer.reset())
    assert sent.startswith(escpos.INIT)
    assert sent[len(escpos.INIT):].startswith(b"\x1bD")
    assert get_profile("adafruit").init.startswith(escpos.INIT)


def test_warm_up_heating_equals_the_adafruit_profile_setting():
    sent = library_bytes(lambda printer: printer.warm_up(120))
    heating = escpos.heat(11, 120, 40)
    assert heating in sent
    assert heating in get_profile("adafruit").init


@pytest.mark.parametrize("where, value", [("left", thermal.JUSTIFY_LEFT),
                                          ("center", thermal.JUSTIFY_CENTER),
                                          ("right", thermal.JUSTIFY_RIGHT)])
def test_justify(where, value):
    ours = JobBuilder(get_profile("adafruit"), TextEncoder()).align(where).build()
    assert ours == library_bytes(lambda printer: setattr(printer, "justify", value))


@pytest.mark.parametrize("width, height, value", [(1, 1, thermal.SIZE_SMALL),
                                                  (1, 2, thermal.SIZE_MEDIUM),
                                                  (2, 2, thermal.SIZE_LARGE)])
def test_size(width, height, value):
    assert escpos.size(width, height) == library_bytes(
        lambda printer: setattr(printer, "size", value))


def test_double_size_of_the_builder_is_the_library_large_size():
    ours = JobBuilder(get_profile("adafruit"), TextEncoder()).double().double(False).build()
    assert ours == library_bytes(lambda printer: (setattr(printer, "size", thermal.SIZE_LARGE),
                                                  setattr(printer, "size", thermal.SIZE_SMALL)))


def test_bold_and_double_through_the_print_mode_byte():
    # The library sets bold and double height/width with ESC ! n; our slips use
    # ESC E for bold so a size change never clears it, and keep ESC ! for this.
    assert escpos.print_mode(bold=True) == library_bytes(
        lambda printer: setattr(printer, "bold", True))

    def bold_then_tall_then_wide(printer):
        printer.bold = True
        printer.double_height = True
        printer.double_width = True

    sent = library_bytes(bold_then_tall_then_wide)
    assert sent == (escpos.print_mode(bold=True)
                    + escpos.print_mode(bold=True, double_height=True)
                    + escpos.print_mode(bold=True, double_height=True, double_width=True))


@pytest.mark.parametrize("thickness, value", [(0, None), (1, thermal.UNDERLINE_THIN),
                                              (2, thermal.UNDERLINE_THICK)])
def test_underline(thickness, value):
    assert escpos.underline(thickness) == library_bytes(
        lambda printer: setattr(printer, "underline", value))


@pytest.mark.parametrize("on", [True, False])
def test_inverse(on):
    ours = JobBuilder(get_profile("adafruit"), TextEncoder()).inverse(on).build()
    assert ours == library_bytes(lambda printer: setattr(printer, "inverse", on))


@pytest.mark.parametrize("lines", [0, 1, 3, 10, 127])
def test_feed(lines):
    assert escpos.feed(lines) == library_bytes(lambda printer: printer.feed(lines))


def test_feed_above_0x7f_is_where_the_library_fails():
    assert escpos.feed(200) == b"\x1bd\xc8"
    with pytest.raises(UnicodeEncodeError):
        library_bytes(lambda printer: printer.feed(200))


@pytest.mark.parametrize("dots", [1, 24, 100])
def test_feed_rows(dots):
    assert escpos.feed_rows(dots) == library_bytes(lambda printer: printer.feed_rows(dots))


@pytest.mark.parametrize("dots", [24, 30, 64])
def test_line_height(dots):
    assert escpos.line_height(dots) == library_bytes(
        lambda printer: printer._set_line_height(dots))


@pytest.mark.parametrize("page", [0, 2, 16, 19, 47])
def test_code_page(page):
    assert escpos.code_page(page) == library_bytes(lambda printer: printer._set_code_page(page))


def test_code39_barcode():
    # The library feeds a line first and takes its bar height from an earlier
    # GS h; with the same height and module width the commands are the same.
    def barcode(printer):
        printer._set_barcode_height(60)
        printer.print_barcode("000123", printer.CODE39)

    sent = library_bytes(barcode)
    ours = escpos.barcode_code39("000123", height_dots=60, module_dots=3)
    assert sent == ours[:3] + escpos.feed(1) + ours[3:]


def test_ascii_text_line():
    text = "VOUCHER NO.               000123"
    ours = JobBuilder(get_profile("adafruit"), TextEncoder()).text(text).build()
    assert ours == library_bytes(lambda printer: printer.print(text))


def test_latin_text_equals_the_library_with_cp437_not_its_default_utf8():
    text = "Café Zürich £5 ½"
    ours = JobBuilder(get_profile("adafruit"), TextEncoder()).text(text).build()
    assert ours == library_bytes(lambda printer: printer.print(text, encoding="cp437"))
    assert ours != library_bytes(lambda printer: printer.print(text))  # UTF-8: garbled


def test_our_code_pages_equal_the_codecs_for_every_high_byte():
    for name in ("cp437", "cp858"):
        encoder = TextEncoder(code_page=name)
        for byte in range(0x80, 0x100):
            char = bytes((byte,)).decode(name)
            assert encoder.encode(char) == bytes((byte,)), (name, hex(byte))


def test_status_query_and_paper_bit_agree():
    sent = library_bytes(lambda printer: printer.has_paper())
    assert sent == get_profile("adafruit").status_query
    for reply in (0x00, 0x04, 0x0C, 0x08):
        printer, uart = library_printer()
        uart.replies.append(reply)
        has_paper = printer.has_paper()
        ours = read_status(get_profile("adafruit").status, bytes((reply,)))
        assert has_paper == (ours == "ok"), hex(reply)
