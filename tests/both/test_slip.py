# Slips from records: layout, amounts, reprint marks, in both runtimes.
import sys

from terminal.escpos import get_profile
from terminal.record import CARD, CASH, REFUND, SALE, TRAINING_SALE, Record
from terminal.slip import build_slip, format_amount, format_time, reprint_mark
from terminal.textenc import TextEncoder

SETTINGS = {"merchant_name": "Blue Door Cafe", "merchant_no": "104110058120001",
            "terminal_no": "20261203", "width": 32, "language": "en"}


def table_path():
    for entry in sys.path:
        if entry.endswith("tests/both"):
            return entry[:-len("tests/both")] + "build/gb2312.bin"
    raise AssertionError("tests/both is not on sys.path")


def card_sale(**changes):
    fields = dict(amount=123450, method=CARD, operator=7, batch=3, timestamp=1796315802,
                  card_last4="4321", reference="table 4", voucher=123)
    fields.update(changes)
    kind = fields.pop("kind", SALE)
    return Record(kind, **fields)


def settings(**changes):
    result = dict(SETTINGS)
    result.update(changes)
    return result


def test_format_amount_groups_thousands_without_float():
    assert format_amount(123450, "CNY") == "CNY 1,234.50"
    assert format_amount(5, "CNY") == "CNY 0.05"
    assert format_amount(-100000, "CNY") == "CNY -1,000.00"
    assert format_amount(123456789012, "") == "1,234,567,890.12"
    assert format_amount(0, "USD") == "USD 0.00"


def test_format_time_is_utc():
    assert format_time(0) == "1970-01-01 00:00:00"
    assert format_time(1796315802) == "2026-12-03 16:36:42"


def test_english_slip_carries_every_field():
    slip = build_slip(card_sale(), SETTINGS, get_profile("adafruit"), TextEncoder())
    for expected in (b"SALES SLIP", b"MERCHANT COPY", b"Blue Door Cafe", b"104110058120001",
                     b"20261203", b"OPERATOR", b"07", b"000003", b"000123",
                     b"2026-12-03 16:36:42", b"SALE", b"CARD", b"************4321",
                     b"CNY 1,234.50", b"table 4", b"SIGNATURE"):
        assert expected in slip, expected
    assert slip.startswith(get_profile("adafruit").init)
    assert b"REPRINT" not in slip


def test_label_and_value_fill_the_width_exactly():
    slip = build_slip(card_sale(), settings(width=48), get_profile("adafruit"), TextEncoder())
    line = b"VOUCHER NO." + b" " * (48 - 11 - 6) + b"000123\n"
    assert line in slip
    assert b"-" * 48 + b"\n" in slip


def test_unmappable_characters_in_the_header_do_not_stop_the_total():
    odd = settings(merchant_name="Caf\u00e9 \u20ac\U0001F600 \u0416")
    slip = build_slip(card_sale(), odd, get_profile("adafruit"), TextEncoder())
    assert b"Caf\x82 ?? ?" in slip
    assert b"CNY 1,234.50" in slip
    assert b"SIGNATURE" in slip


def test_reprint_differs_from_the_original_only_by_its_marks():
    for profile_name, encoder, language in (("adafruit", TextEncoder(), "en"),
                                            ("qr204", TextEncoder(table_path()), "zh")):
        profile = get_profile(profile_name)
        chosen = settings(language=language)
        record = card_sale()
        original = build_slip(record, chosen, profile, encoder)
        reprint = build_slip(record, chosen, profile, encoder, reprint=(2, 1796400000))
        mark = reprint_mark(chosen, profile, encoder, 2, 1796400000)
        assert b"REPRINT" in mark and b"#2 2026-12-04 16:00:00" in mark
        assert reprint.count(mark) == 2
        assert reprint.replace(mark, b"") == original
        assert reprint.find(mark) < reprint.find(b"SALES SLIP" if language == "en" else b"\xc7\xa9")
        assert reprint.rfind(mark) > reprint.find(b"CNY 1,234.50")


def test_chinese_slip_has_chinese_labels_with_english():
    encoder = TextEncoder(table_path())
    slip = build_slip(card_sale(), settings(language="zh"), get_profile("qr204"), encoder,
                      reprint=(1, 1796400000))
    assert encoder.encode("重打印凭证 / REPRINT") in slip
    assert encoder.encode("金额 AMOUNT") in slip
    assert encoder.encode("商户存根 MERCHANT COPY") in slip
    assert b"CNY 1,234.50" in slip


def test_chinese_setting_on_a_latin_printer_falls_back_to_english():
    slip = build_slip(card_sale(), settings(language="zh"), get_profile("adafruit"),
                      TextEncoder())
    assert b"AMOUNT" in slip
    assert b"?" not in slip


def test_refund_shows_a_negative_amount_and_cash_has_no_signature():
    refund = card_sale(kind=REFUND, method=CASH, card_last4="", amount=1999)
    slip = build_slip(refund, SETTINGS, get_profile("adafruit"), TextEncoder())
    assert b"CNY -19.99" in slip
    assert b"REFUND" in slip
    assert b"SIGNATURE" not in slip and b"****" not in slip


def test_training_slip_says_so_plainly():
    training = card_sale(kind=TRAINING_SALE)
    slip = build_slip(training, SETTINGS, get_profile("adafruit"), TextEncoder())
    assert slip.count(b"TRAINING - NOT A SALE") == 2


def test_unset_clock_is_noted_next_to_the_time():
    slip = build_slip(card_sale(clock_valid=False), SETTINGS, get_profile("adafruit"),
                      TextEncoder())
    assert b"(CLOCK NOT SET)" in slip
    assert b"CLOCK NOT SET" not in build_slip(card_sale(), SETTINGS, get_profile("adafruit"),
                                              TextEncoder())


def test_settings_may_be_an_object_and_long_values_wrap():
    class Settings:
        merchant_name = "A merchant name far too long for one slip line"
        merchant_no = "1"
        terminal_no = "2"
        width = 32
        language = "en"
        currency_label = "RMB"

    slip = build_slip(card_sale(), Settings(), get_profile("adafruit"), TextEncoder())
    assert b"MERCHANT NAME\n" in slip
    assert b"RMB 1,234.50" in slip
    for line in slip.split(b"\n"):
        if b"merchant name" in line or b"one slip line" in line:
            assert len(line) <= 32


def test_copy_label_is_printed():
    slip = build_slip(card_sale(), SETTINGS, get_profile("adafruit"), TextEncoder(),
                      copy_label="CUSTOMER COPY")
    assert b"CUSTOMER COPY" in slip and b"MERCHANT COPY" not in slip


def test_voucher_barcode_only_where_the_profile_prints_barcodes():
    slip = build_slip(card_sale(), SETTINGS, get_profile("qr204"), TextEncoder())
    assert b"\x1dk\x45\x06000123" in slip
