# The printer emulator reads our slips back, renders them, and holds the
# driver's pacing and status handling to a printer that drops bytes.
import os

import pytest
from PIL import Image

from reslip.printer_emu import PrinterEmulator
from reslip.tables import DEFAULT_GB2312_TABLE, ensure_gb2312_table, gb2312_table_bytes
from terminal import escpos
from terminal.escpos import JobBuilder, Printer, get_profile
from terminal.record import CARD, SALE, Record
from terminal.slip import build_slip
from terminal.textenc import TextEncoder

SETTINGS = {"merchant_name": "Blue Door Cafe 蓝门咖啡", "merchant_no": "104110058120001",
            "terminal_no": "20261203", "width": 32, "language": "zh"}


@pytest.fixture(scope="module")
def chinese_encoder():
    ensure_gb2312_table(DEFAULT_GB2312_TABLE)
    return TextEncoder(DEFAULT_GB2312_TABLE)


def sale(voucher=42):
    return Record(SALE, amount=123450, method=CARD, operator=7, batch=3,
                  timestamp=1796315802, card_last4="4321", reference="table 4",
                  voucher=voucher)


def test_table_is_built_once_and_rebuilt_when_damaged(tmp_path):
    path = str(tmp_path / "gb2312.bin")
    assert ensure_gb2312_table(path) is True
    assert ensure_gb2312_table(path) is False
    with open(path, "r+b") as table:
        table.seek(100)
        table.write(b"\xff\xff")
    assert ensure_gb2312_table(path) is True
    assert open(path, "rb").read() == gb2312_table_bytes()


def test_every_gb2312_character_round_trips_through_the_table(chinese_encoder):
    for code in range(0x80, 0x10000):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        try:
            expected = char.encode("gb2312")
        except UnicodeEncodeError:
            expected = b"?"
        assert chinese_encoder.encode(char) == expected, hex(code)


def test_chinese_slip_decodes_back_to_its_text(chinese_encoder):
    profile = get_profile("qr204")
    original = build_slip(sale(), SETTINGS, profile, chinese_encoder)
    reprint = build_slip(sale(), SETTINGS, profile, chinese_encoder, reprint=(2, 1796400000))
    emulator = PrinterEmulator("qr204")
    for at in range(0, len(original), 5):  # commands split across pieces
        emulator.feed(original[at:at + 5])
    emulator.feed(reprint)

    first, second = emulator.slips()
    assert emulator.unknown_commands == []
    assert first.raw == original and second.raw == reprint
    assert "CNY 1,234.50" in first.text and "REPRINT" not in first.text
    assert "蓝门咖啡" in first.text and "商户名称 MERCHANT NAME" in first.text
    lines = second.text.splitlines()
    assert lines[0] == "*** 重打印凭证 / REPRINT ***"
    assert lines[1] == "#2 2026-12-04 16:00:00"
    assert second.text.count("重打印凭证 / REPRINT") == 2
    assert "CNY 1,234.50" in second.text
    assert "[QR 000042]" in second.text


def test_latin_slip_on_adafruit_uses_cp437_and_only_known_commands():
    profile = get_profile("adafruit")
    data = build_slip(sale(), dict(SETTINGS, merchant_name="Café Zürich", language="en"),
                      profile, TextEncoder())
    emulator = PrinterEmulator("adafruit")
    emulator.feed(data)
    (slip,) = emulator.slips()
    assert "MERCHANT NAME        Café Zürich\n" in slip.text
    assert "CNY 1,234.50" in slip.text
    assert emulator.unknown_commands == []


def test_unknown_commands_are_listed():
    emulator = PrinterEmulator("adafruit")
    emulator.feed(b"\x1b@\x1c&A\x1b\x99\n\x1dV\x01")
    assert emulator.unknown_commands == ["1c 26", "1b 99", "1d 56 01"]
    assert emulator.slips()[0].text == "A"


def test_slips_split_at_reset_after_content_and_at_blank_runs():
    emulator = PrinterEmulator("qr204", split_blank_lines=3)
    emulator.feed(b"\x1b@ONE\n\x1b@TWO\n\n\n\nTHREE\n")
    assert [slip.text.strip() for slip in emulator.slips()] == ["ONE", "TWO", "THREE"]


def test_png_is_384_dots_wide(tmp_path, chinese_encoder):
    data = build_slip(sale(), SETTINGS, get_profile("qr204"), chinese_encoder,
                      reprint=(1, 1796400000))
    emulator = PrinterEmulator("qr204")
    emulator.feed(data)
    path = str(tmp_path / "slip.png")
    emulator.slips()[0].render_png(path)
    image = Image.open(path)
    assert image.width == 384
    assert image.height > 600
    assert image.convert("L").getextrema()[0] == 0  # something was printed black


