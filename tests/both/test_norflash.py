# The emulated NOR flash keeps the part's rules and fails the way it does.
from checks import raises
from norflash import FlashRuleError, NorFlash, PowerCut
from scratch import scratch_path


def _read(flash, sector, offset, length):
    buf = bytearray(length)
    flash.readblocks(sector, buf, offset)
    return bytes(buf)


def test_new_flash_is_erased_and_reports_its_geometry():
    flash = NorFlash(sector_size=256, sector_count=4)
    assert flash.ioctl(4, 0) == 4
    assert flash.ioctl(5, 0) == 256
    assert _read(flash, 3, 0, 256) == b"\xff" * 256
    assert flash.bytes_read == 256


def test_programming_clears_bits_and_never_sets_one():
    flash = NorFlash(sector_size=256, sector_count=2)
    flash.writeblocks(1, b"\xf0\x0f", 10)
    assert _read(flash, 1, 10, 2) == b"\xf0\x0f"
    flash.writeblocks(1, b"\x30", 10)
    assert _read(flash, 1, 10, 1) == b"\x30"
    assert raises(FlashRuleError, lambda: flash.writeblocks(1, b"\x38", 10))
    assert raises(OSError, lambda: flash.writeblocks(1, b"\xff\xff", 10))
    assert _read(flash, 1, 10, 2) == b"\x30\x0f"
    assert flash.program_ops == 2
    assert flash.bytes_programmed == 3


def test_write_without_offset_is_refused():
    flash = NorFlash(sector_size=256, sector_count=2)
    assert raises(FlashRuleError, lambda: flash.writeblocks(0, bytearray(256)))
    assert _read(flash, 0, 0, 4) == b"\xff" * 4


def test_program_unit_size_and_alignment_are_enforced():
    flash = NorFlash(sector_size=1024, sector_count=2, program_unit=256)
    assert raises(FlashRuleError, lambda: flash.writeblocks(0, bytes(256), 128))
    assert raises(FlashRuleError, lambda: flash.writeblocks(0, bytes(100), 0))
    flash.writeblocks(0, bytes(512), 256)
    assert _read(flash, 0, 256, 512) == bytes(512)


def test_page_crossing_write_is_refused():
    flash = NorFlash(sector_size=1024, sector_count=2, page_size=256)
    assert raises(FlashRuleError, lambda: flash.writeblocks(0, bytes(10), 250))
    flash.writeblocks(0, bytes(6), 250)
    flash.writeblocks(0, bytes(4), 256)
    assert _read(flash, 0, 250, 10) == bytes(10)


def test_erase_restores_a_sector_and_is_counted():
    flash = NorFlash(sector_size=256, sector_count=3)
    flash.writeblocks(1, bytes(256), 0)
    flash.writeblocks(2, bytes(4), 0)
    assert flash.ioctl(6, 1) == 0
    assert _read(flash, 1, 0, 256) == b"\xff" * 256
    assert _read(flash, 2, 0, 4) == bytes(4)
    assert flash.erase_counts == [0, 1, 0]


def test_out_of_range_access_is_refused():
    flash = NorFlash(sector_size=256, sector_count=2)
    assert raises(OSError, lambda: flash.readblocks(1, bytearray(8), 250))
    assert raises(OSError, lambda: flash.writeblocks(2, b"\x00", 0))


def test_power_cut_tears_the_program_then_everything_fails():
    flash = NorFlash(sector_size=1024, sector_count=2, program_unit=16, seed=7)
    flash.writeblocks(0, bytes(16), 0)
    flash.cut_power_after(2)
    flash.writeblocks(0, bytes(16), 16)
    assert raises(PowerCut, lambda: flash.writeblocks(0, bytes(256), 32))
    assert raises(PowerCut, lambda: flash.readblocks(0, bytearray(4), 0))
    assert raises(PowerCut, lambda: flash.ioctl(6, 1))
    flash.restore_power()

    # Units before the torn one are done, after it untouched, and the torn
    # one only has bits cleared.
    torn = _read(flash, 0, 32, 256)
    units = [torn[start:start + 16] for start in range(0, 256, 16)]
    done = 0
    while done < 16 and units[done] == bytes(16):
        done += 1
    assert torn != bytes(256)
    for unit in units[done + 1:]:
        assert unit == b"\xff" * 16
    assert _read(flash, 0, 0, 32) == bytes(32)
    flash.writeblocks(0, bytes(16), 512)


