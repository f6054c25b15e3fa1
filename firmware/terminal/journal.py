# The transaction journal: an append-only ring of records on a raw flash
# region, reached only through MicroPython's block-device protocol
# (readblocks, 4-argument writeblocks, ioctl 4/5/6).
#
# Each record gets a voucher number (32-bit, from 1, strictly increasing,
# never reused) and is framed with CRC-32 so that a record torn by a power cut
# or damaged later is found and never returned. Sectors are used in ring order
# and recycled oldest first; each starts with a header carrying a 32-bit
# generation number, the first voucher it may hold, the export mark and
# whether the near-full warning has been acknowledged for that mark.
#
# Each record also carries a link: the hash of the record before it (the
# first 8 bytes of SHA-256 over that record's voucher, link and payload), so
# that a record edited, removed or inserted later breaks the chain where it
# was. The journal keeps only the newest record's hash in RAM.
# The format on flash is described in docs/journal-format.md.
#
# RAM: one sector buffer and one header buffer, allocated in the constructor.
# Mount reads one header per sector plus the newest sector.

from micropython import const
import hashlib
import struct

from terminal.crc32 import crc32

_ERASED = const(0xFF)
_MASK32 = const(0xFFFFFFFF)
_HALF32 = const(0x80000000)

_IOCTL_BLOCK_COUNT = const(4)
_IOCTL_BLOCK_SIZE = const(5)
_IOCTL_BLOCK_ERASE = const(6)
_EIO = const(5)

# Sector header: magic, sequence, first voucher, export mark, warned (export
# mark + 1 at which the near-full warning was acknowledged, 0 for none), CRC-32.
_SECTOR_HEADER = "<IIIIII"
_SECTOR_HEADER_SIZE = const(24)
_SECTOR_HEADER_CHECKED = const(20)
_SECTOR_MAGIC = const(0x034A5352)  # "RSJ" and format version 3, little-endian
_SECTOR_MAGIC_V2 = const(0x024A5352)  # format 2: the same header, records without links

# Record entry: kind, flags, payload length, voucher, header CRC-32, then
# (linked records only) the link, then the payload and a CRC-32 over
# everything before it.
_ENTRY_HEADER = "<BBHII"
_ENTRY_HEADER_SIZE = const(12)
_ENTRY_OVERHEAD = const(16)
_LINK_SIZE = const(8)
_LINKED_HEADER_SIZE = const(20)  # entry header and link
_KIND_LINKED = const(0x4C)  # "L": a record with its link, written by format 3
_KIND_RECORD = const(0x52)  # "R": a record without a link, format 2, only read
_KIND_MARK = const(0x4D)  # "M": export mark, voucher field = exported up to
_KIND_WARNED = const(0x41)  # "A": near-full warning acknowledged, voucher field = export mark
_KIND_FILLER = const(0x00)  # one program unit cleared to 0, skipped by readers

# What the entry at an offset turned out to be.
_END = const(0)
_FILLER = const(1)
_VALID = const(2)
_CORRUPT = const(3)  # header intact, payload or CRC not: torn or damaged
_GARBAGE = const(4)  # header unreadable: skipped by searching for the next one

# CRC-32 over data followed by its own CRC (little-endian) is always this, so
# a read-back entry is checked without slicing it apart.
_CRC_RESIDUE = const(0x2144DF1C)

# Views of the sector buffer's first n bytes kept for reuse, so that appending
# records of a length seen recently allocates nothing.
_SIZED_VIEWS = const(4)

# The link of the first record ever, and of the first after a format.
START_LINK = b"\x00" * _LINK_SIZE
# The link reported for a record written by format 2, which kept none.
NO_LINK = b"\xff" * _LINK_SIZE


# What format() must be handed: the admin menu passes it after the PIN and a
# confirmation, so nothing erases the journal by accident.
FORMAT_CONFIRMATION = "ERASE JOURNAL"


class JournalFull(Exception):
    """No sector can be recycled without losing records not yet exported."""


