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
        b"\x1dh\x3c\x1dH\x02\x1dw\x02\x1dk\x45\x06000123")
    assert escpos.underline(2) == b"\x1b-\x02"
    assert escpos.inverse(True) == b"\x1dB\x01"
    assert escpos.print_mode(bold=True, double_height=True) == b"\x1b!\x18"


def test_qr_code_bytes_are_model_2_with_stored_length():
    data = escpos.qr_code("000123", module_dots=4, level="M")
    assert data == (b"\x1d(k\x04\x001A2\x00" b"\x1d(k\x03\x001C\x04" b"\x1d(k\x03\x001E1"
                    b"\x1d(k\x09\x001P0000123" b"\x1d(k\x03\x001Q0")
    long_value = "A" * 250
    try:
        escpos.qr_code(long_value)
    except ValueError:
        return
    raise AssertionError("an oversized QR value was accepted")


def test_raster_header_carries_row_bytes_and_rows_little_endian():
    data = escpos.raster(20, 3, bytes(range(9)))
    assert data == b"\x1dv0\x00\x03\x00\x03\x00" + bytes(range(9))
    try:
        escpos.raster(20, 3, b"\x00")
    except ValueError:
        return
    raise AssertionError("short image data accepted")


def test_out_of_range_parameters_are_refused():
    for bad in (lambda: escpos.feed(256), lambda: escpos.size(9, 1),
                lambda: escpos.barcode_code39("abc"), lambda: escpos.underline(3),
                lambda: escpos.qr_code("1", level="X")):
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


def test_voucher_code_is_a_qr_where_the_profile_has_it_else_a_barcode():
    qr = JobBuilder(get_profile("qr204"), TextEncoder()).voucher_code("000123").build()
    assert escpos.qr_code("000123") in qr and b"\x1dk" not in qr
    bar = JobBuilder(get_profile("adafruit"), TextEncoder()).voucher_code("000123").build()
    assert escpos.barcode_code39("000123") in bar and b"\x1d(k" not in bar


def test_image_is_cut_into_bands_that_fit_half_the_buffer():
    profile = get_profile("qr204")
    width, height = 192, 40
    data = bytes((row * 7 + column) & 0xFF for row in range(height) for column in range(24))
    job = JobBuilder(profile, TextEncoder()).image(width, height, data).build()
    bands = job.split(b"\x1dv0\x00")[1:]
    rows = 0
    joined = b""
    for band in bands:
        band_rows = band[2] | band[3] << 8
        assert band[0] == 24 and 24 * band_rows <= profile.buffer_bytes // 2
        joined += band[4:4 + 24 * band_rows]
        rows += band_rows
    assert rows == height and joined == data


def test_plan_charges_image_bands_and_qr_codes_without_reading_their_data_as_text():
    profile = get_profile("qr204")
    # Image rows full of 0x0A must not be taken for line feeds.
    image = escpos.raster(16, 4, b"\n" * 8)
    qr = escpos.qr_code("000123", module_dots=4)
    plan = plan_job(image + qr, profile)
    assert plan == [(len(image), 4 * profile.dot_print_us),
                    (len(image) + len(qr), 21 * 4 * profile.dot_print_us)]


# Status replies: one byte per query, the fixed bits of DLE EOT replies set.
_REPLIES = {
    "ok": {1: 0x12, 2: 0x12, 4: 0x12},
    "paper": {1: 0x1A, 2: 0x32, 4: 0x72},
    "cover": {1: 0x1A, 2: 0x16, 4: 0x12},
    "offline": {1: 0x1A, 2: 0x12, 4: 0x12},
    "garbage": {1: 0xFE, 2: 0xE0, 4: 0xFF},
}


