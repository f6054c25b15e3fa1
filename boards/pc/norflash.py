# An emulated NOR flash that keeps the rules of the real part, for the PC
# boards and for tests. It speaks MicroPython's block-device protocol, so the
# firmware reaches it exactly as it reaches rp2.Flash or esp32.Partition.
#
# Rules it enforces, each with its own exception:
#   - programming only clears bits (1 -> 0); setting one raises FlashRuleError;
#   - every write is a multiple of the program unit and aligned to it;
#   - with page_size set, a write that would cross a page boundary is refused
#     (real SPI NOR wraps it inside the page and corrupts the page start);
#   - the 3-argument writeblocks (erase, then program) is refused: code built
#     on raw flash must erase explicitly with ioctl(6).
#
# Faults for tests: cut_power_after(n) interrupts the n-th following program
# or erase and leaves the unit (or sector) being written half done; flip_bit
# models retention loss in data already programmed.

try:
    from micropython import const
except ImportError:
    def const(value):
        return value

_ERASED = const(0xFF)

_IOCTL_INIT = const(1)
_IOCTL_DEINIT = const(2)
_IOCTL_SYNC = const(3)
_IOCTL_BLOCK_COUNT = const(4)
_IOCTL_BLOCK_SIZE = const(5)
_IOCTL_BLOCK_ERASE = const(6)


class PowerCut(Exception):
    """Raised by the operation the power was cut in, and every one after it."""


class FlashRuleError(OSError):
    """A write the real part would not do as asked."""


class _Random:
    """xorshift32: the same torn states under CPython and MicroPython."""

    def __init__(self, seed):
        self.state = (seed & 0xFFFFFFFF) or 0x9E3779B9

    def next(self):
        x = self.state
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.state = x
        return x

    def below(self, limit):
        return self.next() % limit

    def fill(self, buf):
        for index in range(len(buf)):
            buf[index] = self.next() & 0xFF


