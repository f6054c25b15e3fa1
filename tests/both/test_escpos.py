# ESC/POS command bytes, profiles, job building and the paced, non-blocking
# printer driver, in both runtimes.
from terminal import escpos
from terminal.escpos import JobBuilder, Printer, get_profile, plan_job
from terminal.textenc import TextEncoder


def test_init_bytes_of_each_profile():
    assert get_profile("adafruit").init == b"\x1b@\x1b7\x0bx(\x1bt\x00"
    assert get_profile("qr204").init == b"\x1b@\x1c&"
    assert get_profile("qr204-latin").init == b"\x1b@\x1c.\x1bt\x00"


def test_command_builders_take_bytes_above_0x7f_intact():
    assert escpos.feed(3) == b"\x1bd\x03"
    assert escpos.heat(11, 200, 40) == b"\x1b7\x0b\xc8\x28"
    assert escpos.code_page(19) == b"\x1bt\x13"
    assert escpos.size(2, 2) == escpos.SIZE_DOUBLE
    assert escpos.size(1, 1) == escpos.SIZE_NORMAL
    assert escpos.barcode_code39("000123") == (
        b"\x1dh\x3c\x1dw\x02\x1dH\x02\x1dk\x45\x06000123")


def test_out_of_range_parameters_are_refused():
    for bad in (lambda: escpos.feed(256), lambda: escpos.size(9, 1),
                lambda: escpos.barcode_code39("abc")):
        try:
            bad()
        except ValueError:
            continue
        raise AssertionError("accepted a bad parameter")


def test_unknown_profile_is_refused():
    try:
        get_profile("nope")
    except ValueError:
        return
    raise AssertionError("unknown profile accepted")


def test_latin_profile_on_a_chinese_printer_leaves_chinese_mode_after_every_reset():
    profile = get_profile("qr204-latin")
    job = JobBuilder(profile, TextEncoder()).init().text("A").init().text("B").build()
    at = job.find(escpos.INIT)
    resets = 0
    while at >= 0:
        assert job[at + 2:at + 4] == escpos.CHINESE_OFF
        resets += 1
        at = job.find(escpos.INIT, at + 2)
    assert resets == 2


def test_profile_without_fs_commands_never_sends_them():
    profile = get_profile("adafruit")
    job = JobBuilder(profile, TextEncoder()).init().text("重打印 Ä").feed(2).cut().build()
    assert b"\x1c" not in job
    assert b"\x8e" in job  # Ä in CP437


def test_builder_composes_a_job_in_order():
    profile = get_profile("qr204")
    job = (JobBuilder(profile, TextEncoder()).init().align("center").bold().text("HI")
           .bold(False).double().text("X").double(False).feed(2).build())
    assert job == (b"\x1b@\x1c&\x1ba\x01\x1bE\x01HI\n\x1bE\x00\x1d!\x11X\n\x1d!\x00"
                   b"\x1bd\x02")


def test_plan_ends_pieces_at_line_feeds_not_at_parameter_bytes():
    profile = get_profile("qr204")
    job = escpos.feed(10) + b"AB\n" + escpos.SIZE_DOUBLE + b"C\n"
    plan = plan_job(job, profile)
    assert plan == [(3, 10 * profile.feed_line_us()),
                    (6, profile.text_line_us()),
                    (11, profile.text_line_us(2))]


class FakeUart:
    """Records what is written; accepts at most `take` bytes a call."""

    def __init__(self, take=1000, replies=b"", stale=b""):
        self.take = take
        self.written = bytearray()
        self.inbox = bytearray(stale)
        self.replies = list(replies)
        self.calls = 0
        self.write_times = []
        self.now = 0

    def write(self, data):
        self.calls += 1
        if self.calls % 3 == 0:
            return None  # as machine.UART does when nothing went out
        count = min(self.take, len(data))
        self.written.extend(bytes(data[:count]))
        self.write_times.append((self.now, count))
        if bytes(data[:count]).find(b"\x10\x04") >= 0 and self.replies:
            self.inbox.append(self.replies.pop(0))
        return count

    def any(self):
        return len(self.inbox)

    def read(self, count):
        if not self.inbox:
            return None
        data = bytes(self.inbox[:count])
        self.inbox = self.inbox[count:]
        return data