def test_many_cuts_give_many_torn_states():
    # The torn unit lands at different places and holds different bits.
    states = set()
    for seed in range(1, 30):
        flash = NorFlash(sector_size=256, sector_count=1, seed=seed)
        flash.cut_power_after(1)
        assert raises(PowerCut, lambda: flash.writeblocks(0, bytes(64), 0))
        flash.restore_power()
        states.add(_read(flash, 0, 0, 64))
    assert len(states) > 20


def test_power_cut_in_an_erase_leaves_bits_between_old_and_erased():
    flash = NorFlash(sector_size=256, sector_count=2, seed=3)
    flash.writeblocks(1, bytes(256), 0)
    flash.cut_power_after(1)
    assert raises(PowerCut, lambda: flash.ioctl(6, 1))
    flash.restore_power()
    state = _read(flash, 1, 0, 256)
    assert state != b"\xff" * 256 and state != bytes(256)
    assert flash.erase_counts == [0, 0]
    flash.ioctl(6, 1)
    assert _read(flash, 1, 0, 256) == b"\xff" * 256


def test_flip_bit_changes_one_bit():
    flash = NorFlash(sector_size=256, sector_count=2)
    flash.writeblocks(1, b"\x00", 5)
    flash.flip_bit(256 + 5, 3)
    assert _read(flash, 1, 5, 1) == b"\x08"


def test_file_backed_flash_survives_reopening():
    path = scratch_path("flash.bin")
    flash = NorFlash(path, sector_size=256, sector_count=4)
    assert _read(flash, 2, 0, 256) == b"\xff" * 256
    flash.writeblocks(2, b"kept", 100)
    flash.ioctl(3, 0)
    flash.close()

    again = NorFlash(path, sector_size=256, sector_count=4)
    assert _read(again, 2, 100, 4) == b"kept"
    assert raises(FlashRuleError, lambda: again.writeblocks(2, b"\xff", 100))
    again.close()


def test_reads_land_in_part_of_a_larger_buffer_in_ram_and_in_a_file():
    for path in (None, scratch_path("read-into.bin")):
        flash = NorFlash(path, sector_size=256, sector_count=2)
        flash.writeblocks(1, b"\x12\x34\x56", 10)
        buffer = bytearray(b"\xaa" * 8)
        flash.readblocks(1, memoryview(buffer)[2:6], 9)
        assert buffer == b"\xaa\xaa\xff\x12\x34\x56\xaa\xaa"
        assert flash.bytes_read == 4
        flash.close()


def _error_of(action):
    try:
        action()
    except (OSError, ValueError) as error:
        return error
    return None


def test_flash_file_of_another_size_is_refused_and_left_as_it_is():
    for size in (256 * 4 - 100, 256 * 5, 0):
        path = scratch_path("wrong-size.bin")
        with open(path, "wb") as file:
            file.write(b"\x00" * size)

        error = _error_of(lambda: NorFlash(path, sector_size=256, sector_count=4))
        assert error is not None
        message = str(error)
        assert path in message and ("%d bytes" % size) in message and "1024" in message

        # The file is the merchant's journal: not resized, not rewritten.
        with open(path, "rb") as file:
            assert file.read() == b"\x00" * size


def test_flash_file_cut_short_while_open_fails_the_read():
    path = scratch_path("cut-short.bin")
    flash = NorFlash(path, sector_size=256, sector_count=4)
    flash.writeblocks(3, b"old", 0)
    flash.ioctl(3, 0)
    with open(path, "wb") as file:
        file.write(b"\xff" * 256)

    buffer = bytearray(b"stale")
    assert _error_of(lambda: flash.readblocks(3, buffer, 0)) is not None
    assert _error_of(lambda: flash.writeblocks(3, b"\x00", 10)) is not None
    flash.close()
