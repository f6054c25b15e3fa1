# The flash layout of a real board: the storage area MicroPython keeps its
# file system in (rp2.Flash() on the Pico, the "vfs" partition on the ESP32)
# is shared between a smaller file system and the journal's raw region.
#
#     block 0-1      stub: a tiny littlefs spanning the whole area, holding
#                    only a boot.py (in pieces small enough to stay inline in
#                    its two metadata blocks)
#     block 2..      the board's real file system (fs_blocks)
#     last blocks    the journal's region (journal_blocks), raw flash
#
# Why a stub: the board's frozen _boot.py mounts the whole area at every boot
# and, if that fails, re-formats it (rp2) or stops (esp32). littlefs refuses
# to mount a file system made for another block count, so a file system that
# was simply made smaller would be wiped at the next boot. The stub mounts
# cleanly there; its boot.py then swaps "/" for the real file system. The stub
# is never written after carving: a write to it could land anywhere.
#
# Carving is run over the raw REPL by `reslip flash` (host_tools/reslip/carve.py),
# which keeps a copy of every file on the PC first. Steps, each safe to repeat:
#   make_file_system()  unmount "/", make the real file system, mount it
#   (the PC puts the files back)
#   erase_journal()     the region blank: an empty journal (skipped when
#                       holds_journal(): carved before, its records are kept)
#   write_stub()        from here the board boots into the carved layout
#   write_layout()      the marker: carving is complete
#
# Uses the block-device protocol only (readblocks, 4-argument writeblocks,
# ioctl 4/5/6), so it runs the same over rp2.Flash, esp32.Partition and the
# emulated NOR flash of the tests.

from micropython import const

LAYOUT_NAME = "reslip-layout.json"
STUB_BLOCKS = const(2)

# Inline files of littlefs are limited by its cache: 4 x progsize, so 128
# bytes with the default progsize of 32 (the ESP32's boot mount).
_INLINE_BYTES = const(128)
_BOOT_PIECE = ".reslip-boot"

# A journal sector's header (terminal/journal.py): magic, four u32, CRC-32.
_JOURNAL_HEADER = const(24)
_JOURNAL_MAGICS = (0x034A5352, 0x024A5352)  # "RSJ", formats 3 and 2

_IOCTL_BLOCK_COUNT = const(4)
_IOCTL_BLOCK_SIZE = const(5)
_IOCTL_BLOCK_ERASE = const(6)
_EINVAL = const(22)


class Region:
    """Blocks first .. first + count - 1 of `device`, as a block device."""

    def __init__(self, device, first, count):
        if first < 0 or count <= 0 or first + count > device.ioctl(_IOCTL_BLOCK_COUNT, 0):
            raise ValueError("region outside the device")
        self.device = device
        self.first = first
        self.count = count

    def _check(self, block):
        if not 0 <= block < self.count:
            raise OSError(_EINVAL)

    def readblocks(self, block, buf, offset=0):
        self._check(block)
        self.device.readblocks(self.first + block, buf, offset)

    def writeblocks(self, block, buf, offset):
        # Only the programming form: the 3-argument one erases first on rp2
        # and esp32, and the journal and littlefs erase by ioctl 6 themselves.
        self._check(block)
        self.device.writeblocks(self.first + block, buf, offset)

    def ioctl(self, op, arg):
        if op == _IOCTL_BLOCK_COUNT:
            return self.count
        if op == _IOCTL_BLOCK_ERASE:
            self._check(arg)
            return self.device.ioctl(op, self.first + arg)
        return self.device.ioctl(op, arg)


def plan(total_blocks, journal_blocks):
    """The layout of an area of total_blocks with journal_blocks for the journal."""
    fs_blocks = total_blocks - STUB_BLOCKS - journal_blocks
    # littlefs needs a handful of blocks to be of any use.
    if journal_blocks < 2 or fs_blocks < 16:
        raise ValueError("area of %d blocks too small for a %d-block journal"
                         % (total_blocks, journal_blocks))
    return {"total_blocks": total_blocks, "fs_first": STUB_BLOCKS, "fs_blocks": fs_blocks,
            "journal_first": total_blocks - journal_blocks, "journal_blocks": journal_blocks}


def _prefix(mount_point):
    return mount_point if mount_point.endswith("/") else mount_point + "/"


def boot_source(store_expr, layout, mount_point="/", lfs_options=""):
    """The program the stub runs at boot: mounts the real file system at
    mount_point, or the stub read-only when the real one does not mount."""
    # TODO: on rp2, rp2.Flash(start=, len=) would serve the file system
    # without a Python call per block; the view is kept for one program on
    # both boards until its speed is measured on a Pico.
    return "\n".join((
        "import vfs",
        "S=%s" % store_expr,
        "class R:",
        " def readblocks(s,b,u,o=0):S.readblocks(%d+b,u,o)" % layout["fs_first"],
        " def writeblocks(s,b,u,o):S.writeblocks(%d+b,u,o)" % layout["fs_first"],
        " def ioctl(s,c,a):",
        "  if c==4:return %d" % layout["fs_blocks"],
        "  if c==6:return S.ioctl(6,%d+a)" % layout["fs_first"],
        "  return S.ioctl(c,a)",
        "try:",
        " vfs.umount(%r)" % mount_point,
        "except OSError:",
        " pass",
        "try:",
        " vfs.mount(vfs.VfsLfs2(R()%s),%r)" % (lfs_options, mount_point),
        "except OSError:",
        " vfs.mount(vfs.VfsLfs2(S%s),%r,readonly=True)" % (lfs_options, mount_point),
        "",
    ))