def job_bytes(uart):
    """What was written, without the status queries between pieces."""
    return bytes(uart.written).replace(b"\x10\x04\x04", b"")


def run(printer, uart, until_ms, step_ms=1, start_ms=0):
    now = start_ms
    while now < until_ms:
        uart.now = now
        printer.pump(now)
        now += step_ms
    return now


def sample_job(lines=20):
    builder = JobBuilder(get_profile("qr204"), TextEncoder()).init()
    for number in range(lines):
        builder.text("LINE %02d ............... END" % number)
    return builder.feed(3).build()


def test_short_writes_and_none_lose_no_byte():
    uart = FakeUart(take=5, replies=b"\x12")
    printer = Printer(uart, get_profile("qr204"), baud=0)
    job = sample_job(6)
    printer.submit(job)
    run(printer, uart, 20000)
    assert bytes(uart.written) == b"\x10\x04\x04" + job
    assert not printer.busy
    assert printer.status == "ok"


def test_pump_never_runs_ahead_of_the_head_model():
    profile = get_profile("qr204")
    uart = FakeUart(replies=b"\x12")
    printer = Printer(uart, profile, baud=0)
    job = sample_job(20)
    printer.submit(job)
    run(printer, uart, 60000)
    assert job_bytes(uart) == job

    # The head needs the sum of the piece times; the driver may only be
    # `lead_ms` ahead of it, so the last piece cannot start before that.
    plan = plan_job(job, profile)
    head_ms = sum(cost for _, cost in plan[:-1]) // 1000
    last_write_ms = uart.write_times[-1][0]
    assert last_write_ms >= head_ms - profile.lead_ms - 1, (last_write_ms, head_ms)
    for at, count in uart.write_times:
        assert count <= 32


def test_no_status_reply_means_unknown_not_paper_out():
    profile = get_profile("qr204")
    uart = FakeUart(replies=b"")
    printer = Printer(uart, profile, baud=0)
    job = sample_job(2)
    printer.submit(job)
    run(printer, uart, profile.status_timeout_ms - 1)
    assert bytes(uart.written) == b"\x10\x04\x04"  # still waiting for the reply
    run(printer, uart, 10000, start_ms=profile.status_timeout_ms - 1)
    assert printer.status == "unknown"
    assert printer.fault is None
    assert job_bytes(uart).endswith(job)


def test_paper_out_holds_the_job_and_prints_it_whole_when_cleared():
    uart = FakeUart(replies=b"\x72\x72\x12", stale=b"\x00\x00")
    printer = Printer(uart, get_profile("qr204"), baud=0)
    job = sample_job(3)
    printer.submit(job)
    run(printer, uart, 50)
    assert printer.fault == "PAPER OUT"
    assert printer.held and printer.busy
    assert job not in bytes(uart.written)
    run(printer, uart, 10000, start_ms=50)
    assert printer.fault is None
    assert job_bytes(uart).endswith(job)
    assert bytes(uart.written).count(b"LINE 00") == 1
    assert printer.incomplete_prints == 0


def test_paper_out_mid_job_prints_the_reprint_whole():
    # OK before the job, paper out at the first check inside it, then OK.
    uart = FakeUart(replies=b"\x12\x72\x12")
    printer = Printer(uart, get_profile("qr204"), baud=0)
    job = sample_job(60)
    again = b"\x1b@AGAIN" + job[2:]
    printer.submit(job, again=lambda: again)
    run(printer, uart, 60000, step_ms=2)
    assert printer.incomplete_prints == 1
    assert job_bytes(uart).endswith(again)
    assert bytes(uart.written).count(b"\x10\x04\x04") >= 3
    assert not printer.busy


def test_printer_without_any_method_is_flushed_by_reading():
    class NoAny:
        def __init__(self, uart):
            self.uart = uart
            self.write = uart.write
            self.read = uart.read

    uart = FakeUart(replies=b"\x12", stale=b"\x72")
    printer = Printer(NoAny(uart), get_profile("qr204"), baud=0)
    printer.submit(sample_job(1))
    run(printer, uart, 3000)
    assert printer.fault is None and printer.status == "ok"
