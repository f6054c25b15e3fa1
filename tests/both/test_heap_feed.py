# The printer's feed allocates nothing while it prints: under MicroPython's
# heap lock any allocation raises MemoryError, so a job that goes out whole
# with the heap locked proves every pump() on the way allocated nothing.

from terminal.escpos import JobBuilder, get_profile
from terminal.feed import Printer
from terminal.textenc import TextEncoder

import micropython  # after terminal, which gives CPython a stand-in

_CAPACITY = 4096


class StillUart:
    """A UART that keeps what it is sent in a buffer made once. Every third
    write takes nothing and every fifth takes one byte less than offered, as
    a busy UART does, so the feed's short-write path runs locked too."""

    def __init__(self):
        self.buffer = bytearray(_CAPACITY)
        self.length = 0
        self.calls = 0

    def write(self, data):
        self.calls += 1
        if self.calls % 3 == 0:
            return 0
        count = len(data)
        if self.calls % 5 == 0 and count > 1:
            count -= 1
        for index in range(count):
            self.buffer[self.length + index] = data[index]
        self.length += count
        return count

    def read(self, count):
        return None


def _job(profile):
    builder = JobBuilder(profile, TextEncoder(), 32)
    builder.init().align("center").bold(True).text("FEED TEST").bold(False).align("left")
    for number in range(12):
        builder.text("LINE %02d 0123456789 ABCDEFGHIJ" % number)
    builder.double(True).text("1,234.56").double(False)
    builder.barcode("000042").feed(2).cut()
    return builder.build()


def _print_locked(printer, uart, job):
    printer.submit(job)
    now_ms = 0
    printer.pump(now_ms)  # takes the job from the queue and plans it: once a job
    pumps = 0
    micropython.heap_lock()
    try:
        while printer.busy and pumps < 100000:
            now_ms += 5
            printer.pump(now_ms)
            pumps += 1
    finally:
        micropython.heap_unlock()
    return pumps


def test_feeding_a_job_allocates_nothing():
    profile = get_profile("qr204")
    uart = StillUart()
    printer = Printer(uart, profile, rx_wired=False)
    job = _job(profile)

    pumps = _print_locked(printer, uart, job)

    assert not printer.busy
    assert printer.jobs_printed == 1
    assert bytes(uart.buffer[:uart.length]) == job
    # The job went out over many calls, each paced by the head model.
    assert pumps > job.count(b"\n")


def test_feeding_through_the_busy_line_allocates_nothing():
    profile = get_profile("adafruit")
    uart = StillUart()
    ticks = [0]

    def ready():
        ticks[0] += 1
        return ticks[0] % 4 != 0  # now and then the printer says it is busy

    printer = Printer(uart, profile, rx_wired=False, ready=ready)
    job = _job(profile)

    _print_locked(printer, uart, job)

    assert printer.jobs_printed == 1
    assert bytes(uart.buffer[:uart.length]) == job
