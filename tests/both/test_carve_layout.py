# The carved layout's arithmetic, the region view and the stub's boot files,
# under both runtimes (the file-system steps: carve_fs_checks.py).
from checks import raises
from norflash import NorFlash
from terminal import carve


def test_the_plan_puts_the_stub_first_the_journal_last_and_the_file_system_between():
    for total, journal in ((352, 64), (512, 64), (64, 12)):
        layout = carve.plan(total, journal)
        assert layout["fs_first"] == carve.STUB_BLOCKS
        assert layout["fs_first"] + layout["fs_blocks"] == layout["journal_first"]
        assert layout["journal_first"] + layout["journal_blocks"] == total


def test_a_plan_that_leaves_no_room_is_refused():
    assert raises(ValueError, lambda: carve.plan(20, 10)) is not None
    assert raises(ValueError, lambda: carve.plan(512, 1)) is not None


def test_the_region_moves_blocks_and_keeps_inside_its_bounds():
    flash = NorFlash(None, 256, 8)
    region = carve.Region(flash, 5, 3)
    assert region.ioctl(4, 0) == 3
    assert region.ioctl(5, 0) == 256
    region.writeblocks(1, b"\x12\x34", 10)
    buf = bytearray(2)
    flash.readblocks(6, buf, 10)
    assert bytes(buf) == b"\x12\x34"
    region.readblocks(1, buf, 10)
    assert bytes(buf) == b"\x12\x34"
    region.ioctl(6, 1)
    flash.readblocks(6, buf, 10)
    assert bytes(buf) == b"\xff\xff"
    assert raises(OSError, lambda: region.writeblocks(3, b"\x00", 0)) is not None
    assert raises(OSError, lambda: region.ioctl(6, 3)) is not None
    assert raises(OSError, lambda: region.readblocks(-1, buf)) is not None
    assert raises(ValueError, lambda: carve.Region(flash, 6, 3)) is not None


def test_the_stub_files_rebuild_the_boot_program_and_each_stays_inline():
    layout = carve.plan(512, 64)
    source = carve.boot_source("__import__('esp32').Partition.find(1,label='vfs')[0]", layout)
    files = carve.stub_files(source)
    assert files[-1][0] == "boot.py"
    assert "".join(text for name, text in files[:-1]) == source
    for name, text in files:
        assert len(text) <= 128, name
    # The program mounts the real file system's blocks, read-only stub otherwise.
    assert "return %d" % layout["fs_blocks"] in source
    assert "readonly=True" in source
