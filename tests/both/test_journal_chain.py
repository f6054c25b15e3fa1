# The journal's hash chain: every record links to the one before it, the
# link is known again after a mount, and a journal of format 2 is read and
# carried on.
import struct

from norflash import NorFlash
from terminal.crc32 import crc32
from terminal.journal import FORMAT_CONFIRMATION, NO_LINK, START_LINK, Journal, record_hash


def _journal(flash, **options):
    return Journal(flash, program_unit=flash.program_unit, **options).mount()


def _payload(number, size=30):
    text = b"sale %d " % number
    return (text * (size // len(text) + 1))[:size]


def _hash(item):
    voucher, payload, link = item
    return record_hash(voucher, link, payload)


def _assert_linked(items):
    for before, item in zip(items, items[1:]):
        assert item[2] == _hash(before), item[0]


def test_each_record_links_to_the_one_before():
    journal = _journal(NorFlash(sector_size=512, sector_count=4))
    assert journal.chain_hash() == START_LINK
    for number in range(12):
        journal.append(_payload(number, 10 + number * 3))
    items = list(journal.records(links=True))
    assert [voucher for voucher, _, _ in items] == list(range(1, 13))
    assert items[0][2] == START_LINK
    _assert_linked(items)
    assert journal.chain_hash() == _hash(items[-1])
    assert list(journal.records(newest_first=True, links=True)) == items[::-1]
    assert list(journal.records()) == [(voucher, payload) for voucher, payload, _ in items]


def test_the_hash_covers_voucher_link_and_payload():
    base = record_hash(7, START_LINK, b"payload")
    assert len(base) == 8
    assert record_hash(8, START_LINK, b"payload") != base
    assert record_hash(7, NO_LINK, b"payload") != base
    assert record_hash(7, START_LINK, b"paylaod") != base


def test_mount_finds_the_newest_hash_even_with_an_empty_head():
    # Two export marks in a row can start a sector that holds no record: the
    # hash then comes from the sector behind it.
    flash = NorFlash(sector_size=256, sector_count=6)
    journal = _journal(flash, overwrite_oldest=True)
    empty_heads = 0
    for number in range(60):
        # Three 72-byte entries fill a sector up to the room kept for a mark.
        for _ in range(3):
            journal.append(_payload(number, 48))
        journal.mark_exported(journal.newest() - 1)
        journal.mark_exported(journal.newest())
        again = _journal(flash, overwrite_oldest=True)
        newest = list(again.records(start=again.newest(), links=True))[-1]
        assert again.chain_hash() == _hash(newest) == journal.chain_hash(), number
        empty_heads += again.used_bytes % 256 < 64
        journal = again
    assert empty_heads > 0


def test_a_record_torn_by_a_power_cut_is_left_out_of_the_chain():
    from norflash import PowerCut
    from checks import raises

    flash = NorFlash(sector_size=512, sector_count=4, seed=3)
    journal = _journal(flash)
    journal.append(b"kept")
    flash.cut_power_after(1)
    raises(PowerCut, lambda: journal.append(b"torn" * 10))
    flash.restore_power()
    again = _journal(flash)
    voucher = again.append(b"next")
    items = list(again.records(links=True))
    assert [item[0] for item in items] == [1, voucher]
    _assert_linked(items)


def test_format_starts_the_chain_again():
    flash = NorFlash(sector_size=512, sector_count=4)
    journal = _journal(flash)
    for number in range(5):
        journal.append(_payload(number))
    journal.format(FORMAT_CONFIRMATION)
    assert journal.chain_hash() == START_LINK
    voucher = journal.append(b"after the format")
    assert voucher == 6
    assert list(_journal(flash).records(links=True)) == [(6, b"after the format", START_LINK)]


def _format2_region(flash, payloads):
    # A region as a format-2 journal left it: one sector, records without links.
    header = struct.pack("<IIIII", 0x024A5352, 1, 1, 0, 0)
    image = bytearray(header + struct.pack("<I", crc32(header)))
    for voucher, payload in enumerate(payloads, 1):
        head = struct.pack("<BBHI", 0x52, 0, len(payload), voucher)
        entry = head + struct.pack("<I", crc32(head)) + payload
        image += entry + struct.pack("<I", crc32(entry))
    flash.writeblocks(0, image, 0)


def test_a_format_2_journal_is_read_and_the_chain_starts_after_it():
    flash = NorFlash(sector_size=512, sector_count=4)
    old = [b"old sale one", b"old sale two"]
    _format2_region(flash, old)
    journal = _journal(flash)
    assert list(journal.records()) == [(1, old[0]), (2, old[1])]
    assert list(journal.records(links=True)) == [(1, old[0], NO_LINK), (2, old[1], NO_LINK)]
    assert journal.chain_hash() == record_hash(2, NO_LINK, old[1])

    # New records go on in the same sector, linked from the last old one.
    for number in range(20):
        journal.append(_payload(number))
    again = _journal(flash)
    items = list(again.records(links=True))
    assert [item[0] for item in items] == list(range(1, 23))
    assert items[:2] == [(1, old[0], NO_LINK), (2, old[1], NO_LINK)]
    _assert_linked(items[1:])
