# The journal on an emulated NOR flash: append, read, wrap, remount, and
# recovery from torn records, interrupted erases and damaged bits.
import struct

from checks import raises
from norflash import NorFlash, PowerCut
from terminal.crc32 import crc32
from terminal.journal import FORMAT_CONFIRMATION, Journal, JournalFull


def _journal(flash, **options):
    return Journal(flash, program_unit=flash.program_unit, **options).mount()


def _small_flash(**options):
    return NorFlash(sector_size=options.pop("sector_size", 512),
                    sector_count=options.pop("sector_count", 4), **options)


def _payload(number, size=20):
    text = b"sale %d " % number
    return (text * (size // len(text) + 1))[:size]


def _append_as_app(journal, payload):
    # What the app does: once its screen has shown the near-full warning, it
    # says so, which lets overwrite_oldest recycle records not yet exported.
    if journal.near_full():
        journal.acknowledge_near_full()
    return journal.append(payload)


def _all(journal, **options):
    return list(journal.records(**options))


def test_blank_flash_is_an_empty_journal():
    journal = _journal(_small_flash())
    assert journal.newest() == 0
    assert journal.oldest() == 0
    assert journal.count == 0
    assert journal.used_bytes == 0
    assert journal.read(1) is None
    assert _all(journal) == []
    assert journal.near_full() is False


def test_append_gives_increasing_vouchers_and_reads_back():
    journal = _journal(_small_flash())
    vouchers = [journal.append(_payload(n)) for n in range(10)]
    assert vouchers == list(range(1, 11))
    for number, voucher in enumerate(vouchers):
        assert journal.read(voucher) == _payload(number)
    assert journal.read(11) is None
    assert journal.read(0) is None
    assert journal.newest() == 10 and journal.oldest() == 1 and journal.count == 10


def test_empty_payload_and_largest_payload():
    journal = _journal(_small_flash())
    assert journal.read(journal.append(b"")) == b""
    big = bytes(range(256)) * 2
    big = big[:journal.max_payload]
    assert journal.read(journal.append(big)) == big
    assert raises(ValueError, lambda: journal.append(big + b"x")) is not None


def test_records_in_both_orders_and_from_a_start():
    journal = _journal(_small_flash(sector_count=6))
    for number in range(40):
        journal.append(_payload(number))
    forwards = _all(journal)
    assert [v for v, _ in forwards] == list(range(1, 41))
    assert all(payload == _payload(v - 1) for v, payload in forwards)
    assert _all(journal, newest_first=True) == forwards[::-1]
    assert [v for v, _ in journal.records(start=17)] == list(range(17, 41))
    assert [v for v, _ in journal.records(start=17, newest_first=True)] == list(range(17, 0, -1))


def test_remount_keeps_everything_and_continues_numbering():
    flash = _small_flash(sector_count=6)
    journal = _journal(flash)
    for number in range(25):
        journal.append(_payload(number))
    again = _journal(flash)
    assert _all(again) == _all(journal)
    assert again.newest() == 25 and again.oldest() == 1 and again.count == 25
    assert again.append(b"after") == 26
    assert _journal(flash).read(26) == b"after"


def test_iteration_survives_appends_in_between():
    journal = _journal(_small_flash(sector_count=6))
    for number in range(30):
        journal.append(_payload(number))
    seen = []
    for voucher, payload in journal.records():
        seen.append(voucher)
        if voucher == 5:
            journal.append(b"during")
            assert journal.read(3) == _payload(2)
    assert seen[:30] == list(range(1, 31))


def test_wrap_recycles_oldest_sectors_evenly_and_keeps_numbering():
    flash = _small_flash(sector_count=4)
    journal = _journal(flash, overwrite_oldest=True)
    for number in range(300):
        _append_as_app(journal, _payload(number))
    assert journal.newest() == 300
    oldest = journal.oldest()
    assert 200 < oldest < 300
    assert [v for v, _ in journal.records()] == list(range(oldest, 301))
    assert journal.read(oldest - 1) is None
    assert journal.read(oldest) == _payload(oldest - 1)
    assert max(flash.erase_counts) - min(flash.erase_counts) <= 1

    again = _journal(flash, overwrite_oldest=True)
    assert again.oldest() == oldest and again.count == journal.count
    assert again.append(b"next") == 301


def test_binary_search_reads_few_headers_and_one_sector():
    flash = NorFlash(sector_size=1024, sector_count=64)
    journal = _journal(flash, overwrite_oldest=True)
    for number in range(1200):
        _append_as_app(journal, _payload(number, 82))
    flash.reset_counters()
    again = _journal(flash)
    assert flash.bytes_read <= 64 * 24 + 2 * 1024 + 8 * 24
    for voucher in (again.oldest(), (again.oldest() + again.newest()) // 2, again.newest()):
        flash.reset_counters()
        assert again.read(voucher) == _payload(voucher - 1, 82)
        assert flash.bytes_read <= 1024 + 8 * 24


def test_bytes_programmed_per_record_at_one_byte_unit():
    flash = NorFlash(sector_size=4096, sector_count=8)
    journal = _journal(flash)
    journal.append(b"first")
    flash.reset_counters()
    for number in range(100):
        journal.append(_payload(number, 82))
    encoded = 82 + 24
    assert flash.bytes_programmed <= 100 * encoded * 2
    assert flash.bytes_programmed >= 100 * encoded


def test_rp2_program_unit_and_spi_page_rule_are_respected():
    # The emulator raises on any write that breaks these rules.
    for flash in (NorFlash(sector_size=4096, sector_count=4, program_unit=256),
                  NorFlash(sector_size=4096, sector_count=4, page_size=256)):
        journal = Journal(flash, program_unit=flash.program_unit,
                          page_size=flash.page_size, overwrite_oldest=True).mount()
        for number in range(200):
            _append_as_app(journal, _payload(number, 82))
        again = Journal(flash, program_unit=flash.program_unit, page_size=flash.page_size,
                        overwrite_oldest=True).mount()
        assert again.newest() == 200
        assert again.read(200) == _payload(199, 82)
        assert again.append(b"x") == 201


def test_torn_record_is_never_returned_and_the_next_append_goes_after_it():
    for unit in (1, 256):
        for seed in range(1, 25):
            flash = NorFlash(sector_size=4096, sector_count=4, program_unit=unit, seed=seed)
            journal = _journal(flash)
            for number in range(5):
                journal.append(_payload(number, 60))
            flash.cut_power_after(1)
            assert raises(PowerCut, lambda: journal.append(b"T" * 60)) is not None
            flash.restore_power()

            again = _journal(flash)
            assert [v for v, _ in again.records()] == [1, 2, 3, 4, 5]
            assert again.read(6) is None
            voucher = again.append(b"after the cut")
            assert voucher in (6, 7)
            third = _journal(flash)
            assert third.read(voucher) == b"after the cut"
            assert [v for v, _ in third.records()] == [1, 2, 3, 4, 5, voucher]


def test_record_cut_at_every_program_of_a_sector_switch():
    # Fill a sector, then cut at each program/erase of the append that needs
    # the next one: erase, header, filler, record.
    for cut in range(1, 5):
        flash = NorFlash(sector_size=512, sector_count=3, seed=cut)
        journal = _journal(flash, overwrite_oldest=True)
        while journal.newest() < 40:
            _append_as_app(journal, _payload(journal.newest(), 40))
        again = _journal(flash, overwrite_oldest=True)
        flash.cut_power_after(cut)
        try:
            again.append(b"C" * 40)
        except PowerCut:
            pass
        flash.restore_power()
        third = _journal(flash, overwrite_oldest=True)
        held = _all(third)
        for voucher, payload in held:
            assert payload == (b"C" * 40 if voucher == 41 else _payload(voucher - 1, 40))
        assert held[-1][0] >= 40
        next_voucher = third.append(b"next")
        assert next_voucher > held[-1][0]
        assert _journal(flash).read(next_voucher) == b"next"


def test_interrupted_erase_repairs_that_sector_alone():
    # A twin run finds the append that recycles sector 0; its erase comes
    # first, so a cut at the next operation lands in that erase.
    def run(appends):
        flash = NorFlash(sector_size=512, sector_count=4, seed=11)
        journal = _journal(flash, overwrite_oldest=True)
        for number in range(appends):
            journal.append(_payload(number, 30))
            journal.acknowledge_near_full()
        return flash, journal

    twin, journal = run(0)
    appends = 0
    while twin.erase_counts[0] < 2:
        journal.append(_payload(appends, 30))
        journal.acknowledge_near_full()
        appends += 1
    flash, journal = run(appends - 1)
    kept = _all(journal)
    erases = list(flash.erase_counts)
    flash.cut_power_after(1)
    assert raises(PowerCut, lambda: journal.append(b"E" * 30)) is not None
    flash.restore_power()
    assert flash.erase_counts == erases

    again = _journal(flash, overwrite_oldest=True)
    held = _all(again)
    assert held == [item for item in kept if item[0] >= held[0][0]]
    assert held[-1] == kept[-1]
    # The same size as the append that was cut, so it needs the same sector.
    assert again.append(b"A" * 30) == kept[-1][0] + 1
    assert flash.erase_counts[0] == erases[0] + 1
    assert flash.erase_counts[1:] == erases[1:]
    assert _journal(flash).read(kept[-1][0] + 1) == b"A" * 30


def test_payload_that_looks_like_headers_does_not_confuse_recovery():
    # A payload holding a whole valid entry and a whole sector header.
    fake = bytearray(struct.pack("<BBHI", 0x52, 0, 4, 999))
    fake += struct.pack("<I", crc32(fake))
    fake += b"evil"
    fake += struct.pack("<I", crc32(fake))
    header = bytearray(struct.pack("<IIIII", 0x024A5352, 5000, 999, 999, 0))
    header += struct.pack("<I", crc32(header))
    tricky = bytes(fake) * 3 + bytes(header) + bytes(fake)
    for seed in range(1, 15):
        flash = NorFlash(sector_size=1024, sector_count=3, seed=seed)
        journal = _journal(flash)
        journal.append(tricky)
        journal.append(tricky)
        flash.cut_power_after(1)
        raises(PowerCut, lambda: journal.append(tricky))
        flash.restore_power()
        again = _journal(flash)
        assert [item[0] for item in _all(again)] == [1, 2]
        assert again.read(999) is None and again.read(2) == tricky
        assert again.append(tricky) in (3, 4)


def test_every_single_bit_flip_in_a_record_is_detected():
    flash = NorFlash(sector_size=512, sector_count=2)
    journal = _journal(flash)
    journal.append(b"before")
    start = flash.bytes_programmed
    voucher = journal.append(b"the record")
    end = flash.bytes_programmed
    journal.append(b"after")
    size = end - start
    # Header, link, payload and CRC: a flip anywhere in them is caught.
    record_address = _find(flash, b"the record") - 20
    assert size == 24 + len(b"the record")
    for address in range(record_address, record_address + size):
        for bit in range(8):
            flash.flip_bit(address, bit)
            again = _journal(flash)
            assert again.read(voucher) is None, (address, bit)
            assert again.read(1) == b"before"
            assert again.read(voucher + 1) == b"after"
            assert [v for v, _ in again.records()] == [1, voucher + 1]
            flash.flip_bit(address, bit)
    assert _journal(flash).read(voucher) == b"the record"


def _find(flash, needle):
    data = bytearray(flash.size)
    flash.readblocks(0, data, 0)
    return bytes(data).find(needle)


def test_damaged_newest_record_does_not_get_its_voucher_reused():
    flash = NorFlash(sector_size=512, sector_count=2)
    journal = _journal(flash)
    journal.append(b"one")
    journal.append(b"two")
    flash.flip_bit(_find(flash, b"two") - 12 + 4, 0)  # inside the voucher field
    again = _journal(flash)
    assert again.read(2) is None
    assert again.append(b"three") == 3


def test_export_mark_survives_remount_and_is_not_a_record():
    flash = _small_flash(sector_count=4)
    journal = _journal(flash)
    for number in range(12):
        journal.append(_payload(number))
    assert journal.exported_up_to() == 0
    journal.mark_exported(7)
    journal.mark_exported(5)  # never moves back
    assert journal.exported_up_to() == 7
    assert raises(ValueError, lambda: journal.mark_exported(13)) is not None
    again = _journal(flash)
    assert again.exported_up_to() == 7
    assert [v for v, _ in again.records()] == list(range(1, 13))
    assert again.count == 12
    assert again.append(b"x") == 13


def test_export_mark_survives_sector_recycling():
    flash = _small_flash(sector_count=3)
    journal = _journal(flash)
    journal.append(b"a")
    journal.mark_exported(1)
    while flash.erase_counts[0] < 2:
        journal.append(_payload(journal.newest()))
        journal.mark_exported(journal.newest())
    again = _journal(flash)
    assert again.exported_up_to() == journal.newest()
    assert not again.near_full()


def test_full_journal_refuses_then_accepts_after_export():
    flash = _small_flash(sector_count=4)
    journal = _journal(flash)
    warned_at = 0
    error = None
    while error is None:
        error = raises(JournalFull, lambda: journal.append(_payload(journal.newest())))
        if not warned_at and journal.near_full():
            warned_at = journal.newest()
    newest = journal.newest()
    assert "export" in str(error)
    assert 0 < warned_at < newest
    assert journal.read(1) == _payload(0) and journal.count == newest
    assert raises(JournalFull, lambda: journal.append(b"still full")) is not None

    journal.mark_exported(newest)
    assert not journal.near_full()
    assert journal.append(b"room again") == newest + 1
    again = _journal(flash)
    assert again.read(newest + 1) == b"room again"
    assert again.oldest() > 1


def test_overwrite_oldest_recycles_unexported_records():
    flash = _small_flash(sector_count=4)
    journal = _journal(flash, overwrite_oldest=True, near_full_percent=50)
    half = 0
    for number in range(200):
        _append_as_app(journal, _payload(number))
        if not half and journal.near_full():
            half = journal.newest()
    assert half > 0
    assert journal.newest() == 200 and journal.oldest() > 1
    assert journal.near_full()


def test_used_and_capacity_bytes():
    flash = _small_flash(sector_count=4)
    journal = _journal(flash)
    assert journal.capacity_bytes == 2048
    journal.append(_payload(1))
    used = journal.used_bytes
    assert 20 < used <= 512
    journal.append(_payload(2))
    assert journal.used_bytes > used


def _fill_until_refused(journal):
    error = None
    while error is None:
        error = raises(JournalFull, lambda: journal.append(_payload(journal.newest())))
    return error


def test_overwrite_waits_for_the_near_full_warning_to_be_acknowledged():
    flash = _small_flash(sector_count=4)
    journal = _journal(flash, overwrite_oldest=True)
    error = _fill_until_refused(journal)
    assert "warning" in str(error)
    assert journal.near_full() and not journal.warning_acknowledged()
    assert journal.oldest() == 1
    assert journal.read(1) == _payload(0)

    # Once the warning has been shown, the oldest records make room.
    assert journal.acknowledge_near_full() is True
    newest = journal.newest()
    for number in range(40):
        journal.append(_payload(newest + number))
    assert journal.oldest() > 1
    assert journal.read(1) is None

    # The acknowledgement is on flash, also in the headers of sectors started since.
    again = _journal(flash, overwrite_oldest=True)
    assert again.warning_acknowledged()
    for number in range(40):
        again.append(b"more %d" % number)

    # An export voids it: the next fill needs the warning again.
    again.mark_exported(again.newest())
    assert not again.warning_acknowledged() and not again.near_full()
    exported = again.newest()
    _fill_until_refused(again)
    assert again.oldest() <= exported + 1 and again.newest() > exported
    assert not _journal(flash, overwrite_oldest=True).warning_acknowledged()


def test_acknowledgement_before_the_warning_is_due_does_nothing():
    flash = _small_flash(sector_count=4)
    journal = _journal(flash, overwrite_oldest=True)
    journal.append(b"one")
    flash.reset_counters()
    assert journal.acknowledge_near_full() is False
    assert flash.program_ops == 0
    assert not journal.warning_acknowledged()


def test_refusing_policy_ignores_the_acknowledgement():
    journal = _journal(_small_flash(sector_count=4))
    _fill_until_refused(journal)
    assert journal.acknowledge_near_full() is True
    error = raises(JournalFull, lambda: journal.append(b"still refused"))
    assert "export" in str(error)
    assert journal.read(1) == _payload(0)


def test_mount_never_erases_or_writes():
    flash = _small_flash(sector_count=4)
    journal = _journal(flash)
    for number in range(30):
        journal.append(_payload(number))
    flash.flip_bit(0, 3)  # sector 0's header no longer whole
    flash.flip_bit(2 * 512 + 40, 1)  # a record damaged
    flash.reset_counters()
    _journal(flash)
    _journal(_small_flash(sector_count=4))
    assert flash.erase_ops == 0 and flash.program_ops == 0


def test_format_needs_its_confirmation_and_keeps_numbering():
    flash = _small_flash(sector_count=4)
    journal = _journal(flash)
    for number in range(30):
        journal.append(_payload(number))
    flash.reset_counters()
    assert raises(ValueError, lambda: journal.format("yes")) is not None
    assert raises(ValueError, lambda: journal.format(True)) is not None
    assert flash.erase_ops == 0 and journal.count == 30

    journal.format(FORMAT_CONFIRMATION)
    assert journal.count == 0 and journal.newest() == 0 and _all(journal) == []
    assert journal.read(30) is None
    assert journal.append(b"after format") == 31
    again = _journal(flash)
    assert _all(again) == [(31, b"after format")]
    assert again.append(b"next") == 32


def test_format_cut_at_every_erase_leaves_a_journal_that_mounts():
    for cut in range(1, 8):
        flash = _small_flash(sector_count=4, seed=cut)
        journal = _journal(flash)
        kept = [(journal.append(_payload(number)), _payload(number)) for number in range(30)]
        flash.cut_power_after(cut)
        raises(PowerCut, lambda: journal.format(FORMAT_CONFIRMATION))
        flash.restore_power()

        again = _journal(flash)
        held = _all(again)
        assert held == kept[len(kept) - len(held):]
        assert again.append(b"next") == 31
        again.format(FORMAT_CONFIRMATION)
        assert _all(_journal(flash)) == []
        assert _journal(flash).append(b"last") == 32
