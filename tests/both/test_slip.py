# Slips from records: layout, amounts, reprint marks, in both runtimes.
import sys

from terminal import escpos
from terminal.escpos import get_profile
from terminal.record import CARD, CASH, QR, REFUND, REPRINT, SALE, TRAINING_SALE, VOID, Record
from terminal.slip import (build_detail_list, build_settlement_slip, build_slip,
                           build_totals_report, format_amount, format_time, reprint_mark)
from terminal.textenc import TextEncoder
from terminal.totals import Totals

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


def test_a_void_names_the_sale_it_takes_back():
    void = card_sale(voucher=9, kind=VOID, method=CASH, card_last4="", refers_to=7)
    slip = build_slip(void, SETTINGS, get_profile("adafruit"), TextEncoder())
    assert b"ORIG. VOUCHER" in slip and b"000007" in slip
    sale = build_slip(card_sale(), SETTINGS, get_profile("adafruit"), TextEncoder())
    assert b"ORIG. VOUCHER" not in sale


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


def test_voucher_is_a_qr_code_or_a_barcode_as_the_profile_says():
    qr_slip = build_slip(card_sale(), SETTINGS, get_profile("qr204"), TextEncoder())
    assert escpos.qr_code("000123") in qr_slip and b"\x1dk" not in qr_slip
    bar_slip = build_slip(card_sale(), SETTINGS, get_profile("adafruit"), TextEncoder())
    assert b"\x1dk\x45\x06000123" in bar_slip and b"\x1d(k" not in bar_slip


# Settlement, totals report and detail list.

def batch_records():
    return [card_sale(voucher=1, amount=123450),
            card_sale(voucher=2, amount=800, method=CASH, card_last4=""),
            card_sale(voucher=3, kind=VOID, amount=800, method=CASH, card_last4=""),
            card_sale(voucher=4, kind=REFUND, amount=250, method=QR, card_last4="",
                      clock_valid=False),
            card_sale(voucher=5, kind=TRAINING_SALE, amount=500, method=CASH, card_last4=""),
            card_sale(voucher=6, kind=REPRINT, amount=0, refers_to=1),
            card_sale(voucher=7, amount=999, batch=4)]


def batch_totals():
    totals = Totals(3)
    for record in batch_records():
        totals.add(record)
    return totals


_COMMANDS = (escpos.INIT, escpos.CHINESE_ON, escpos.CHINESE_OFF, escpos.ALIGN_LEFT,
             escpos.ALIGN_CENTER, escpos.ALIGN_RIGHT, escpos.BOLD_ON, escpos.BOLD_OFF,
             escpos.SIZE_DOUBLE, escpos.SIZE_NORMAL, escpos.feed(1), escpos.feed(4))


def lines_of(job):
    """The printed lines of a job: its text, with our layout commands taken out."""
    lines = []
    for line in job.split(b"\n"):
        for command in _COMMANDS:
            line = line.replace(command, b"")
        lines.append(line)
    return lines


def test_settlement_slip_shows_kinds_methods_and_the_net():
    totals = batch_totals()
    job = build_settlement_slip(totals, SETTINGS, get_profile("adafruit"), TextEncoder(),
                                closed_at=1796400000)
    lines = lines_of(job)
    assert b"SETTLEMENT" in job and b"CLOSED AT    2026-12-04 16:00:00" in lines
    assert b"BATCH NO.                 000003" in lines
    assert b"SALE               2    1,242.50" in lines
    assert b"VOID               1       -8.00" in lines
    assert b"REFUND             1       -2.50" in lines
    assert b"CASH               2        0.00" in lines
    assert b"QR                 1       -2.50" in lines
    assert format_amount(totals.net_cents, "CNY").encode() in job
    assert b"CNY 1,232.00" in job
    assert b"TRAINING NOT COUNTED" in job and b"       5.00" in job
    assert b"FIRST 000001" in job and b"LAST  000005" in job
    assert b"REPRINT" not in job