class FakeUart:
    """Records what is written; accepts at most `take` bytes a call.

    `rounds` is the printer's state at each status round, one name of
    _REPLIES (or "silent") per round; a round starts at its first query.
    """

    def __init__(self, take=1000, rounds=(), stale=b""):
        self.take = take
        self.written = bytearray()
        self.inbox = bytearray(stale)
        self.rounds = list(rounds)
        self.state = "silent"
        self.answered_to = 0
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
        self._answer()
        return count

    def _answer(self):
        # Each complete DLE EOT n in what was written gets its reply.
        while True:
            at = self.written.find(b"\x10\x04", self.answered_to)
            if at < 0 or at + 2 >= len(self.written):
                return
            n = self.written[at + 2]
            self.answered_to = at + 3
            if n == 2:  # the first query of a round
                self.state = self.rounds.pop(0) if self.rounds else "silent"
            if self.state != "silent":
                self.inbox.append(_REPLIES[self.state][n])

    def any(self):
        return len(self.inbox)

    def read(self, count):
        if not self.inbox:
            return None
        data = bytes(self.inbox[:count])
        self.inbox = self.inbox[count:]
        return data


QUERY = get_profile("qr204").status_query


def job_bytes(uart):
    """What was written, without the status queries between pieces."""
    return bytes(uart.written).replace(QUERY, b"")


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


def test_qr204_asks_cover_paper_and_offline_in_one_round():
    assert QUERY == b"\x10\x04\x02\x10\x04\x04\x10\x04\x01"
    assert get_profile("adafruit").status_query == b"\x1bv\x00"


def test_status_bits_of_each_profile():
    checks = get_profile("qr204").status
    assert escpos.read_status(checks, b"\x12\x12\x12") == "ok"
    assert escpos.read_status(checks, b"\x32\x72\x1a") == "paper out"
    assert escpos.read_status(checks, b"\x16\x12\x1a") == "cover open"
    assert escpos.read_status(checks, b"\x12\x12\x1a") == "offline"
    assert escpos.read_status(checks, b"\x12\x12") == "link fault"  # one short
    assert escpos.read_status(checks, b"\x12\x12\x12\x12") == "link fault"  # one over
    assert escpos.read_status(checks, b"\x12\xff\x12") == "link fault"  # out of pattern
    adafruit = get_profile("adafruit").status
    assert escpos.read_status(adafruit, b"\x00") == "ok"
    assert escpos.read_status(adafruit, b"\x04") == "paper out"
    assert escpos.read_status(adafruit, b"\xe0") == "link fault"


def test_fault_messages_fit_sixteen_columns():
    for status, message in escpos.FAULT_MESSAGES.items():
        assert 0 < len(message) <= 16, status


def test_short_writes_and_none_lose_no_byte():
    uart = FakeUart(take=5, rounds=["ok", "ok"])
    printer = Printer(uart, get_profile("qr204"), baud=0)
    job = sample_job(6)
    printer.submit(job)
    run(printer, uart, 20000)
    # Asked before the job, and once more when the head has stopped.
    assert bytes(uart.written) == QUERY + job + QUERY
    assert not printer.busy
    assert printer.status == "ok"


def test_pump_never_runs_ahead_of_the_head_model():
    profile = get_profile("qr204")
    uart = FakeUart(rounds=["ok"] * 100)
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
    uart = FakeUart(rounds=[])
    printer = Printer(uart, profile, baud=0)
    job = sample_job(2)
    printer.submit(job)
    run(printer, uart, profile.status_timeout_ms - 1)
    assert bytes(uart.written) == QUERY  # still waiting for the reply
    run(printer, uart, 10000, start_ms=profile.status_timeout_ms - 1)
    assert printer.status == "unknown"
    assert printer.fault is None
    assert job_bytes(uart).endswith(job)


