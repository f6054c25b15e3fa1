# `reslip pull` follows the journal's hash chain: within a pull, across pulls,
# over a ring that dropped its oldest records, and it names the voucher where
# a record was edited, removed or inserted. The terminal end is the real
# journal behind the real service link.
import struct

from norflash import NorFlash
from reslip.pull import CHAIN_BROKEN_STATUS, pull_over
from reslip.store import Store
from terminal.crc32 import crc32
from terminal.journal import FORMAT_CONFIRMATION, START_LINK, Journal, record_hash
from terminal.record import CARD, CASH, SALE, Record

from test_link_host import Terminal

TIMEOUT_S = 0.2
TERMINAL = "T0000042"


def _cable(journal):
    """A pyserial-like port straight into a ServiceLink over the real journal."""
    return Terminal(journal, TERMINAL).cable()


def _sale(number):
    method = CARD if number % 2 else CASH
    return Record(SALE, amount=1000 + number, method=method, timestamp=1767225600 + number,
                  card_last4="4321" if method == CARD else "", reference="order %d" % number)


def _journal(flash, **options):
    return Journal(flash, **options).mount()


def _pull(flash, db_path, **options):
    return pull_over(_cable(_journal(flash, **options)), db_path, timeout_s=TIMEOUT_S)


def _filled(count, **options):
    flash = NorFlash(sector_size=4096, sector_count=8)
    journal = _journal(flash, **options)
    for number in range(1, count + 1):
        journal.append(_sale(number).encode())
    return flash, journal


def _region(entries):
    """A flash whose journal holds exactly entries [(voucher, link, payload)],
    each with a whole CRC: what someone rewriting the flash could leave."""
    flash = NorFlash(sector_size=4096, sector_count=8)
    header = struct.pack("<IIIII", 0x034A5352, 1, entries[0][0], 0, 0)
    image = bytearray(header + struct.pack("<I", crc32(header)))
    for voucher, link, payload in entries:
        head = struct.pack("<BBHI", 0x4C, 0, len(payload), voucher)
        entry = head + struct.pack("<I", crc32(head)) + link + payload
        image += entry + struct.pack("<I", crc32(entry))
    flash.writeblocks(0, image, 0)
    return flash


def _chain(vouchers):
    """Genuine entries for these vouchers, linked as the journal links them."""
    entries = []
    link = START_LINK
    for voucher in vouchers:
        payload = _sale(voucher).encode()
        entries.append((voucher, link, payload))
        link = record_hash(voucher, link, payload)
    return entries


def _edit_amount(flash, voucher, amount):
    """Changes one record's amount in place and fixes its CRC, so that only
    the chain can tell."""
    image = bytearray(flash.image())
    original = _sale(voucher).encode()
    at = bytes(image).find(original)
    assert at > 0
    edited = _sale(voucher)
    edited.amount = amount
    image[at:at + len(original)] = edited.encode()
    start = at - 20
    end = at + len(original)
    image[end:end + 4] = struct.pack("<I", crc32(bytes(image[start:end])))
    flash.load_image(bytes(image))


def _stored(db_path):
    with Store(db_path) as store:
        return ([voucher for voucher, _ in store.payloads(TERMINAL, 1, 10 ** 6)],
                store.chain_flags(TERMINAL))


def test_an_untouched_journal_is_reported_intact_within_and_across_pulls(tmp_path):
    db_path = str(tmp_path / "store.sqlite")
    flash, journal = _filled(20)
    summary = pull_over(_cable(journal), db_path, timeout_s=TIMEOUT_S)
    assert summary.chain.problems == [] and summary.exit_status == 0
    assert "journal chain intact over vouchers 000001..000020" in str(summary)

    for number in range(21, 26):
        journal.append(_sale(number).encode())
    summary = pull_over(_cable(journal), db_path, timeout_s=TIMEOUT_S)
    assert "journal chain intact over vouchers 000021..000025" in str(summary)
    assert summary.chain.notes == [] and summary.exit_status == 0
    assert _stored(db_path) == (list(range(1, 26)), [])