class NorFlash:
    """NOR flash of sector_count erase sectors, kept in RAM or in a file."""

    def __init__(self, path=None, sector_size=4096, sector_count=256, program_unit=1,
                 page_size=0, seed=1):
        if sector_size % program_unit or (page_size and page_size % program_unit):
            raise ValueError("program unit must divide sector and page size")
        self.sector_size = sector_size
        self.sector_count = sector_count
        self.program_unit = program_unit
        self.page_size = page_size
        self.size = sector_size * sector_count
        self.path = path
        self._random = _Random(seed)
        self._erased_sector = bytes([_ERASED]) * sector_size

        # Counters the benchmarks and tests read; reset_counters() zeroes them.
        self.erase_counts = [0] * sector_count
        self.reset_counters()

        # Power state: countdown of program/erase operations to the cut.
        self._cut_countdown = 0
        self._powered = True

        if path is None:
            self._file = None
            self._memory = bytearray(self.size)
            for sector in range(sector_count):
                self._store(sector * sector_size, self._erased_sector)
        else:
            self._file = self._open(path)

    def _open(self, path):
        # A missing file is a new part: erased all through.
        try:
            file = open(path, "r+b")
        except OSError:
            file = open(path, "wb")
            for _ in range(self.sector_count):
                file.write(self._erased_sector)
            file.close()
            file = open(path, "r+b")

        # A file of another size is another part's, or one cut short: reading
        # past its end would leave stale bytes in the caller's buffer. It holds
        # a merchant's journal, so it is refused, never resized.
        size = file.seek(0, 2)
        if size != self.size:
            file.close()
            raise ValueError("flash file %s is %d bytes, not %d (%d sectors of %d); restore "
                             "it or move it away" % (path, size, self.size, self.sector_count,
                                                      self.sector_size))
        return file

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None

    def reset_counters(self):
        self.bytes_read = 0
        self.bytes_programmed = 0
        self.program_ops = 0
        self.erase_ops = 0
        for sector in range(self.sector_count):
            self.erase_counts[sector] = 0

    # Raw storage, RAM or file.

    def _load(self, address, length):
        if self._file is None:
            return bytes(self._memory[address:address + length])
        self._file.seek(address)
        data = self._file.read(length)
        if len(data) != length:
            raise OSError(5)  # EIO: the file was cut short under us
        return data

    def _load_into(self, address, buf):
        # Straight into the caller's buffer, as a real part does: a read
        # allocates nothing, so the firmware's heap is measured, not ours.
        if self._file is None:
            buf[:] = memoryview(self._memory)[address:address + len(buf)]
            return
        self._file.seek(address)
        if self._file.readinto(buf) != len(buf):
            raise OSError(5)  # EIO: the file was cut short under us

    def _store(self, address, data):
        if self._file is None:
            self._memory[address:address + len(data)] = data
        else:
            self._file.seek(address)
            self._file.write(data)

    # Block-device protocol.

    def readblocks(self, block, buf, offset=0):
        self._check_power()
        address = self._address(block, offset, len(buf))
        self._load_into(address, buf)
        self.bytes_read += len(buf)

    def writeblocks(self, block, buf, offset=None):
        if offset is None:
            raise FlashRuleError("writeblocks without offset would erase; use ioctl(6)")
        self._check_power()
        length = len(buf)
        if not length:
            return
        address = self._address(block, offset, length)
        unit = self.program_unit
        if address % unit or length % unit:
            raise FlashRuleError("write of %d bytes at 0x%x breaks the %d-byte program unit"
                                 % (length, address, unit))
        page = self.page_size
        if page and address % page + length > page:
            raise FlashRuleError("write of %d bytes at 0x%x crosses a %d-byte page"
                                 % (length, address, page))

        # Programming can only clear bits: any bit set in the new data that is
        # clear in flash would need an erase.
        old = self._load(address, length)
        new = bytes(buf)
        raised = int.from_bytes(new, "little") & ~int.from_bytes(old, "little")
        if raised:
            first = 0
            while not (raised >> (8 * first)) & 0xFF:
                first += 1
            raise FlashRuleError("programming would set a bit at 0x%x (0x%02x over 0x%02x)"
                                 % (address + first, new[first], old[first]))

        if self._count_down():
            self._tear_program(address, old, new)
        self._store(address, new)
        self.program_ops += 1
        self.bytes_programmed += length

    def ioctl(self, op, arg):
        if op == _IOCTL_BLOCK_COUNT:
            return self.sector_count
        if op == _IOCTL_BLOCK_SIZE:
            return self.sector_size
        if op == _IOCTL_BLOCK_ERASE:
            self._erase(arg)
            return 0
        if op == _IOCTL_SYNC:
            self._check_power()
            if self._file is not None:
                self._file.flush()
            return 0
        if op in (_IOCTL_INIT, _IOCTL_DEINIT):
            return 0
        return None

    def _erase(self, sector):
        self._check_power()
        if not 0 <= sector < self.sector_count:
            raise OSError(22)
        address = sector * self.sector_size
        if self._count_down():
            # An erase cut short leaves each bit somewhere between its old
            # value and 1.
            state = bytearray(self.sector_size)
            self._random.fill(state)
            old = self._load(address, self.sector_size)
            for index in range(self.sector_size):
                state[index] |= old[index]
            self._store(address, state)
            self._cut()
        self._store(address, self._erased_sector)
        self.erase_counts[sector] += 1
        self.erase_ops += 1

    def _address(self, block, offset, length):
        address = block * self.sector_size + offset
        if block < 0 or offset < 0 or address + length > self.size:
            raise OSError(22)
        return address

    # Faults.

    def cut_power_after(self, operations):
        """Interrupt the n-th following program or erase (n = 1: the next one)."""
        self._cut_countdown = operations

    def restore_power(self):
        self._cut_countdown = 0
        self._powered = True

    @property
    def powered(self):
        return self._powered

    def image(self):
        """The whole content, for a test to copy into another flash."""
        return self._load(0, self.size)

    def load_image(self, image):
        """Replace the whole content, rules aside: a copy of another part."""
        if len(image) != self.size:
            raise ValueError("image size does not match the flash")
        self._store(0, image)

    def flip_bit(self, address, bit):
        """Invert one stored bit, rules aside: a retention or disturb error."""
        byte = self._load(address, 1)[0] ^ (1 << bit)
        self._store(address, bytes([byte]))

    def _check_power(self):
        if not self._powered:
            raise PowerCut("no power")

    def _count_down(self):
        if not self._cut_countdown:
            return False
        self._cut_countdown -= 1
        return self._cut_countdown == 0

    def _cut(self):
        self._powered = False
        raise PowerCut("power cut")

    def _tear_program(self, address, old, new):
        # Units go in one after another: those before the torn one are done,
        # the torn one has each bit that was to be cleared cleared or not, and
        # the rest are untouched.
        unit = self.program_unit
        torn = self._random.below(len(new) // unit) * unit
        self._store(address, new[:torn])
        state = bytearray(unit)
        self._random.fill(state)
        for index in range(unit):
            state[index] = old[torn + index] & (new[torn + index] | state[index])
        self._store(address + torn, state)
        self._cut()