def test_silence_after_the_printer_has_answered_holds_the_job():
    profile = get_profile("qr204")
    uart = FakeUart(rounds=["ok", "ok", "silent", "silent", "ok"] + ["ok"] * 20)
    printer = Printer(uart, profile, baud=0)
    printer.submit(sample_job(2))
    run(printer, uart, 3000)
    assert not printer.busy and printer.status == "ok"
    job = sample_job(3)
    printer.submit(job)
    run(printer, uart, 3500, start_ms=3000)
    assert printer.fault == "PRINTER NO REPLY" and printer.held
    run(printer, uart, 10000, start_ms=3500)
    assert printer.fault is None and not printer.busy
    assert job_bytes(uart).endswith(job)


def test_printer_known_to_have_no_reply_line_is_never_asked():
    uart = FakeUart(rounds=["paper"])
    printer = Printer(uart, get_profile("qr204"), baud=0, rx_wired=False)
    job = sample_job(2)
    printer.submit(job)
    run(printer, uart, 5000)
    assert bytes(uart.written) == job and printer.status == "unknown"


def test_each_fault_holds_the_job_with_its_message():
    for state, status, message in (("paper", "paper out", "PAPER OUT"),
                                   ("cover", "cover open", "COVER OPEN"),
                                   ("offline", "offline", "PRINTER OFFLINE")):
        uart = FakeUart(rounds=[state, state, "ok", "ok"], stale=b"\x00\x00")
        printer = Printer(uart, get_profile("qr204"), baud=0)
        job = sample_job(3)
        printer.submit(job)
        run(printer, uart, 50)
        assert printer.status == status and printer.fault == message
        assert printer.held and printer.busy
        assert job not in bytes(uart.written)
        run(printer, uart, 10000, start_ms=50)
        assert printer.fault is None
        assert job_bytes(uart).endswith(job)
        assert bytes(uart.written).count(b"LINE 00") == 1
        assert printer.incomplete_prints == 0 and printer.take_incomplete() == 0


def test_garbage_replies_are_a_link_fault_and_nothing_is_printed():
    uart = FakeUart(rounds=["garbage"] * 5)
    printer = Printer(uart, get_profile("qr204"), baud=0)
    printer.submit(sample_job(3))
    run(printer, uart, 4000)
    assert printer.status == "link fault" and printer.fault == "PRINTER LINK BAD"
    assert job_bytes(uart) == b""
    assert printer.busy


def test_paper_out_mid_job_prints_the_reprint_whole_and_counts_it_once():
    # OK before the job, paper out at the first check inside it, then OK.
    uart = FakeUart(rounds=["ok", "paper"] + ["ok"] * 100)
    printer = Printer(uart, get_profile("qr204"), baud=0)
    job = sample_job(60)
    again = b"\x1b@AGAIN" + job[2:]
    printer.submit(job, again=lambda: again)
    run(printer, uart, 60000, step_ms=2)
    assert printer.incomplete_prints == 1
    assert printer.take_incomplete() == 1
    assert printer.take_incomplete() == 0
    assert job_bytes(uart).endswith(again)
    assert bytes(uart.written).count(QUERY) >= 3
    assert not printer.busy


def test_printer_without_any_method_is_flushed_by_reading():
    class NoAny:
        def __init__(self, uart):
            self.uart = uart
            self.write = uart.write
            self.read = uart.read

    uart = FakeUart(rounds=["ok"] * 10, stale=b"\x72")
    printer = Printer(NoAny(uart), get_profile("qr204"), baud=0)
    printer.submit(sample_job(1))
    run(printer, uart, 3000)
    assert printer.fault is None and printer.status == "ok"


def test_busy_line_paces_instead_of_the_head_model():
    line = {"ready": False}
    uart = FakeUart(rounds=["ok"] * 10)
    printer = Printer(uart, get_profile("qr204"), baud=0, ready=lambda: line["ready"])
    job = sample_job(20)
    printer.submit(job)
    run(printer, uart, 500)
    assert job_bytes(uart) == b""  # busy: nothing but the status round
    line["ready"] = True
    run(printer, uart, 800, start_ms=500)
    # The head model would need seconds for 20 lines; the line said go.
    assert job_bytes(uart) == job