def test_an_edited_amount_with_a_fixed_crc_is_caught_at_the_next_voucher(tmp_path):
    db_path = str(tmp_path / "store.sqlite")
    flash, _ = _filled(12)
    _edit_amount(flash, 7, 99999999)
    summary = _pull(flash, db_path)

    assert [voucher for voucher, _ in summary.chain.problems] == [8]
    text = str(summary)
    assert "journal chain broken at voucher 000008" in text
    assert "000007 was changed after it was written" in text
    assert summary.exit_status == CHAIN_BROKEN_STATUS
    # Everything is stored all the same, the break flagged by voucher.
    vouchers, flags = _stored(db_path)
    assert vouchers == list(range(1, 13))
    assert [(voucher) for _, voucher, _ in flags] == [8]


def test_a_removed_record_is_named(tmp_path):
    db_path = str(tmp_path / "store.sqlite")
    entries = [entry for entry in _chain(range(1, 11)) if entry[0] != 6]
    summary = _pull(_region(entries), db_path)
    assert [voucher for voucher, _ in summary.chain.problems] == [7]
    assert "voucher(s) 000006 are missing and its link does not match voucher 000005" \
        in str(summary)
    assert summary.exit_status == CHAIN_BROKEN_STATUS


def test_an_inserted_record_is_caught_even_with_a_correct_link_of_its_own(tmp_path):
    # Voucher 4 was skipped by the terminal (a power cut); someone slips a
    # record in under that number, linked correctly to voucher 3.
    db_path = str(tmp_path / "store.sqlite")
    entries = _chain([1, 2, 3, 5, 6])
    fake = Record(SALE, amount=5, method=CASH, timestamp=1767225600).encode()
    entries.insert(3, (4, record_hash(*entries[2][:2], entries[2][2]), fake))
    summary = _pull(_region(entries), db_path)
    assert [voucher for voucher, _ in summary.chain.problems] == [5]
    assert "its link does not match voucher 000004" in str(summary)


def test_a_skipped_voucher_with_an_unbroken_chain_is_only_a_note(tmp_path):
    db_path = str(tmp_path / "store.sqlite")
    summary = _pull(_region(_chain([1, 2, 3, 5, 6])), db_path)
    assert summary.chain.problems == [] and summary.exit_status == 0
    assert any("000004 were never written" in note for note in summary.chain.notes)


def test_an_edit_before_the_first_pull_is_caught_by_the_second(tmp_path):
    # The newest record has no successor yet: the PC keeps its hash, and the
    # next record, appended by the running terminal, links to the original.
    db_path = str(tmp_path / "store.sqlite")
    flash, journal = _filled(10)
    _edit_amount(flash, 10, 1)
    first = pull_over(_cable(journal), db_path, timeout_s=TIMEOUT_S)
    assert first.chain.problems == []

    journal.append(_sale(11).encode())
    second = pull_over(_cable(journal), db_path, timeout_s=TIMEOUT_S)
    assert [voucher for voucher, _ in second.chain.problems] == [11]
    assert "000010 was changed" in str(second)
    assert second.exit_status == CHAIN_BROKEN_STATUS


def test_records_removed_between_two_pulls_are_caught(tmp_path):
    db_path = str(tmp_path / "store.sqlite")
    entries = _chain(range(1, 16))
    assert _pull(_region(entries[:10]), db_path).chain.problems == []
    # The terminal's flash rewritten without vouchers 11 and 12.
    tampered = entries[:10] + entries[12:]
    summary = _pull(_region(tampered), db_path)
    assert [voucher for voucher, _ in summary.chain.problems] == [13]
    assert "000011..000012 are missing" in str(summary)


