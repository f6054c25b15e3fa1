# The record payload round-trips and refuses what does not fit, in both runtimes.
from terminal.record import CARD, CASH, REPRINT, SALE, Record


def test_sale_round_trips_with_every_field():
    sale = Record(SALE, amount=123456789, method=CARD, operator=7, batch=3,
                  timestamp=1796315802, card_last4="1234", reference="table 4 中")
    decoded = Record.decode(sale.encode(), voucher=42)
    sale.voucher = 42
    assert decoded == sale


def test_reprint_event_keeps_the_voucher_it_refers_to():
    event = Record(REPRINT, refers_to=17, timestamp=0, clock_valid=False)
    decoded = Record.decode(event.encode(), voucher=18)
    assert decoded.refers_to == 17
    assert decoded.clock_valid is False


def test_negative_amount_survives():
    refund = Record(SALE, amount=-1999, method=CASH)
    assert Record.decode(refund.encode()).amount == -1999


def test_long_card_number_is_refused():
    try:
        Record(SALE, amount=1, card_last4="12345").encode()
    except ValueError:
        return
    raise AssertionError("a 5-digit card tail was accepted")


def test_truncated_payload_is_refused():
    payload = Record(SALE, amount=5, reference="abc").encode()
    for cut in range(len(payload)):
        try:
            Record.decode(payload[:cut])
        except ValueError:
            continue
        raise AssertionError("a payload cut at %d decoded" % cut)


def test_fields_that_do_not_fit_are_refused_not_wrapped():
    for field, value in (("batch", 65536), ("operator", 256), ("timestamp", -1),
                         ("refers_to", 1 << 32), ("amount", 1 << 63), ("kind", 300),
                         ("currency", "人民币"), ("currency", "EURO"), ("currency", "eur")):
        record = Record(SALE, amount=100)
        setattr(record, field, value)
        try:
            record.encode()
        except ValueError:
            continue
        raise AssertionError("%s=%r was encoded" % (field, value))


def test_money_is_never_a_float():
    try:
        Record(SALE, amount=12.5).encode()
    except ValueError:
        return
    raise AssertionError("a float amount was encoded")


def test_card_numbers_are_seen_through_any_punctuation():
    from terminal.record import looks_like_card_number

    for text in ("4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111",
                 "4111.1111.1111.1111", "4111/1111/1111/1111", "4111_1111_1111_1111",
                 "4111\t1111\t1111\t1111", "ref:4111 1111 1111 1111!",
                 "\uff14\uff11\uff11\uff11" * 3 + "1"):
        assert looks_like_card_number(text), text


def test_references_that_are_not_card_numbers_pass():
    from terminal.record import looks_like_card_number

    for text in ("", "table 4", "order 12345678901", "INV 2026-12 0042",
                 "1234 abcd 5678 efgh 9012", "订单 123456 号 789012", "12345678901a2"):
        assert not looks_like_card_number(text), text