def test_settlement_reprint_differs_only_by_its_marks():
    for language, encoder, profile in (("en", TextEncoder(), "adafruit"),
                                       ("zh", TextEncoder(table_path()), "qr204")):
        chosen = settings(language=language)
        totals = batch_totals()
        original = build_settlement_slip(totals, chosen, get_profile(profile), encoder,
                                         1796400000)
        again = build_settlement_slip(totals, chosen, get_profile(profile), encoder,
                                      1796400000, reprint=(1, 1796401000))
        mark = reprint_mark(chosen, get_profile(profile), encoder, 1, 1796401000)
        assert again.count(mark) == 2
        assert again.replace(mark, b"") == original


def test_totals_report_says_the_batch_is_still_open():
    job = build_totals_report(batch_totals(), SETTINGS, get_profile("adafruit"),
                              TextEncoder(), printed_at=1796400000)
    assert b"TOTALS REPORT" in job and b"BATCH NOT SETTLED" in job
    assert b"PRINTED AT   2026-12-04 16:00:00" in lines_of(job)
    assert b"CNY 1,232.00" in job


def test_detail_list_has_one_line_per_transaction():
    job = build_detail_list(iter(batch_records()), SETTINGS, get_profile("adafruit"),
                            TextEncoder(), 1796400000)
    lines = lines_of(job)
    assert b"000001 16:36 SALE CARD  1,234.50" in lines
    assert b"000003 16:36 VOID CASH     -8.00" in lines
    assert b"000004 16:36?RFND QR       -2.50" in lines  # the clock was not set
    assert b"000005 16:36 TRNG CASH      5.00" in lines
    assert not [line for line in lines if line.startswith(b"000006")]  # a reprint event
    # The record of another batch is listed too: the caller chooses the records.
    assert b"000007 16:36 SALE CARD      9.99" in lines
    assert b"TRANSACTIONS                   6" in lines
    for line in lines:
        assert len(line) <= 32


def test_detail_list_at_48_columns_shows_the_date():
    job = build_detail_list(batch_records(), settings(width=48), get_profile("adafruit"),
                            TextEncoder(), 1796400000)
    assert b"000001 2026-12-03 16:36 SALE CARD       1,234.50" in lines_of(job)


def test_large_amounts_move_to_their_own_line_instead_of_overrunning():
    record = card_sale(voucher=9, kind=REFUND, amount=123456789, method=QR)
    job = build_detail_list([record], SETTINGS, get_profile("adafruit"), TextEncoder(), 0)
    lines = lines_of(job)
    at = lines.index(b"000009 16:36 RFND QR")
    assert lines[at + 1] == b" " * (32 - 13) + b"-1,234,567.89"


def test_chinese_reports_fit_their_width_in_columns():
    encoder = TextEncoder(table_path())
    profile = get_profile("qr204")
    for width in (32, 48):
        chosen = settings(language="zh", width=width)
        for job in (build_settlement_slip(batch_totals(), chosen, profile, encoder, 1796400000),
                    build_totals_report(batch_totals(), chosen, profile, encoder, 1796400000),
                    build_detail_list(batch_records(), chosen, profile, encoder, 1796400000)):
            assert encoder.encode("净额 NET TOTAL") in job
            for line in lines_of(job):
                assert len(line) <= width, line
    detail = build_detail_list(batch_records(), settings(language="zh"), profile, encoder, 0)
    assert encoder.encode("000001 16:36 消费 刷卡  1,234.50") in detail


def test_empty_batch_settles_to_zero():
    job = build_settlement_slip(Totals(9), SETTINGS, get_profile("adafruit"), TextEncoder(),
                                1796400000)
    assert b"CNY 0.00" in job and b"FIRST" not in job
    listing = build_detail_list([], SETTINGS, get_profile("adafruit"), TextEncoder(), 0)
    assert b"NO TRANSACTIONS" in listing


def test_unmappable_header_in_chinese_mode_still_prints_every_total():
    encoder = TextEncoder(table_path())
    odd = settings(merchant_name="蓝门 \U0001F600 Caf\u00e9 \u20ac", language="zh")
    slip = build_slip(card_sale(), odd, get_profile("qr204"), encoder)
    assert b"\xc0\xb6\xc3\xc5 ? Caf\xa8\xa6 ?" in slip
    assert b"CNY 1,234.50" in slip
    settlement = build_settlement_slip(batch_totals(), odd, get_profile("qr204"), encoder,
                                       1796400000)
    assert b"CNY 1,232.00" in settlement
