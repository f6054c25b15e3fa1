# Card digits: at most the last four reach the journal from the keypad, and
# every PC output masks them exactly as the slip does (terminal.record.mask_card).
import csv
import json

from reslip import find, reprint
from reslip.printer_emu import PrinterEmulator
from reslip.store import Store
from terminal.record import CARD, SALE, Record, mask_card

from test_menu_terminal import new_rig

CARD_SALE = Record(SALE, amount=4200, method=CARD, operator=2, voucher=5,
                   timestamp=1774900000, card_last4="4321", reference="lunch")


def test_the_mask_is_twelve_stars_and_the_digits_kept():
    assert mask_card("4321") == "************4321"
    assert mask_card("21") == "************21"  # a short tail is masked the same way
    assert mask_card("") == ""
    assert CARD_SALE.masked_card() == mask_card("4321")


def _only_inside_the_mask(text):
    # The digits show up, and only behind the slip's mask.
    assert mask_card("4321") in text, text
    assert "4321" not in text.replace(mask_card("4321"), "")


def test_find_csv_jsonl_and_a_pc_reprint_show_the_slips_mask(tmp_path):
    store_path = str(tmp_path / "store.sqlite")
    with Store(store_path) as store:
        store.add("T1", [(5, CARD_SALE.encode(), 0)])
        csv_path = str(tmp_path / "out.csv")
        jsonl_path = str(tmp_path / "out.jsonl")
        store.export_csv(csv_path)
        store.export_jsonl(jsonl_path)
        table = find.format_table(find.find(store, find.Query(terminal="T1")))
        made = reprint.build_reprint(store, 5, "T1", reprint.load_settings("unix"), now=1775000000)

    with open(csv_path, encoding="utf-8-sig", newline="") as file:
        (row,) = list(csv.DictReader(file))
    assert row["card"] == mask_card("4321")
    with open(jsonl_path, encoding="utf-8") as file:
        line = json.loads(file.readline())
    assert line["card"] == mask_card("4321")
    _only_inside_the_mask(table)

    emulator = PrinterEmulator()
    emulator.feed(made.data)
    _only_inside_the_mask(emulator.slips()[0].text)


def test_the_terminals_slip_prints_the_same_mask(tmp_path):
    rig = new_rig(tmp_path)
    rig.play("""
        A 42 # 2 4321 #         ? PRINT CARD*4321?
        #                       ? PRINTED #000001
        """)
    _only_inside_the_mask(rig.slips()[0])


def _flash_bytes(rig):
    flash = rig.terminal.journal._device
    data = bytearray(flash.size)
    flash.readblocks(0, data, 0)
    return bytes(data)


def test_a_whole_card_number_typed_on_the_keypad_keeps_four_digits_at_most(tmp_path):
    rig = new_rig(tmp_path)
    rig.play("""
        A 42 # 2 4111111111111234 #
        #                       ? PRINTED #000001
        """)
    # The entry takes four digits and no more (here the first four typed).
    (record,) = rig.records()
    assert len(record.card_last4) == 4 and record.card_last4.isdigit()
    image = _flash_bytes(rig)
    assert b"41111" not in image and b"11112" not in image


def test_ring_sale_keeps_only_the_last_four_of_a_whole_number(tmp_path):
    rig = new_rig(tmp_path)
    rig.terminal.ring_sale(4200, CARD, "4111111111111234")
    (record,) = rig.records()
    assert record.card_last4 == "1234"
    assert b"41111111" not in _flash_bytes(rig)
