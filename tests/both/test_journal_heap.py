# Journal.append on its steady path allocates nothing but the SHA-256 of its
# link. Under MicroPython heap_lock() makes any allocation raise MemoryError;
# under CPython it does nothing, and these tests check only the results.
import gc

import micropython

from terminal.journal import Journal, record_hash


class _RamFlash:
    """A NOR flash in RAM whose reads and writes allocate nothing, so that
    what the heap lock catches is the journal's own doing."""

    def __init__(self, sector_size=4096, sector_count=4):
        self.sector_size = sector_size
        self.sector_count = sector_count
        self.data = bytearray(b"\xff" * (sector_size * sector_count))

    def readblocks(self, block, buf, offset=0):
        data = self.data
        start = block * self.sector_size + offset
        for index in range(len(buf)):
            buf[index] = data[start + index]

    def writeblocks(self, block, buf, offset=0):
        data = self.data
        start = block * self.sector_size + offset
        for index in range(len(buf)):
            data[start + index] &= buf[index]

    def ioctl(self, op, arg):
        if op == 4:
            return self.sector_count
        if op == 5:
            return self.sector_size
        if op == 6:
            start = arg * self.sector_size
            for index in range(start, start + self.sector_size):
                self.data[index] = 0xFF
            return 0
        return None


class _PrecomputedLinkJournal(Journal):
    """The journal with its one SHA-256 replaced by a digest made beforehand,
    to show that every other step of append allocates nothing."""

    digest = bytes(range(32))

    def _link_digest(self, payload):
        return self.digest


def _locked_appends(journal, payload, count):
    vouchers = bytearray(count)
    micropython.heap_lock()
    try:
        for index in range(count):
            vouchers[index] = journal.append(payload)
    finally:
        micropython.heap_unlock()
    return list(vouchers)


def test_append_allocates_nothing_besides_the_link_hash():
    payload = bytes(range(70))
    for unit in (1, 256):
        journal = _PrecomputedLinkJournal(_RamFlash(), program_unit=unit).mount()

        # The first append after a mount starts a sector and writes a filler;
        # the second makes the view of this length. Steady from then on.
        journal.append(payload)
        journal.append(payload)
        assert _locked_appends(journal, payload, 5) == [3, 4, 5, 6, 7], unit
        assert journal.read(7) == payload
        assert journal.chain_hash() == bytes(range(8))


def test_the_real_append_allocates_only_a_hash_worth_of_bytes():
    # MicroPython counts heap bytes in use; CPython has no such count.
    if not hasattr(gc, "mem_alloc"):
        return
    journal = Journal(_RamFlash()).mount()
    small = bytes(20)
    large = bytes(200)
    for payload in (small, large, small, large):
        journal.append(payload)
    used = []
    for payload in (small, large):
        gc.collect()
        gc.disable()
        before = gc.mem_alloc()
        journal.append(payload)
        used.append(gc.mem_alloc() - before)
        gc.enable()
    # The hash object and its 32-byte digest, whatever the record's size: a
    # copy of the 200-byte payload would not fit in this.
    assert max(used) <= 256, used


def test_appends_under_the_lock_are_linked_like_any_other():
    journal = Journal(_RamFlash()).mount()
    payload = b"a sale of 12.50"
    journal.append(payload)
    journal.append(payload)
    items = list(journal.records(links=True))
    assert items[1][2] == record_hash(1, items[0][2], payload)