def test_status_replies_follow_the_paper():
    emulator = PrinterEmulator("qr204")
    assert emulator.status_reply(escpos.STATUS_PAPER_REALTIME) == b"\x12"
    emulator.paper_out = True
    assert emulator.status_reply(escpos.STATUS_PAPER_REALTIME) == b"\x72"
    assert emulator.status_reply(escpos.STATUS_PAPER_ESC_V) == b"\x04"
    emulator.write(escpos.STATUS_PAPER_REALTIME)
    assert emulator.any() == 1 and emulator.read(1) == b"\x72"


class Clock:
    def __init__(self):
        self.now = 0

    def __call__(self):
        return self.now


def long_slip(profile, encoder, lines=60, logo=False):
    builder = JobBuilder(profile, encoder).init()
    if logo:
        builder.image(128, 48, bytes(range(256)) * 3)
    builder.align("center").double().text("LOGO").double(False).align("left")
    for number in range(lines):
        builder.text("ITEM %02d ......... CNY %3d.00" % (number, number))
    return builder.cut().build()


@pytest.mark.parametrize("baud", [9600, 19200])
@pytest.mark.parametrize("profile_name", ["qr204", "adafruit"])
def test_driver_never_overflows_a_small_printer_buffer(baud, profile_name):
    profile = get_profile(profile_name)
    clock = Clock()
    emulator = PrinterEmulator(profile_name, clock_ms=clock, buffer_bytes=profile.buffer_bytes)
    printer = Printer(emulator, profile, TextEncoder(), baud=baud)
    job = long_slip(profile, TextEncoder(), logo=True)
    printer.submit(job)
    while printer.busy and clock.now < 120000:
        printer.pump(clock.now)
        clock.now += 1
    assert not printer.busy
    assert emulator.dropped_bytes == 0
    assert emulator.slips()[-1].text.count("ITEM") == 60

    # The head needs its modelled time; the driver should not be much slower.
    head_ms = sum(cost for _, cost in escpos.plan_job(job, profile)) / 1000
    assert clock.now <= 1.25 * head_ms + profile.status_timeout_ms, (clock.now, head_ms)


def test_writing_at_wire_speed_alone_would_drop_bytes():
    # The same slip sent as fast as the UART takes it overflows the buffer:
    # the emulator really does drop, so the test above can fail.
    profile = get_profile("qr204")
    clock = Clock()
    emulator = PrinterEmulator("qr204", clock_ms=clock, buffer_bytes=profile.buffer_bytes)
    job = long_slip(profile, TextEncoder())
    for at in range(0, len(job), 10):
        emulator.write(job[at:at + 10])
        clock.now += 10  # 10 bytes at 9600 baud
    assert emulator.dropped_bytes > 0


def test_paper_running_out_part_way_reprints_the_whole_slip(chinese_encoder):
    profile = get_profile("qr204")
    clock = Clock()
    emulator = PrinterEmulator("qr204", clock_ms=clock, buffer_bytes=profile.buffer_bytes,
                               paper_out_after_rows=25)
    printer = Printer(emulator, profile, chinese_encoder, baud=9600)
    original = long_slip(profile, chinese_encoder)
    mark = chinese_encoder.encode("重打印凭证 / REPRINT") + b"\n"
    reprint = profile.init + mark + original[len(profile.init):]
    printer.submit(original, again=lambda: reprint)

    while printer.fault is None and clock.now < 60000:
        printer.pump(clock.now)
        clock.now += 1
    assert printer.fault == "PAPER OUT"
    for _ in range(3000):  # held: nothing more goes out while the paper is out
        printer.pump(clock.now)
        clock.now += 1
    assert printer.held

    emulator.load_paper()
    while printer.busy and clock.now < 200000:
        printer.pump(clock.now)
        clock.now += 1
    assert printer.fault is None
    assert printer.incomplete_prints == 1
    last = emulator.slips()[-1]
    assert last.text.startswith("重打印凭证 / REPRINT")
    assert last.text.count("ITEM") == 60
    assert emulator.dropped_bytes == 0


def run_until(printer, clock, condition, limit_ms):
    while not condition() and clock.now < limit_ms:
        printer.pump(clock.now)
        clock.now += 1


@pytest.mark.parametrize("profile_name, kind", [("qr204", "QRCode"), ("adafruit", "Code39")])
# zxing-cpp reads the picture as a scanner would; without it the test is skipped.
def test_voucher_code_in_the_picture_scans_back(tmp_path, profile_name, kind):
    zxingcpp = pytest.importorskip("zxingcpp")
    data = build_slip(sale(voucher=4711), dict(SETTINGS, language="en"),
                      get_profile(profile_name), TextEncoder())
    emulator = PrinterEmulator(profile_name)
    emulator.feed(data)
    image = emulator.slips()[0].render_png(str(tmp_path / "slip.png"))
    found = zxingcpp.read_barcodes(image.convert("L"))
    assert [(code.format, code.text) for code in found] == [
        (getattr(zxingcpp.BarcodeFormat, kind), "004711")]


