# Carving a board's storage area into a smaller file system and the journal's
# region, on the MicroPython unix port's littlefs over an emulated NOR flash.
# MicroPython only (CPython has no vfs): tests/test_carve_fs.py runs these.
import os

import vfs

from checks import raises
from norflash import NorFlash, PowerCut
from terminal import carve
from terminal.journal import Journal

_SECTOR = 4096
_TOTAL = 64
_JOURNAL = 12
_STORE_EXPR = "STORE"


class Tracked:
    """A device that notes which blocks were programmed or erased."""

    def __init__(self, device):
        self.device = device
        self.written = set()

    def readblocks(self, block, buf, offset=0):
        self.device.readblocks(block, buf, offset)

    def writeblocks(self, block, buf, offset=None):
        self.written.add(block)
        self.device.writeblocks(block, buf, offset)

    def ioctl(self, op, arg):
        if op == 6:
            self.written.add(arg)
        return self.device.ioctl(op, arg)


def _bytes(seed, length):
    out = bytearray(length)
    state = seed * 2654435761 & 0xFFFFFFFF or 1
    for index in range(length):
        state ^= (state << 13) & 0xFFFFFFFF
        state ^= state >> 17
        state ^= (state << 5) & 0xFFFFFFFF
        out[index] = state & 0xFF
    return bytes(out)


_FILES = {
    "main.py": b"print('hello')\n",
    "active": b"a\n",
    "empty.txt": b"",
    "a/config.json": b'{"merchant_name": "SHOP"}',
    "a/lib/terminal/app.mpy": _bytes(1, 9000),
    "a/gb2312.bin": _bytes(2, 30000),
    "reslip-settings.json": _bytes(3, 4096),
}

_mounts = [0]


def _mount_point():
    _mounts[0] += 1
    return "/carve%d" % _mounts[0]


def _board(progsize=None, program_unit=1, page_size=0):
    """A fresh store holding a full-size file system with _FILES on it, as a
    board has before carving; mounted at the returned mount point."""
    store = NorFlash(None, _SECTOR, _TOTAL, program_unit=program_unit, page_size=page_size)
    options = {} if progsize is None else {"progsize": progsize}
    vfs.VfsLfs2.mkfs(store, **options)
    mount_point = _mount_point()
    vfs.mount(vfs.VfsLfs2(store, **options), mount_point)
    _put(mount_point, _FILES)
    return store, mount_point


def _put(mount_point, files):
    for path, data in sorted(files.items()):
        parts = path.split("/")
        for depth in range(1, len(parts)):
            try:
                os.mkdir(mount_point + "/" + "/".join(parts[:depth]))
            except OSError:
                pass
        with open(mount_point + "/" + path, "wb") as file:
            file.write(data)


def _walk(mount_point, folder=""):
    """{path: bytes} of every file under mount_point: what the PC keeps."""
    found = {}
    for entry in os.ilistdir(mount_point + "/" + folder if folder else mount_point):
        name, kind = entry[0], entry[1]
        path = folder + "/" + name if folder else name
        if kind == 0x4000:
            found.update(_walk(mount_point, path))
        else:
            with open(mount_point + "/" + path, "rb") as file:
                found[path] = file.read()
    return found


def _carve(store, mount_point, progsize=None, files=None):
    """What `reslip flash` does, step by step, with the PC's copy in RAM."""
    layout = carve.plan(store.ioctl(4, 0), _JOURNAL)
    if carve.is_carved(layout, mount_point):
        return layout, False
    kept = files if files is not None else _walk(mount_point)
    carve.make_file_system(store, layout, mount_point, progsize)
    _put(mount_point, kept)
    carve.erase_journal(store, layout)
    options = "" if progsize is None else ",progsize=%d" % progsize
    source = carve.boot_source(_STORE_EXPR, layout, mount_point, options)
    carve.write_stub(store, carve.stub_files(source, mount_point), mount_point + "-stub",
                     progsize)
    carve.write_layout(layout, mount_point)
    return layout, True


def _stock_boot(store, mount_point, progsize=None):
    """The board's frozen _boot.py (rp2's: format the area if it does not
    mount), then boot.py from the mounted file system."""
    options = {} if progsize is None else {"progsize": progsize}
    try:
        vfs.umount(mount_point)
    except OSError:
        pass
    try:
        fs = vfs.VfsLfs2(store, **options)
    except OSError:
        vfs.VfsLfs2.mkfs(store, **options)
        fs = vfs.VfsLfs2(store, **options)
    vfs.mount(fs, mount_point)
    try:
        with open(mount_point + "/boot.py") as file:
            source = file.read()
    except OSError:
        return
    # A board prints what boot.py raised and goes on.
    try:
        exec(source, {"STORE": store})
    except Exception as error:  # noqa: BLE001
        print("boot.py failed:", repr(error))


def _unmount(mount_point):
    try:
        vfs.umount(mount_point)
    except OSError:
        pass


def test_a_file_system_made_smaller_does_not_mount_over_the_whole_area():
    # Why the stub exists: the board's boot mounts the whole area.
    store = NorFlash(None, _SECTOR, _TOTAL)
    layout = carve.plan(_TOTAL, _JOURNAL)
    vfs.VfsLfs2.mkfs(carve.Region(store, layout["fs_first"], layout["fs_blocks"]))
    assert raises(OSError, lambda: vfs.VfsLfs2(store)) is not None