def test_a_ring_that_dropped_records_never_pulled_is_not_a_break(tmp_path):
    db_path = str(tmp_path / "store.sqlite")
    flash = NorFlash(sector_size=1024, sector_count=4)
    journal = _journal(flash, overwrite_oldest=True)
    for number in range(1, 6):
        journal.append(_sale(number).encode())
    assert _pull(flash, db_path, overwrite_oldest=True).chain.problems == []

    # Many more sales than the ring holds, the near-full warning shown.
    journal = _journal(flash, overwrite_oldest=True)
    for number in range(6, 120):
        if journal.near_full():
            journal.acknowledge_near_full()
        journal.append(_sale(number).encode())
    oldest = journal.oldest()
    assert oldest > 6
    summary = pull_over(_cable(journal), db_path, timeout_s=TIMEOUT_S)
    assert summary.chain.problems == [] and summary.exit_status == 0
    assert any("dropped by the terminal" in note and "%06d on" % oldest in note
               for note in summary.chain.notes)
    assert "journal chain intact over vouchers %06d..000119" % oldest in str(summary)

    # A PC that never pulled before starts at the oldest kept record, unchecked.
    fresh = pull_over(_cable(journal), str(tmp_path / "fresh.sqlite"), timeout_s=TIMEOUT_S)
    assert fresh.chain.problems == []
    assert any("oldest the terminal holds" in note for note in fresh.chain.notes)


def test_a_formatted_journal_is_flagged_where_the_chain_starts_again(tmp_path):
    db_path = str(tmp_path / "store.sqlite")
    flash, journal = _filled(5)
    assert pull_over(_cable(journal), db_path, timeout_s=TIMEOUT_S).chain.problems == []
    journal.format(FORMAT_CONFIRMATION)
    journal.append(_sale(6).encode())
    summary = pull_over(_cable(journal), db_path, timeout_s=TIMEOUT_S)
    assert [voucher for voucher, _ in summary.chain.problems] == [6]
    assert "formatted or replaced after voucher 000005" in str(summary)


def test_the_chain_head_survives_in_the_store(tmp_path):
    db_path = str(tmp_path / "store.sqlite")
    flash, journal = _filled(3)
    pull_over(_cable(journal), db_path, timeout_s=TIMEOUT_S)
    with Store(db_path) as store:
        assert store.chain_head(TERMINAL) == (3, journal.chain_hash())
        assert store.chain_head("T9") is None


def test_records_of_the_older_format_are_noted_and_the_chain_runs_on_from_them(tmp_path):
    # A terminal upgraded from journal format 2: its old records carry no
    # link; the first new one links to the newest old one.
    flash = NorFlash(sector_size=4096, sector_count=8)
    header = struct.pack("<IIIII", 0x024A5352, 1, 1, 0, 0)
    image = bytearray(header + struct.pack("<I", crc32(header)))
    for voucher in (1, 2, 3):
        payload = _sale(voucher).encode()
        head = struct.pack("<BBHI", 0x52, 0, len(payload), voucher)
        entry = head + struct.pack("<I", crc32(head)) + payload
        image += entry + struct.pack("<I", crc32(entry))
    flash.writeblocks(0, image, 0)
    journal = _journal(flash)
    for number in (4, 5):
        journal.append(_sale(number).encode())

    summary = pull_over(_cable(journal), str(tmp_path / "store.sqlite"), timeout_s=TIMEOUT_S)
    assert summary.chain.problems == [] and summary.chain.unlinked == 3
    text = str(summary)
    assert "3 record(s) written by an older journal format carry no link" in text
    assert "journal chain intact over vouchers 000004..000005" in text


def test_the_export_mark_waits_before_a_break_until_a_person_accepts_it(tmp_path):
    db_path = str(tmp_path / "store.sqlite")
    flash, journal = _filled(12)
    _edit_amount(flash, 7, 99999999)
    journal = _journal(flash)

    # The terminal keeps the records from the break on, whatever its policy.
    first = pull_over(_cable(journal), db_path, timeout_s=TIMEOUT_S)
    assert first.exported_up_to == 7 and journal.exported_up_to() == 7
    assert "run pull again with --accept-break 8" in str(first)

    # Pulling again changes nothing while nobody has looked.
    again = pull_over(_cable(journal), db_path, timeout_s=TIMEOUT_S)
    assert again.exported_up_to == 7 and again.exit_status == 0
    assert "export confirmed up to voucher 7, not past it" in str(again)

    accepted = pull_over(_cable(journal), db_path, timeout_s=TIMEOUT_S, accept_breaks_to=8)
    assert accepted.exported_up_to == 12 and journal.exported_up_to() == 12
    assert accepted.export_note == ""
