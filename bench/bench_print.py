"""Printing: bytes lost and time taken for a 60-line slip with a logo.

The printer is the emulator with the qr204 profile's 256-byte input buffer and
head timings; the UART between them carries baud / 10 bytes a second. Our
paced driver (terminal.escpos.Printer, pumped every millisecond) is measured
beside the naive way: the job written as fast as the UART takes it.

print.time_vs_head_limit is the time from the first byte to the head's last
dot line, over the head time the job needs at minimum (the sum of its lines,
feeds, image rows and cut as the emulator models them).
"""

from reslip.printer_emu import PrinterEmulator
from terminal.escpos import JobBuilder, Printer, get_profile
from terminal.textenc import TextEncoder

_PROFILE = "qr204"
_LIMIT_MS = 120000


class Clock:
    def __init__(self):
        self.now = 0

    def __call__(self):
        return self.now


class Wire:
    """A UART at `baud`: takes at most what the line has carried since the last call."""

    def __init__(self, printer, clock, baud):
        self.printer = printer
        self.clock = clock
        self.bytes_per_ms = baud / 10000
        self.credit = 0.0
        self.last_ms = 0

    def write(self, data):
        now = self.clock()
        self.credit = min(self.credit + (now - self.last_ms) * self.bytes_per_ms, 64.0)
        self.last_ms = now
        count = min(len(data), int(self.credit))
        if count:
            self.credit -= count
            self.printer.write(bytes(data[:count]))
        return count

    def read(self, count):
        return self.printer.read(count)

    def any(self):
        return self.printer.any()


def logo(width=128, height=48):
    """A ring on a bar: a small logo as 1-bit rows."""
    rows = []
    for y in range(height):
        row = bytearray(width // 8)
        for x in range(width):
            dx, dy = x - width // 2, y - height // 2
            ring = 400 <= dx * dx + 4 * dy * dy <= 900
            if ring or abs(dy) <= 2:
                row[x // 8] |= 0x80 >> (x % 8)
        rows.append(bytes(row))
    return width, height, b"".join(rows)


def sample_job(profile):
    builder = JobBuilder(profile, TextEncoder()).init()
    builder.image(*logo())
    for number in range(60):
        builder.text("ITEM %02d ......... CNY %3d.00" % (number, number))
    return builder.cut().build()


def paced(job, profile, baud):
    clock = Clock()
    emulator = PrinterEmulator(_PROFILE, clock_ms=clock, buffer_bytes=profile.buffer_bytes)
    printer = Printer(Wire(emulator, clock, baud), profile, baud=baud)
    printer.submit(job)
    while printer.busy and clock.now < _LIMIT_MS:
        printer.pump(clock.now)
        clock.now += 1
    return emulator


def naive(job, profile, baud):
    clock = Clock()
    emulator = PrinterEmulator(_PROFILE, clock_ms=clock, buffer_bytes=profile.buffer_bytes)
    wire = Wire(emulator, clock, baud)
    at = 0
    while at < len(job) and clock.now < _LIMIT_MS:
        at += wire.write(job[at:at + 64])
        clock.now += 1
    return emulator


def run(report):
    profile = get_profile(_PROFILE)
    job = sample_job(profile)
    worst_dropped = [0, 0]
    worst_ratio = [0.0, 0.0]
    for baud in (9600, 19200):
        ours = paced(job, profile, baud)
        plain = naive(job, profile, baud)
        ratio = ours.head_done_ms() / (ours.head_us_total / 1000)
        plain_ratio = plain.head_done_ms() / (plain.head_us_total / 1000)
        note = "%d-byte job, 60 lines and a 128x48 logo, %d baud" % (len(job), baud)
        report("print.dropped_bytes.%d" % baud, ours.dropped_bytes, "bytes",
               baseline=plain.dropped_bytes, bar=0, better="lower", note=note)
        report("print.time_vs_head_limit.%d" % baud, round(ratio, 3), "ratio",
               baseline=round(plain_ratio, 3), bar=1.25, better="lower",
               note=note + "; the baseline's time counts only what it did not drop")
        worst_dropped = [max(worst_dropped[0], ours.dropped_bytes),
                         max(worst_dropped[1], plain.dropped_bytes)]
        worst_ratio = [max(worst_ratio[0], ratio), max(worst_ratio[1], plain_ratio)]

    report("print.dropped_bytes", worst_dropped[0], "bytes", baseline=worst_dropped[1], bar=0,
           better="lower", note="the worse of 9600 and 19200 baud")
    report("print.time_vs_head_limit", round(worst_ratio[0], 3), "ratio",
           baseline=round(worst_ratio[1], 3), bar=1.25, better="lower",
           note="the worse of 9600 and 19200 baud")