def test_carving_keeps_every_file_byte_for_byte():
    store, mount_point = _board()
    layout, changed = _carve(store, mount_point)
    assert changed
    assert _walk(mount_point) == dict(_FILES, **{carve.LAYOUT_NAME: _walk(mount_point)[
        carve.LAYOUT_NAME]})
    assert os.statvfs(mount_point)[2] == layout["fs_blocks"]
    _unmount(mount_point)


def test_after_a_reboot_the_real_file_system_is_mounted_and_the_journal_is_empty():
    store, mount_point = _board()
    layout, _ = _carve(store, mount_point)
    _unmount(mount_point)

    _stock_boot(store, mount_point)
    assert os.statvfs(mount_point)[2] == layout["fs_blocks"]
    on_board = _walk(mount_point)
    for path, data in _FILES.items():
        assert on_board[path] == data, path

    region = carve.journal_region(store, mount_point)
    assert region.ioctl(4, 0) == _JOURNAL
    journal = Journal(region).mount()
    assert list(journal.records()) == []
    _unmount(mount_point)


def test_the_journal_and_the_file_system_never_touch_each_others_blocks():
    store, mount_point = _board()
    layout, _ = _carve(store, mount_point)
    _unmount(mount_point)
    tracked = Tracked(store)
    _stock_boot(tracked, mount_point)

    # The file system written hard, then the journal filled past one round.
    for round_ in range(6):
        with open(mount_point + "/scratch%d.bin" % round_, "wb") as file:
            file.write(_bytes(10 + round_, 8000))
        os.remove(mount_point + "/scratch%d.bin" % round_)
    fs_written = set(tracked.written)
    tracked.written.clear()
    journal = Journal(carve.journal_region(tracked, mount_point)).mount()
    for voucher in range(150):
        journal.append(_bytes(voucher, 200))
    journal_written = set(tracked.written)

    fs_area = set(range(layout["fs_first"], layout["fs_first"] + layout["fs_blocks"]))
    journal_area = set(range(layout["journal_first"], layout["total_blocks"]))
    assert fs_written and fs_written <= fs_area
    assert journal_written and journal_written <= journal_area
    for path, data in _FILES.items():
        with open(mount_point + "/" + path, "rb") as file:
            assert file.read() == data, path
    _unmount(mount_point)


def test_the_stub_lives_in_its_two_blocks():
    for progsize in (None, 256):
        store, mount_point = _board(progsize, program_unit=1 if progsize is None else 256,
                                    )
        layout = carve.plan(_TOTAL, _JOURNAL)
        options = "" if progsize is None else ",progsize=256"
        files = carve.stub_files(carve.boot_source(_STORE_EXPR, layout, "/x", options), "/x")
        assert len(files) > 2
        _unmount(mount_point)
        tracked = Tracked(store)
        carve.write_stub(tracked, files, mount_point + "-stub", progsize)
        assert tracked.written == {0, 1}


def test_a_second_carve_changes_nothing():
    store, mount_point = _board()
    _carve(store, mount_point)
    before = store.image()
    layout, changed = _carve(store, mount_point)
    assert not changed
    assert store.image() == before
    _unmount(mount_point)


def test_carving_on_a_flash_with_256_byte_pages_as_the_pico_s():
    store, mount_point = _board(256, program_unit=256)
    layout, _ = _carve(store, mount_point, progsize=256)
    _unmount(mount_point)
    _stock_boot(store, mount_point, progsize=256)
    assert os.statvfs(mount_point)[2] == layout["fs_blocks"]
    assert _walk(mount_point)["a/gb2312.bin"] == _FILES["a/gb2312.bin"]
    journal = Journal(carve.journal_region(store, mount_point), program_unit=256,
                      page_size=256).mount()
    journal.append(b"sale")
    assert [payload for _, payload in journal.records()] == [b"sale"]
    _unmount(mount_point)


def test_a_power_cut_at_any_step_of_carving_loses_nothing_after_a_rerun():
    # The PC's copy is taken before anything is written; a cut at every
    # program or erase of carving, then a boot and a rerun from that copy.
    store, mount_point = _board()
    kept = _walk(mount_point)
    _unmount(mount_point)
    original = store.image()

    cut = 1
    while True:
        store.load_image(original)
        store.restore_power()
        _stock_boot(store, mount_point)
        store.cut_power_after(cut)
        try:
            _carve(store, mount_point, files=kept)
            finished = True
        except PowerCut:
            finished = False
        _unmount(mount_point)
        store.restore_power()
        if finished:
            break

        # Whatever the cut left boots (the stock boot formats an area it
        # cannot mount), and the rerun from the PC's copy completes.
        _stock_boot(store, mount_point)
        layout, _ = _carve(store, mount_point, files=kept)
        _unmount(mount_point)
        _stock_boot(store, mount_point)
        on_board = _walk(mount_point)
        for path, data in kept.items():
            assert on_board.get(path) == data, "cut %d: %s" % (cut, path)
        assert list(Journal(carve.journal_region(store, mount_point)).mount().records()) == []
        _unmount(mount_point)
        cut += 7  # every seventh operation keeps the run short
    assert cut > 50


def test_a_board_that_was_not_carved_has_no_journal_region():
    store, mount_point = _board()
    assert raises(OSError, lambda: carve.journal_region(store, mount_point)) is not None
    _unmount(mount_point)
