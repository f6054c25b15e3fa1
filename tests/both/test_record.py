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