def test_logo_bands_are_drawn_dot_for_dot(tmp_path):
    profile = get_profile("qr204")
    width, height = 64, 40
    # A diagonal stripe: row r has dots r..r+7 set.
    rows = []
    for row in range(height):
        bits = 0xFF << (64 - 8 - row) if row <= 56 else 0
        rows.append(bits.to_bytes(8, "big"))
    job = JobBuilder(profile, TextEncoder()).init().image(width, height, b"".join(rows)).build()
    emulator = PrinterEmulator("qr204")
    emulator.feed(job)
    (slip,) = emulator.slips()
    assert emulator.unknown_commands == []
    assert slip.text.count("[IMAGE 64x") == len(job.split(b"\x1dv0")) - 1
    image = slip.render_png(str(tmp_path / "logo.png"))
    left = (384 - width) // 2
    for row in range(height):
        black = [x - left for x in range(384) if image.getpixel((x, row)) == 0]
        assert black == list(range(row, row + 8)), row


def test_unknown_qr_model_and_raster_mode_are_listed():
    emulator = PrinterEmulator("qr204")
    emulator.feed(b"\x1b@\x1d(k\x04\x001A1\x00\x1dv0\x05\x01\x00\x01\x00\xffOK\n")
    assert emulator.unknown_commands == ["1d 28 6b 04 00 31 41 31 00", "1d 76 30 05"]
    assert emulator.slips()[0].text == "OK"


def test_status_replies_for_cover_and_offline():
    emulator = PrinterEmulator("qr204", cover_open=True)
    assert emulator.status_reply(escpos.STATUS_OFFLINE_CAUSE) == b"\x16"
    assert emulator.status_reply(escpos.STATUS_PRINTER) == b"\x1a"
    emulator = PrinterEmulator("qr204", offline=True)
    assert emulator.status_reply(escpos.STATUS_PRINTER) == b"\x1a"
    assert emulator.status_reply(escpos.STATUS_OFFLINE_CAUSE) == b"\x12"


@pytest.mark.parametrize("fault, message", [("cover_open", "COVER OPEN"),
                                            ("offline", "PRINTER OFFLINE")])
def test_cover_opened_or_offline_part_way_prints_the_slip_again(fault, message):
    profile = get_profile("qr204")
    clock = Clock()
    emulator = PrinterEmulator("qr204", clock_ms=clock, buffer_bytes=profile.buffer_bytes)
    printer = Printer(emulator, profile, TextEncoder(), baud=9600)
    original = long_slip(profile, TextEncoder())
    again = profile.init + b"AGAIN\n" + original[len(profile.init):]
    printer.submit(original, again=lambda: again)

    run_until(printer, clock, lambda: emulator.printed_rows >= 20, 60000)
    setattr(emulator, fault, True)
    run_until(printer, clock, lambda: printer.fault is not None, 60000)
    assert printer.fault == message and printer.held
    assert emulator.lost_rows > 0  # what the printer had buffered is gone

    setattr(emulator, fault, False)
    run_until(printer, clock, lambda: not printer.busy, 200000)
    assert printer.take_incomplete() == 1
    last = emulator.slips()[-1]
    assert last.text.startswith("AGAIN") and last.text.count("ITEM") == 60
    assert emulator.dropped_bytes == 0


def test_wrong_baud_rate_is_a_link_fault_and_no_job_byte_goes_out():
    profile = get_profile("qr204")
    clock = Clock()
    emulator = PrinterEmulator("qr204", clock_ms=clock, buffer_bytes=profile.buffer_bytes,
                               wrong_baud=True)
    printer = Printer(emulator, profile, TextEncoder(), baud=9600)
    job = long_slip(profile, TextEncoder())
    printer.submit(job)
    run_until(printer, clock, lambda: False, 5000)
    assert printer.status == "link fault" and printer.fault == "PRINTER LINK BAD"
    assert bytes(emulator.stream).replace(profile.status_query, b"") == b""
    assert emulator.garbled_bytes == len(emulator.stream) > 0


def test_adafruit_wrong_baud_rate_is_a_link_fault_too():
    profile = get_profile("adafruit")
    emulator = PrinterEmulator("adafruit", wrong_baud=True)
    clock = Clock()
    printer = Printer(emulator, profile, TextEncoder(), baud=19200)
    printer.submit(long_slip(profile, TextEncoder()))
    run_until(printer, clock, lambda: printer.fault is not None, 5000)
    assert printer.fault == "PRINTER LINK BAD"


def test_printer_without_a_reply_line_still_prints():
    profile = get_profile("qr204")
    clock = Clock()
    emulator = PrinterEmulator("qr204", clock_ms=clock, buffer_bytes=profile.buffer_bytes,
                               rx_wired=False)
    printer = Printer(emulator, profile, TextEncoder(), baud=19200)
    printer.submit(long_slip(profile, TextEncoder(), lines=10))
    run_until(printer, clock, lambda: not printer.busy, 60000)
    assert printer.status == "unknown" and printer.fault is None
    assert emulator.slips()[-1].text.count("ITEM") == 10
