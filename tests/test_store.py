# The PC's SQLite store: nothing stored twice, conflicts kept apart, exports
# that spreadsheets read (UTF-8 with BOM, decimal amounts, masked cards).
import csv
import json
import sqlite3

import pytest

from reslip.link import export_summary
from reslip.store import Store, StoreError, format_amount, mask_card
from terminal.record import CARD, CASH, REFUND, SALE, Record

SALES = [
    Record(SALE, amount=123456, method=CARD, operator=3, timestamp=1767225600,
           card_last4="4321", reference="午餐 套餐", voucher=1),
    Record(SALE, amount=5, method=CASH, operator=1, timestamp=1767225660, voucher=2),
    Record(REFUND, amount=100, method=CASH, operator=1, timestamp=1767225720, refers_to=2,
           reference="退款", voucher=3),
]


def triples(records):
    return [(record.voucher, record.encode(), 0) for record in records]


def test_second_insert_stores_nothing(tmp_path):
    with Store(str(tmp_path / "s.sqlite")) as store:
        first = store.add("T1", triples(SALES))
        second = store.add("T1", triples(SALES))
        other_terminal = store.add("T2", triples(SALES[:1]))
        assert (first.added, first.duplicates) == (3, 0)
        assert (second.added, second.duplicates, second.conflicts) == (0, 3, [])
        assert other_terminal.added == 1
        assert store.count("T1") == 3 and store.count() == 4
        assert store.highest_voucher("T1") == 3 and store.highest_voucher("T9") == 0


def test_different_payload_for_a_stored_voucher_is_a_conflict(tmp_path):
    with Store(str(tmp_path / "s.sqlite")) as store:
        store.add("T1", triples(SALES))
        changed = Record(SALE, amount=999, voucher=2)
        result = store.add("T1", triples([changed]))
        assert result.conflicts == [("T1", 2)]
        assert result.added == 0
        assert store.payloads("T1", 2, 2) == [(2, SALES[1].encode())]
        assert store.conflicts() == [("T1", 2, changed.encode())]


def test_undecodable_payload_is_kept_raw(tmp_path):
    with Store(str(tmp_path / "s.sqlite")) as store:
        result = store.add("T1", [(7, b"\x09not a record", 0)])
        assert result.undecodable == 1
        assert store.payloads("T1", 1, 10) == [(7, b"\x09not a record")]


def test_store_survives_reopening(tmp_path):
    path = str(tmp_path / "s.sqlite")
    with Store(path) as store:
        store.add("T1", triples(SALES))
    with Store(path) as store:
        assert [r for _, r in store.records("T1")] == SALES
        assert export_summary(store.payloads("T1", 1, 3)) == \
            export_summary((r.voucher, r.encode()) for r in SALES)


def test_csv_has_bom_chinese_text_decimal_amounts_and_masked_cards(tmp_path):
    csv_path = tmp_path / "out.csv"
    with Store(str(tmp_path / "s.sqlite")) as store:
        store.add("T1", triples(SALES))
        assert store.export_csv(str(csv_path)) == 3

    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "午餐 套餐".encode("utf-8") in raw
    with open(csv_path, encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["amount"] for row in rows] == ["1234.56", "0.05", "1.00"]
    assert rows[0]["card"] == "************4321" and rows[1]["card"] == ""
    assert "1234" not in rows[0]["card"].replace("4321", "")
    assert rows[0]["time_utc"] == "2026-01-01 00:00:00"
    refund = rows[2]
    assert (refund["kind"], refund["refers_to"], refund["reference"]) == ("REFUND", "2", "退款")


def test_jsonl_round_trips_the_payload(tmp_path):
    jsonl_path = tmp_path / "out.jsonl"
    with Store(str(tmp_path / "s.sqlite")) as store:
        store.add("T1", triples(SALES))
        assert store.export_jsonl(str(jsonl_path)) == 3
    lines = [json.loads(line) for line in jsonl_path.read_text(encoding="utf-8").splitlines()]
    assert [bytes.fromhex(line["payload"]) for line in lines] == [r.encode() for r in SALES]
    assert lines[0]["reference"] == "午餐 套餐"


def test_amount_and_card_formatting():
    assert [format_amount(c) for c in (0, 7, 100, -1250, 10 ** 12 + 1)] == \
        ["0.00", "0.07", "1.00", "-12.50", "10000000000.01"]
    assert mask_card("0042") == "************0042" and mask_card("") == ""


def test_unopenable_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(str(tmp_path / "missing-folder" / "s.sqlite"))


def test_a_store_made_before_links_gains_the_column_and_keeps_its_records(tmp_path):
    path = str(tmp_path / "old.sqlite")
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE records (terminal TEXT NOT NULL, voucher INTEGER NOT NULL, "
                "payload BLOB NOT NULL, crc INTEGER NOT NULL, pulled_at INTEGER NOT NULL, "
                "kind INTEGER, amount_cents INTEGER, currency TEXT, method INTEGER, "
                "operator INTEGER, card_last4 TEXT, reference TEXT, timestamp INTEGER, "
                "clock_valid INTEGER, batch INTEGER, refers_to INTEGER, "
                "PRIMARY KEY (terminal, voucher))")
    payload = Record(SALE, amount=100).encode()
    old.execute("INSERT INTO records (terminal, voucher, payload, crc, pulled_at) "
                "VALUES ('T1', 1, ?, 0, 0)", (payload,))
    old.commit()
    old.close()

    with Store(path) as store:
        result = store.add("T1", [(2, payload, 0, b"\x01" * 8)], chain=(2, b"\x02" * 8),
                           flags=[(2, "a test break")])
        assert result.added == 1
        assert store.payloads("T1", 1, 2) == [(1, payload), (2, payload)]
        assert store.chain_head("T1") == (2, b"\x02" * 8)
        assert store.chain_flags() == [("T1", 2, "a test break")]


def test_a_store_that_cannot_be_read_is_a_store_error(tmp_path):
    import sqlite3

    from reslip.store import StoreError

    path = str(tmp_path / "store.sqlite")
    with Store(path) as store:
        store._db.execute("DROP TABLE chain")  # as a damaged or foreign file would be
        try:
            store.chain_head("T1")
        except StoreError as error:
            assert str(error).startswith("cannot read the store %s: " % path)
        else:
            raise AssertionError("no StoreError")
