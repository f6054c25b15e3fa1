# Finding transactions: by voucher, by day range with the end day whole, by
# amount, by operator, the last N, in both orders, in combination; never a
# torn record, never more than one sector in RAM.
import struct

from checks import raises
from norflash import NorFlash, PowerCut
from terminal import query
from terminal import record as rec
from terminal.journal import Journal

# 2026-03-30 00:00:00 UTC, a Monday; a day later is the 31st.
_MARCH_30 = 1774828800
_DAY = 86400


def _journal(sector_count=8, sector_size=1024):
    flash = NorFlash(sector_size=sector_size, sector_count=sector_count)
    return flash, Journal(flash).mount()


def _ring(journal, kind, amount, operator=1, timestamp=_MARCH_30, clock_valid=True):
    record = rec.Record(kind, amount=amount, method=rec.CASH, operator=operator,
                        timestamp=timestamp, clock_valid=clock_valid, reference="ref %d" % amount)
    record.voucher = journal.append(record.encode())
    return record


def _shop(journal):
    # A few days of trade; returns every record appended, oldest first.
    made = []
    for hour in range(0, 72, 3):
        made.append(_ring(journal, rec.SALE, 1000 + hour * 10, operator=1 + hour % 2,
                          timestamp=_MARCH_30 + hour * 3600))
    made.append(_ring(journal, rec.VOID, 1030, timestamp=_MARCH_30 + _DAY + 3599))
    made.append(_ring(journal, rec.REPRINT, 0, timestamp=_MARCH_30 + _DAY + 3600))
    made.append(_ring(journal, rec.SALE, 4242, timestamp=_MARCH_30 + 2 * _DAY - 1))
    made.append(_ring(journal, rec.SALE, 4242, timestamp=_MARCH_30 + 2 * _DAY))
    made.append(_ring(journal, rec.SETTLEMENT, 99999, timestamp=_MARCH_30 + 2 * _DAY + 5))
    made.append(_ring(journal, rec.SALE, 555, timestamp=0, clock_valid=False))
    return made


def _vouchers(records):
    return [record.voucher for record in records]


def _expected(made, test, newest_first=True, kinds=query.TRANSACTION_KINDS):
    chosen = [record for record in made if record.kind in kinds and test(record)]
    return _vouchers(chosen[::-1] if newest_first else chosen)


def test_day_numbers_follow_the_calendar():
    assert query.day_number(19700101) == 0
    assert query.day_number("20260330") * _DAY == _MARCH_30
    assert query.day_number(20240301) - query.day_number(20240228) == 2  # leap year
    assert query.day_number(21000301) - query.day_number(21000228) == 1  # not a leap year
    for bad in (20260230, 20261301, 20260100, "2026033", "2026-3-1", 19691231):
        assert raises(ValueError, lambda: query.day_number(bad)) is not None


def test_day_range_includes_the_whole_end_day():
    start, end = query.day_range(20260330, 20260331)
    assert start == _MARCH_30
    assert end == _MARCH_30 + 2 * _DAY - 1  # 31.03 23:59:59
    assert query.day_range(20260331, 20260331) == (_MARCH_30 + _DAY, _MARCH_30 + 2 * _DAY - 1)
    error = raises(ValueError, lambda: query.day_range(20260401, 20260331))
    assert "after" in str(error)


def test_a_search_ending_on_a_day_finds_its_last_second():
    _, journal = _journal()
    made = _shop(journal)
    start, end = query.day_range(20260331, 20260331)
    found = query.find_transactions(journal, start=start, end=end)
    assert _vouchers(found) == _expected(made, lambda r: r.clock_valid
                                         and start <= r.timestamp <= end)
    assert found[0].amount == 4242 and found[0].timestamp == _MARCH_30 + 2 * _DAY - 1
    # The sale a second later, on 01.04, is not in it.
    assert all(record.timestamp <= end for record in found)


def test_find_by_voucher():
    flash, journal = _journal()
    made = _shop(journal)
    assert query.find_voucher(journal, made[5].voucher) == made[5]
    assert query.find_voucher(journal, made[-1].voucher + 1) is None
    assert query.find_voucher(journal, 0) is None


def test_find_by_exact_amount_and_by_range():
    _, journal = _journal()
    made = _shop(journal)
    assert _vouchers(query.find_transactions(journal, amount_cents=4242)) == \
        _expected(made, lambda r: r.amount == 4242)
    assert _vouchers(query.find_transactions(journal, amount_cents=1100, amount_max=1300)) == \
        _expected(made, lambda r: 1100 <= r.amount <= 1300)
    assert _vouchers(query.find_transactions(journal, amount_max=1050)) == \
        _expected(made, lambda r: r.amount <= 1050)
    assert query.find_transactions(journal, amount_cents=1) == []
    assert raises(ValueError,
                   lambda: query.find_transactions(journal, amount_cents=5, amount_max=4))