def stub_files(source, mount_point="/"):
    """[(name, text)]: boot.py and the pieces of `source` it joins and runs,
    each small enough to stay inline in the stub's metadata blocks."""
    prefix = _prefix(mount_point)
    pieces = [source[start:start + _INLINE_BYTES]
              for start in range(0, len(source), _INLINE_BYTES)]
    loader = ("s=''\nfor i in range(%d):\n f=open('%s%s%%d'%%i);s+=f.read();f.close()\n"
              "exec(s)\n" % (len(pieces), prefix, _BOOT_PIECE))

    # boot.py last: a cut while writing leaves no boot.py that would run a
    # program with pieces missing.
    files = [("%s%d" % (_BOOT_PIECE, index), piece) for index, piece in enumerate(pieces)]
    files.append(("boot.py", loader))
    for name, text in files:
        if len(text) > _INLINE_BYTES:
            raise ValueError("stub file %s too long" % name)
    return files


def _unmount(mount_point):
    import vfs
    try:
        vfs.umount(mount_point)
    except OSError:
        pass  # nothing mounted there


def make_file_system(store, layout, mount_point="/", progsize=None):
    """Unmounts mount_point, makes the real file system empty in its region
    and mounts it there."""
    import vfs
    options = {} if progsize is None else {"progsize": progsize}
    region = Region(store, layout["fs_first"], layout["fs_blocks"])
    _unmount(mount_point)
    vfs.VfsLfs2.mkfs(region, **options)
    vfs.mount(vfs.VfsLfs2(region, **options), mount_point)


def erase_journal(store, layout):
    """The journal's region erased: it mounts as an empty journal."""
    first = layout["journal_first"]
    for block in range(first, first + layout["journal_blocks"]):
        store.ioctl(_IOCTL_BLOCK_ERASE, block)


def holds_journal(store, layout):
    """True when a block of the journal's region starts with a journal sector
    header: carved before, its journal is kept, since it may hold sales no PC
    has pulled yet."""
    import struct
    try:
        from binascii import crc32
    except ImportError:  # a build without it: the magic alone decides
        crc32 = None
    header = bytearray(_JOURNAL_HEADER)
    first = layout["journal_first"]
    for block in range(first, first + layout["journal_blocks"]):
        store.readblocks(block, header, 0)
        magic, check = struct.unpack_from("<I", header, 0)[0], \
            struct.unpack_from("<I", header, _JOURNAL_HEADER - 4)[0]
        if magic in _JOURNAL_MAGICS and (
                crc32 is None or crc32(bytes(header[0:_JOURNAL_HEADER - 4])) == check):
            return True
    return False


def write_stub(store, files, stub_mount="/reslip-stub", progsize=None):
    """Makes the stub over the whole area and writes `files` into it. Touches
    blocks 0 and 1 only: the files all stay inline."""
    import vfs
    options = {} if progsize is None else {"progsize": progsize}
    vfs.VfsLfs2.mkfs(store, **options)
    vfs.mount(vfs.VfsLfs2(store, **options), stub_mount)
    try:
        for name, text in files:
            with open(_prefix(stub_mount) + name, "w") as file:
                file.write(text)
    finally:
        vfs.umount(stub_mount)


def write_layout(layout, mount_point="/"):
    import json
    path = _prefix(mount_point) + LAYOUT_NAME
    with open(path + ".new", "w") as file:
        json.dump(layout, file)
    import os
    os.rename(path + ".new", path)


def read_layout(mount_point="/"):
    """The layout carving left, or None when the board was not carved."""
    import json
    try:
        with open(_prefix(mount_point) + LAYOUT_NAME) as file:
            return json.load(file)
    except (OSError, ValueError):
        return None


def is_carved(layout, mount_point="/"):
    """True when the file system mounted at mount_point is the real one of
    `layout`, with carving complete."""
    import os
    found = read_layout(mount_point)
    if found is None:
        return False
    for key in ("total_blocks", "fs_first", "fs_blocks", "journal_first", "journal_blocks"):
        if found.get(key) != layout[key]:
            return False
    return os.statvfs(mount_point)[2] == layout["fs_blocks"]


def journal_region(store, mount_point="/"):
    """The journal's region as carving recorded it; refuses an area that was
    not carved, where the region would still be the file system's."""
    layout = read_layout(mount_point)
    if layout is None or layout.get("total_blocks") != store.ioctl(_IOCTL_BLOCK_COUNT, 0):
        raise OSError("flash not set up for the journal: run reslip flash")
    return Region(store, layout["journal_first"], layout["journal_blocks"])