def record_hash(voucher, link, payload):
    """What the next record's link holds: the first 8 bytes of SHA-256 over
    voucher (u32 little-endian), this record's link and its payload."""
    digest = hashlib.sha256(struct.pack("<I", voucher))
    digest.update(link)
    digest.update(payload)
    return digest.digest()[:_LINK_SIZE]


def _sequence_after(a, b):
    # Sequence arithmetic: a is newer than b if it is less than half the
    # 32-bit space ahead of it.
    distance = (a - b) & _MASK32
    return 0 < distance < _HALF32


class Journal:
    """An append-only journal of (voucher, payload) records on a block device."""

    def __init__(self, device, program_unit=1, page_size=0, near_full_percent=80,
                 overwrite_oldest=False):
        self._device = device
        self._sector_count = device.ioctl(_IOCTL_BLOCK_COUNT, 0)
        self._sector_size = device.ioctl(_IOCTL_BLOCK_SIZE, 0)
        self._unit = program_unit
        self._page_size = page_size
        self._near_full_percent = near_full_percent
        self._overwrite_oldest = overwrite_oldest
        if self._sector_count < 2 or self._sector_size % program_unit:
            raise ValueError("journal needs 2 sectors and a unit dividing the sector")
        if page_size and (page_size % program_unit or self._sector_size % page_size):
            raise ValueError("page size must be a multiple of the unit and divide the sector")

        # The one sector buffer: reads, walks, and records being built.
        self._buffer = bytearray(self._sector_size)
        self._view = memoryview(self._buffer)
        self._buffered = -1  # sector whose bytes the buffer holds, -1 for none
        self._header = bytearray(_SECTOR_HEADER_SIZE)

        # Fixed views for building an entry, and views by length for
        # programming it: made here so that append allocates nothing.
        self._entry_checked = self._view[0:8]
        self._entry_head = self._view[0:_ENTRY_HEADER_SIZE]
        self._linked_head = self._view[0:_LINKED_HEADER_SIZE]
        self._voucher_field = self._view[4:8]
        self._link_field = self._view[_ENTRY_HEADER_SIZE:_LINKED_HEADER_SIZE]
        self._unit_view = self._view[0:program_unit]
        self._header_checked = self._view[0:_SECTOR_HEADER_CHECKED]
        self._sized_lengths = [0] * _SIZED_VIEWS
        self._sized_views = [None] * _SIZED_VIEWS
        self._sized_next = 0

        # The newest record's hash: the link of the next record.
        self._chain = bytearray(_LINK_SIZE)

        self._data_start = self._align(_SECTOR_HEADER_SIZE)
        # Room kept at every sector's end so an export mark always fits.
        self._mark_reserve = self._align(_ENTRY_OVERHEAD)
        room = self._sector_size - self._data_start - self._mark_reserve
        self.max_payload = min(0xFFFF, room // self._unit * self._unit - _ENTRY_OVERHEAD
                               - _LINK_SIZE)
        if self.max_payload < 0:
            raise ValueError("sector too small for the journal")
        self._mounted = False
        self._forget()

    def _forget(self):
        self._head = -1  # newest sector, -1 while the journal is empty
        self._head_sequence = 0
        self._oldest_sector = -1
        self._write_offset = 0
        self._next_voucher = 1
        self._exported = 0
        self._unexported_sector = -1  # sector of the oldest unexported record
        self._warned_at = -1  # export mark the near-full warning was acknowledged at
        self._newest = 0
        self._oldest = 0  # -1: not known yet, found on demand
        self._count = 0  # -1: not known yet, counted on demand
        self._filler_pending = False
        self._set_chain(START_LINK)

    # Mount and recovery.

    def mount(self):
        """Find the newest sector and the write position; repairs nothing yet.

        Blank flash is an empty journal. Damage (a torn record, an erase cut
        short) is left where it is and stepped over; the sector it is in is
        erased again when the ring comes round to it.
        """
        self._forget()
        sector_count = self._sector_count

        # One header per sector: the newest by sequence number is the head. A
        # sector is live when its sequence number fits its place in the ring
        # behind the head; kept as sequence minus index to compare in one go.
        valid = bytearray(sector_count)
        keys = [0] * sector_count
        for sector in range(sector_count):
            header = self._read_header(sector)
            if header is None:
                continue
            valid[sector] = 1
            keys[sector] = (header[0] - sector) & _MASK32
            if self._head < 0 or _sequence_after(header[0], self._head_sequence):
                self._head = sector
                self._head_sequence = header[0]
                first_voucher = header[1]
                self._exported = header[2]
                self._warned_at = header[3]
        if self._head < 0:
            self._mounted = True
            return self

        # TODO: if the newest sector's own header is damaged, the sector
        # before it is taken for the head and the damaged one is recycled
        # next; reading the first entry of the following sector would catch
        # that double fault.
        head_key = (self._head_sequence - self._head) & _MASK32
        for position in range(sector_count):
            sector = (self._head + 1 + position) % sector_count
            wrapped_key = (head_key - sector_count) & _MASK32 if sector > self._head else head_key
            if valid[sector] and keys[sector] == wrapped_key:
                self._oldest_sector = sector
                break
        valid = keys = None

        self._recover_head(first_voucher)
        self._oldest = -1
        self._count = -1
        self._unexported_sector = self._locate_unexported()
        self._mounted = True
        return self

    def _recover_head(self, first_voucher):
        # Walk the newest sector: its records give the newest voucher and the
        # chain's hash, its marks the export mark, and its end the write position.
        sector_size = self._sector_size
        self._load(self._head)
        next_voucher = first_voucher
        newest = 0
        newest_at = -1
        damaged_tail = False
        walked_to = self._data_start
        offset = self._data_start
        while offset < sector_size:
            state, kind, voucher, _, following = self._entry(offset)
            if state == _END:
                break
            if state == _GARBAGE:
                damaged_tail = True
            elif state != _FILLER:
                damaged_tail = False
                if _is_record(kind):
                    # A damaged record's header is intact, so its voucher
                    # was handed out: it is not given again.
                    next_voucher = max(next_voucher, voucher + 1)
                    if state == _VALID and voucher > newest:
                        newest = voucher
                        newest_at = offset
                elif state == _VALID and kind == _KIND_MARK:
                    self._exported = max(self._exported, voucher)
                elif state == _VALID:
                    self._warned_at = max(self._warned_at, voucher)
                walked_to = following
            else:
                walked_to = following
            offset = following

        if offset >= sector_size:
            # The walk ran off the sector's end through damage: write after
            # the last byte that is not erased, never over it.
            last = sector_size - 1
            while last >= walked_to and self._buffer[last] == _ERASED:
                last -= 1
            offset = max(walked_to, self._align(last + 1))
        self._write_offset = offset

        # An unreadable entry at the end may be the newest record with its
        # header damaged: its voucher may have been printed, so skip one.
        if damaged_tail:
            next_voucher += 1
        self._next_voucher = max(next_voucher, self._exported + 1)
        self._newest = newest if newest else -1

        # The next record links to the newest one that can still be read.
        if newest_at >= 0:
            self._set_chain(self._entry_hash(newest_at))
        else:
            self._set_chain(self._hash_before_head())

        # A cut in the middle of a program can leave a unit that reads erased
        # but is not; the first write after mount clears one unit to be sure.
        self._filler_pending = True

    def _hash_before_head(self):
        # The hash of the newest record in the sectors behind the head, or
        # START_LINK when none holds one (a new or formatted journal).
        oldest_position = self._position(self._oldest_sector)
        for position in range(self._sector_count - 2, oldest_position - 1, -1):
            sector = (self._head + 1 + position) % self._sector_count
            if self._live_header(sector) is None:
                continue
            offsets = []
            self._walk(sector, offsets)
            if offsets:
                return self._entry_hash(offsets[-1])
        return START_LINK

    def _entry_hash(self, offset):
        # record_hash() of the valid record entry at offset in the buffer.
        kind, _, length, voucher, _ = struct.unpack_from(_ENTRY_HEADER, self._buffer, offset)
        start = offset + _ENTRY_HEADER_SIZE
        link = NO_LINK
        if kind == _KIND_LINKED:
            link = bytes(self._view[start:start + _LINK_SIZE])
            start += _LINK_SIZE
        return record_hash(voucher, link, self._view[start:start + length])

    def _set_chain(self, digest):
        chain = self._chain
        for index in range(_LINK_SIZE):
            chain[index] = digest[index]

    def chain_hash(self):
        """The newest record's hash, which the next record will link to."""
        return bytes(self._chain)

    # Appending.

    def append(self, payload):
        """Store payload; returns its voucher once it is in flash and reads back whole.

        Linked to the record before it. Once a sector is started and a record
        of the same length was appended lately, the only allocation is the
        SHA-256 of the record (MicroPython's hashlib has no other way).
        """
        # TODO: on a 32-bit port a CRC-32 above 2**30 is a long integer, a
        # small allocation per CRC that the 64-bit unix port does not show;
        # crc32 would have to return its value in a buffer to avoid it.
        if not self._mounted:
            raise OSError(_EIO)
        length = len(payload)
        if length > self.max_payload:
            raise ValueError("record of %d bytes, at most %d fit" % (length, self.max_payload))
        voucher = self._next_voucher
        if voucher > _MASK32:
            raise JournalFull("voucher numbers used up")

        was_empty = self._head < 0
        self._write_entry(_KIND_LINKED, voucher, payload, self._mark_reserve)
        self._next_voucher = voucher + 1
        self._newest = voucher
        if was_empty or self._oldest == 0:
            self._oldest = voucher
        if self._count >= 0:
            self._count += 1
        if self._unexported_sector < 0:
            self._unexported_sector = self._head
        return voucher

    def mark_exported(self, voucher):
        """Record that every record up to voucher is safely on a PC."""
        if not self._mounted:
            raise OSError(_EIO)
        if voucher <= self._exported:
            return
        if voucher > self.newest():
            raise ValueError("voucher %d is not in the journal yet" % voucher)

        # The RAM state first: a sector started for the mark carries it in
        # its header, and may recycle what the mark has just freed.
        # TODO: a second mark in an already full head starts a sector and can
        # be refused as full; keeping the mark in RAM until the next sector
        # starts would avoid that, at the cost of losing it on a power cut.
        self._exported = voucher
        self._unexported_sector = self._locate_unexported()
        self._write_entry(_KIND_MARK, voucher, b"", 0)

    def _write_entry(self, kind, voucher, payload, reserve):
        length = len(payload)
        linked = kind == _KIND_LINKED
        head = self._linked_head if linked else self._entry_head
        body_end = len(head) + length
        size = self._align(body_end + 4)
        self._make_room(size + reserve)
        offset = self._write_offset

        # Build the entry in the sector buffer, padded with the erased value.
        self._buffered = -1
        buf = self._buffer
        struct.pack_into("<BBHI", buf, 0, kind, 0, length, voucher)
        struct.pack_into("<I", buf, 8, crc32(self._entry_checked))
        if linked:
            buf[_ENTRY_HEADER_SIZE:_LINKED_HEADER_SIZE] = self._chain
        buf[len(head):body_end] = payload
        check = crc32(payload, crc32(head))
        struct.pack_into("<I", buf, body_end, check)
        for index in range(body_end + 4, size):
            buf[index] = _ERASED

        # The new hash before anything is programmed: if it fails for want of
        # memory, nothing is written.
        digest = self._link_digest(payload) if linked else None

        # Program, move past it whatever happens next, then read it back.
        entry = self._sized(size)
        self._program(self._head, offset, entry)
        self._write_offset = offset + size
        self._device.readblocks(self._head, entry, offset)
        if crc32(self._sized(body_end + 4)) != _CRC_RESIDUE:
            self._next_voucher = max(self._next_voucher, voucher + 1)
            raise OSError(_EIO)
        if linked:
            self._set_chain(digest)

    def _link_digest(self, payload):
        # record_hash() of the entry built at the start of the buffer, from
        # views made once: the SHA-256 object and its digest are all it
        # allocates.
        digest = hashlib.sha256(self._voucher_field)
        digest.update(self._link_field)
        digest.update(payload)
        return digest.digest()

    def _sized(self, length):
        # A view of the buffer's first length bytes, reused while that length
        # keeps coming back.
        lengths = self._sized_lengths
        for slot in range(_SIZED_VIEWS):
            if lengths[slot] == length:
                return self._sized_views[slot]
        slot = self._sized_next
        self._sized_next = (slot + 1) % _SIZED_VIEWS
        lengths[slot] = length
        self._sized_views[slot] = self._view[0:length]
        return self._sized_views[slot]

    def _make_room(self, size):
        filler = self._unit if self._filler_pending else 0
        if self._head < 0 or self._write_offset + filler + size > self._sector_size:
            self._start_sector()
        elif filler:
            for index in range(filler):
                self._buffer[index] = _KIND_FILLER
            self._buffered = -1
            self._program(self._head, self._write_offset, self._unit_view)
            self._write_offset += filler
        self._filler_pending = False

    def _start_sector(self):
        sector_count = self._sector_count
        target = 0 if self._head < 0 else (self._head + 1) % sector_count
        recycled = self._head >= 0 and self._live_header(target) is not None
        if recycled:
            if target == self._unexported_sector:
                if not self._overwrite_oldest:
                    raise JournalFull("journal full: export it before new records")
                if not self.warning_acknowledged():
                    raise JournalFull("journal full: near-full warning not shown yet")
            if self._count >= 0:
                self._count -= self._count_sector(target)

        # Erase, then the header: a cut between the two leaves a sector with
        # no valid header, which is erased again next time.
        # TODO: at a 256-byte program unit the header takes a whole unit;
        # programming it together with the first entry would fit one more
        # record per sector (15 instead of 14 for 82-byte payloads).
        self._device.ioctl(_IOCTL_BLOCK_ERASE, target)
        sequence = 1 if self._head < 0 else (self._head_sequence + 1) & _MASK32
        buf = self._buffer
        self._buffered = -1
        for index in range(self._data_start):
            buf[index] = _ERASED
        struct.pack_into("<IIIII", buf, 0, _SECTOR_MAGIC, sequence, self._next_voucher,
                         self._exported, (self._warned_at + 1) & _MASK32)
        struct.pack_into("<I", buf, _SECTOR_HEADER_CHECKED, crc32(self._header_checked))
        self._program(target, 0, self._view[0:self._data_start])
        if self._read_header(target) is None:
            raise OSError(_EIO)

        was_empty = self._head < 0
        self._head = target
        self._head_sequence = sequence
        self._write_offset = self._data_start
        if was_empty:
            self._oldest_sector = target
        elif recycled and target == self._oldest_sector:
            self._oldest_sector = self._first_live_after(target)
            self._oldest = -1
            if self._unexported_sector == target:
                self._unexported_sector = self._oldest_sector

    def _program(self, sector, offset, data):
        # Split at page boundaries: SPI NOR wraps a write inside its page.
        page = self._page_size
        if not page or offset // page == (offset + len(data) - 1) // page:
            self._device.writeblocks(sector, data, offset)
            return
        while len(data):
            length = len(data)
            if page:
                length = min(length, page - offset % page)
            self._device.writeblocks(sector, data[0:length], offset)
            offset += length
            data = data[length:]

    # Lookups.

    def read(self, voucher):
        """The payload stored under voucher, or None if it is not held."""
        if voucher < 1 or voucher > self.newest():
            return None
        sector = self._locate(voucher)
        if sector < 0:
            return None
        self._load(sector)
        offset = self._data_start
        while offset < self._sector_size:
            state, kind, found, length, following = self._entry(offset)
            if state == _END:
                break
            if state == _VALID and _is_record(kind):
                if found == voucher:
                    start = _payload_start(offset, kind)
                    return bytes(self._view[start:start + length])
                if found > voucher:
                    break
            offset = following
        return None

    def records(self, start=None, newest_first=False, links=False):
        """Yield (voucher, payload), oldest first from start, or newest first down to start.

        With links, (voucher, payload, link): link is the 8-byte hash of the
        record before (record_hash), NO_LINK for a record of format 2.
        Reads one sector at a time into the journal's buffer; other calls
        between two steps are fine, the sector is read again if needed.
        """
        if self._head < 0:
            return
        sector_count = self._sector_count
        head = self._head
        oldest_position = self._position(self._oldest_sector)
        if newest_first:
            last = sector_count - 1
            if start is not None:
                sector = self._locate(start)
                if sector < 0:
                    return
                last = self._position(sector)
            for position in range(last, oldest_position - 1, -1):
                for item in self._sector_backwards((head + 1 + position) % sector_count, start,
                                                   links):
                    yield item
            return

        first = oldest_position
        if start is not None:
            sector = self._locate(start)
            if sector >= 0:
                first = self._position(sector)
        for position in range(first, sector_count):
            for item in self._sector_forwards((head + 1 + position) % sector_count, start,
                                              links):
                yield item

    def _sector_forwards(self, sector, start, links):
        if self._live_header(sector) is None:
            return
        offset = self._data_start
        while offset < self._sector_size:
            if self._buffered != sector:
                self._load(sector)
            state, kind, voucher, length, following = self._entry(offset)
            if state == _END:
                return
            if state == _VALID and _is_record(kind) and (start is None or voucher >= start):
                yield self._item(offset, kind, voucher, length, links)
            offset = following

    def _sector_backwards(self, sector, start, links):
        if self._live_header(sector) is None:
            return
        offsets = []
        self._walk(sector, offsets)
        for offset in reversed(offsets):
            if self._buffered != sector:
                self._load(sector)
            kind, _, length, voucher, _ = struct.unpack_from(_ENTRY_HEADER, self._buffer, offset)
            if start is None or voucher <= start:
                yield self._item(offset, kind, voucher, length, links)

    def _item(self, offset, kind, voucher, length, links):
        # What records() yields for the valid record entry at offset.
        begin = _payload_start(offset, kind)
        payload = bytes(self._view[begin:begin + length])
        if not links:
            return voucher, payload
        link = NO_LINK
        if kind == _KIND_LINKED:
            link = bytes(self._view[begin - _LINK_SIZE:begin])
        return voucher, payload, link

    def _walk(self, sector, offsets=None):
        # Count the valid records of a sector, noting their offsets if asked.
        self._load(sector)
        count = 0
        first = 0
        last = 0
        offset = self._data_start
        while offset < self._sector_size:
            state, kind, voucher, _, following = self._entry(offset)
            if state == _END:
                break
            if state == _VALID and _is_record(kind):
                count += 1
                last = voucher
                if not first:
                    first = voucher
                if offsets is not None:
                    offsets.append(offset)
            offset = following
        return count, first, last

    def newest(self):
        """Voucher of the newest record held, 0 when empty."""
        if self._newest < 0:
            self._newest = 0
            oldest_position = self._position(self._oldest_sector)
            for position in range(self._sector_count - 1, oldest_position - 1, -1):
                sector = (self._head + 1 + position) % self._sector_count
                if self._live_header(sector) is not None:
                    count, _, last = self._walk(sector)
                    if count:
                        self._newest = last
                        break
        return self._newest

    def oldest(self):
        """Voucher of the oldest record held, 0 when empty."""
        if self._oldest < 0:
            self._oldest = 0
            for position in range(self._position(self._oldest_sector), self._sector_count):
                sector = (self._head + 1 + position) % self._sector_count
                if self._live_header(sector) is not None:
                    count, first, _ = self._walk(sector)
                    if count:
                        self._oldest = first
                        break
        return self._oldest

    @property
    def count(self):
        """Records held; counted once (reads every sector), then kept up to date."""
        if self._count < 0:
            self._count = 0
            for position in range(self._position(self._oldest_sector), self._sector_count):
                self._count += self._count_sector((self._head + 1 + position) % self._sector_count)
        return self._count

    def _count_sector(self, sector):
        if self._live_header(sector) is None:
            return 0
        return self._walk(sector)[0]

    @property
    def capacity_bytes(self):
        return self._sector_count * self._sector_size

    @property
    def used_bytes(self):
        """Bytes from the oldest live sector's start to the write position."""
        if self._head < 0:
            return 0
        return self._span_bytes(self._oldest_sector)

    def _span_bytes(self, sector):
        sectors_before = self._sector_count - 1 - self._position(sector)
        return sectors_before * self._sector_size + self._write_offset

    # Export mark and capacity.

    def exported_up_to(self):
        return self._exported

    def near_full(self):
        """True once records not yet exported take the configured share of the region."""
        if self._unexported_sector < 0:
            return False
        unexported = self._span_bytes(self._unexported_sector)
        return unexported * 100 >= self._near_full_percent * self.capacity_bytes

    def acknowledge_near_full(self):
        """Note that the near-full warning has been shown; False if it was not due.

        With overwrite_oldest, a sector holding records not yet exported is
        recycled only after this, and only until the export mark moves: the
        next time the journal fills, the warning must be shown again. The
        acknowledgement is kept on flash, so it holds across a restart.
        """
        if not self._mounted:
            raise OSError(_EIO)
        if not self.near_full():
            return False
        if self.warning_acknowledged():
            return True

        # The RAM state first: a sector started to hold the entry carries it
        # in its header, and may already recycle unexported records.
        self._warned_at = self._exported
        try:
            self._write_entry(_KIND_WARNED, self._exported, b"", self._mark_reserve)
        except JournalFull:
            # Only when refusing new records: that policy never overwrites,
            # so the acknowledgement is kept in RAM alone.
            pass
        return True

    def warning_acknowledged(self):
        """True when the near-full warning was acknowledged at the current export mark."""
        return self._warned_at == self._exported

    def format(self, confirm):
        """Erase every record; runs only when confirm is FORMAT_CONFIRMATION.

        Never called by mount or by anything in the journal. Voucher numbers
        go on from where they were, so no number printed before is given
        again. A power cut part way leaves the newest records readable and a
        journal that mounts; formatting again finishes the job.
        """
        if confirm != FORMAT_CONFIRMATION:
            raise ValueError("format needs its confirmation")
        if not self._mounted:
            raise OSError(_EIO)
        sector_count = self._sector_count
        if self._head < 0:
            for sector in range(sector_count):
                self._device.ioctl(_IOCTL_BLOCK_ERASE, sector)
            self._buffered = -1
            return

        # Oldest first, so what a cut leaves is still a run of the newest
        # sectors; then a new, empty head carrying the voucher floor; then the
        # old head.
        old_head = self._head
        for position in range(sector_count - 1):
            self._device.ioctl(_IOCTL_BLOCK_ERASE, (old_head + 1 + position) % sector_count)
        self._buffered = -1
        self._warned_at = -1
        self._unexported_sector = -1
        self._start_sector()
        self._device.ioctl(_IOCTL_BLOCK_ERASE, old_head)

        self._oldest_sector = self._head
        self._newest = 0
        self._oldest = 0
        self._count = 0
        self._filler_pending = False
        # The chain starts again: a PC pulling next sees where, and why.
        self._set_chain(START_LINK)

    def _locate_unexported(self):
        # The sector holding the oldest record not yet exported, -1 if none.
        if self._head < 0 or self._exported >= self.newest():
            return -1
        sector = self._locate(self._exported + 1)
        return self._oldest_sector if sector < 0 else sector

    # Sectors.

    def _align(self, size):
        unit = self._unit
        return (size + unit - 1) // unit * unit

    def _position(self, sector):
        # Place in the ring: 0 is just after the head, sector_count - 1 the head.
        return (sector - self._head - 1) % self._sector_count

    def _load(self, sector):
        self._device.readblocks(sector, self._buffer, 0)
        self._buffered = sector

    def _read_header(self, sector):
        # (sequence, first voucher, export mark, warned-at mark or -1) if the
        # header is whole, else None.
        header = self._header
        self._device.readblocks(sector, header, 0)
        magic, sequence, first_voucher, exported, warned, check = struct.unpack(
            _SECTOR_HEADER, header)
        if (magic != _SECTOR_MAGIC and magic != _SECTOR_MAGIC_V2) \
                or crc32(memoryview(header)[0:_SECTOR_HEADER_CHECKED]) != check:
            return None
        return sequence, first_voucher, exported, warned - 1

    def _live_header(self, sector):
        # A whole header whose sequence number fits its place behind the head.
        if self._head < 0:
            return None
        header = self._read_header(sector)
        if header is None:
            return None
        expected = (self._head_sequence - (self._head - sector) % self._sector_count) & _MASK32
        return header if header[0] == expected else None

    def _first_live_after(self, sector):
        for step in range(1, self._sector_count):
            candidate = (sector + step) % self._sector_count
            if self._live_header(candidate) is not None:
                return candidate
        return self._head

    def _locate(self, voucher):
        # Binary search over the live sectors, oldest to newest, for the last
        # one whose first voucher is at most voucher; -1 if none. Sectors with
        # a damaged header are stepped over.
        sector_count = self._sector_count
        low = self._position(self._oldest_sector)
        high = sector_count - 1
        found = -1
        while low <= high:
            middle = (low + high) // 2
            position = middle
            header = None
            while position <= high:
                sector = (self._head + 1 + position) % sector_count
                header = self._live_header(sector)
                if header is not None:
                    break
                position += 1
            if header is None:
                high = middle - 1
            elif header[1] <= voucher:
                found = sector
                low = position + 1
            else:
                high = middle - 1
        return found

    # Entries inside the buffered sector.

    def _entry(self, offset):
        # (state, kind, voucher, payload length, offset of what follows)
        sector_size = self._sector_size
        if offset + _ENTRY_OVERHEAD > sector_size:
            return _END, 0, 0, 0, sector_size
        kind, flags, length, voucher, header_check = struct.unpack_from(
            _ENTRY_HEADER, self._buffer, offset)
        if kind == _ERASED and flags == _ERASED and length == 0xFFFF \
                and voucher == _MASK32 and header_check == _MASK32:
            return _END, 0, 0, 0, offset
        if kind == _KIND_FILLER:
            return _FILLER, 0, 0, 0, offset + self._unit
        if self._header_whole(offset):
            body_end = _payload_start(offset, kind) + length
            stored = struct.unpack_from("<I", self._buffer, body_end)[0]
            state = _VALID if crc32(self._view[offset:body_end]) == stored else _CORRUPT
            return state, kind, voucher, length, self._align(body_end + 4)
        return _GARBAGE, 0, 0, 0, self._resync(offset)

    def _header_whole(self, offset):
        kind, _, length, _, header_check = struct.unpack_from(_ENTRY_HEADER, self._buffer, offset)
        return (_is_record(kind) or kind == _KIND_MARK or kind == _KIND_WARNED) \
            and _payload_start(offset, kind) + length + 4 <= self._sector_size \
            and crc32(self._view[offset:offset + 8]) == header_check

    def _resync(self, offset):
        # After an unreadable header the next entry can start at any unit;
        # only a header with a matching CRC is taken as one.
        offset += self._unit
        while offset + _ENTRY_OVERHEAD <= self._sector_size:
            if self._header_whole(offset):
                return offset
            offset += self._unit
        return self._sector_size


def _is_record(kind):
    return kind == _KIND_LINKED or kind == _KIND_RECORD


def _payload_start(offset, kind):
    # Where the payload of the entry at offset begins: after the link, if any.
    if kind == _KIND_LINKED:
        return offset + _LINKED_HEADER_SIZE
    return offset + _ENTRY_HEADER_SIZE