def test_find_by_operator_and_in_both_orders():
    _, journal = _journal()
    made = _shop(journal)
    newest = query.find_transactions(journal, operator=2)
    oldest = query.find_transactions(journal, operator=2, newest_first=False)
    assert _vouchers(newest) == _expected(made, lambda r: r.operator == 2)
    assert _vouchers(oldest) == _vouchers(newest)[::-1]
    assert newest and all(record.operator == 2 for record in newest)


def test_kinds_default_to_transactions_and_can_be_chosen():
    _, journal = _journal()
    made = _shop(journal)
    everything = query.find_transactions(journal)
    assert rec.REPRINT not in [record.kind for record in everything]
    assert rec.SETTLEMENT in [record.kind for record in everything]
    reprints = query.find_transactions(journal, kinds=(rec.REPRINT,))
    assert _vouchers(reprints) == _expected(made, lambda r: True, kinds=(rec.REPRINT,))


def test_last_n_and_combinations():
    _, journal = _journal()
    made = _shop(journal)
    assert _vouchers(query.last(journal, 3)) == _expected(made, lambda r: True)[:3]
    assert query.last(journal, 0) == []
    start, end = query.day_range(20260330, 20260331)
    found = query.find_transactions(journal, amount_cents=1000, amount_max=1400, start=start,
                                    end=end, operator=1, limit=2, newest_first=False)
    assert _vouchers(found) == _expected(
        made, lambda r: 1000 <= r.amount <= 1400 and start <= r.timestamp <= end
        and r.operator == 1, newest_first=False)[:2]
    assert len(found) == 2


def test_records_without_a_valid_clock_are_left_out_of_time_searches():
    _, journal = _journal()
    made = _shop(journal)
    untimed = made[-1]
    assert untimed.voucher in _vouchers(query.find_transactions(journal, amount_cents=555))
    found = query.find_transactions(journal, start=0, end=_MARCH_30 * 2)
    assert untimed.voucher not in _vouchers(found)


def test_the_last_n_read_only_the_newest_sectors():
    flash, journal = _journal(sector_count=16)
    for number in range(150):
        _ring(journal, rec.SALE, 100 + number)
    flash.reset_counters()
    assert len(query.last(journal, 3)) == 3
    assert flash.bytes_read <= 2 * 1024 + 16 * 24


def test_torn_and_damaged_records_are_never_found():
    for seed in range(1, 12):
        flash = NorFlash(sector_size=1024, sector_count=4, seed=seed)
        journal = Journal(flash).mount()
        kept = [_ring(journal, rec.SALE, 777) for _ in range(3)]
        flash.cut_power_after(1)
        raises(PowerCut, lambda: _ring(journal, rec.SALE, 777))
        flash.restore_power()
        again = Journal(flash).mount()
        found = query.find_transactions(again, amount_cents=777, newest_first=False)
        assert found[:3] == kept
        assert len(found) <= 4 and all(record.amount == 777 for record in found)

        # A bit flipped inside the amount of the first sale: that sale is gone.
        image = bytearray(flash.image())
        at = bytes(image).find(kept[0].encode()) + 15
        flash.flip_bit(at, 0)
        damaged = Journal(flash).mount()
        assert kept[0].voucher not in _vouchers(query.find_transactions(damaged))
        assert query.find_transactions(damaged, amount_cents=776) == []


def test_payload_offsets_match_the_record_layout():
    record = rec.Record(rec.REFUND, amount=-123456789012, operator=9, timestamp=0x01020304,
                        clock_valid=True)
    payload = record.encode()
    assert payload[0] == 1 and payload[1] == rec.REFUND and payload[3] == 9
    assert payload[4] & rec.FLAG_CLOCK_VALID
    assert struct.unpack_from("<I", payload, 7)[0] == 0x01020304
    assert struct.unpack_from("<q", payload, 15)[0] == -123456789012
    _, journal = _journal()
    journal.append(payload)
    found = query.find_transactions(journal, amount_cents=-123456789012, operator=9)
    assert len(found) == 1 and found[0].kind == rec.REFUND


def test_a_payload_that_is_not_a_record_is_skipped():
    _, journal = _journal()
    journal.append(b"\x01\x01not a record at all, but long enough")
    journal.append(b"short")
    sale = _ring(journal, rec.SALE, 1000)
    assert _vouchers(query.find_transactions(journal)) == [sale.voucher]
    assert query.find_voucher(journal, 1) is None
