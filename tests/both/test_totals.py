# Batch totals: sales less voids and refunds, by method; training apart.
from terminal.record import CARD, CASH, QR, REFUND, REPRINT, SALE, TRAINING_SALE, VOID, Record
from terminal.totals import Totals


def _record(voucher, kind, amount, method=CASH, batch=1):
    return Record(kind, amount=amount, method=method, batch=batch, voucher=voucher,
                  timestamp=1000 + voucher)


def test_net_is_sales_less_voids_and_refunds():
    totals = Totals(batch=1)
    for record in (_record(1, SALE, 1250), _record(2, SALE, 800, CARD),
                   _record(3, VOID, 800, CARD), _record(4, REFUND, 250),
                   _record(5, SALE, 100, QR)):
        assert totals.add(record)
    assert totals.net_cents == 1250 + 800 - 800 - 250 + 100
    assert totals.count(SALE) == 3 and totals.cents(SALE) == 2150
    assert totals.by_method[CARD] == [2, 0]
    assert totals.by_method[CASH] == [2, 1000]
    assert (totals.first_voucher, totals.last_voucher) == (1, 5)


def test_other_batches_events_and_training_stay_out_of_the_net():
    totals = Totals(batch=2)
    assert not totals.add(_record(1, SALE, 999, batch=1))
    assert not totals.add(_record(2, REPRINT, 0, batch=2))
    assert totals.add(_record(3, TRAINING_SALE, 500, batch=2))
    assert totals.net_cents == 0
    assert totals.count(TRAINING_SALE) == 1
    assert totals.count(SALE) == 0
