# Printer faults, each at every place it can land: the paper running out at
# every row of a sale's slip (the real Terminal, journal and driver, the
# printer emulated), the printer falling silent at every status round of a
# job, a stale status byte of every value waiting on the line, and a printer
# at another baud rate for every profile, rate and job size.
from campaigns import Outcome
from reslip.printer_emu import PrinterEmulator
from terminal.escpos import PROFILES, Printer, get_profile
from terminal.record import CASH, REPRINT, Record
from terminal.textenc import TextEncoder
from test_app_printing import pump, rig
from test_escpos import FakeUart, job_bytes, run, sample_job
from test_printer_emu import Clock as Ticks

_AMOUNT = 123456


def _in_order(wanted, lines):
    """True when every line of `wanted` is in `lines`, in the same order."""
    rest = iter(lines)
    return all(any(line == have for have in rest) for line in wanted)


def _sale_rig(after_rows, copies):
    terminal, emulator = rig(paper_out_after_rows=after_rows)
    terminal.settings.set("copies", copies)
    return terminal, emulator


def paper_out(size):
    """Paper out after 0, 1, 2... rows of a sale's slips (1 to 3 copies), then
    paper loaded."""
    outcome = Outcome()
    for copies in (1, 2, 3):
        terminal, emulator = _sale_rig(None, copies)
        terminal.ring_sale(_AMOUNT, CASH, "")
        pump(terminal, 0, lambda: not terminal.printer.busy)
        references = [slip.text.splitlines() for slip in emulator.slips()]
        rows = emulator.printed_rows

        for after_rows in range(rows + 2):
            if outcome.cases >= size:
                return outcome.result()

            def one_case():
                terminal, emulator = _sale_rig(after_rows, copies)
                sale = terminal.ring_sale(_AMOUNT, CASH, "")
                now = pump(terminal, 0,
                           lambda: terminal.printer.held or not terminal.printer.busy)
                cut_short = emulator.lost_rows > 0 or terminal.printer.held
                if after_rows < rows:
                    assert terminal.printer.fault == "PAPER OUT", terminal.printer.fault
                emulator.load_paper()
                pump(terminal, now, lambda: not terminal.printer.busy)

                # The sale is journalled once; every copy comes out whole; a
                # copy cut short is printed again and the journal says so, once.
                assert Record.decode(terminal.journal.read(sale.voucher), sale.voucher) \
                    .amount == _AMOUNT
                events = [Record.decode(payload, voucher) for voucher, payload
                          in terminal.journal.records(start=sale.voucher + 1)]
                printed = [slip.text.splitlines() for slip in emulator.slips()]
                for reference in references:
                    assert any(_in_order(reference, slip) for slip in printed), \
                        "a copy never came out whole"
                if emulator.lost_rows or cut_short and after_rows:
                    assert [(event.kind, event.refers_to) for event in events] == \
                        [(REPRINT, sale.voucher)], events
                else:
                    assert events == [] and "REPRINT" not in "\n".join(printed[-1])

            outcome.check(one_case, "%d copies, paper out after %d of %d rows"
                          % (copies, after_rows, rows))
    return outcome.result()


def no_reply(size):
    """A printer that has answered falls silent for 1-3 status rounds, at
    every round of a job; and one that never answers at all."""
    outcome = Outcome()
    job = sample_job(40)
    again = b"\x1b@AGAIN" + job[2:]
    first = 0
    while outcome.cases < size:
        for silent_rounds in (1, 2, 3):
            if outcome.cases >= size:
                break

            def one_case():
                rounds = ["ok"] * first + ["silent"] * silent_rounds + ["ok"] * 200
                uart = FakeUart(rounds=rounds)
                printer = Printer(uart, get_profile("qr204"), baud=0)
                printer.submit(sample_job(2))
                now = run(printer, uart, 3000)
                printer.submit(job, again=lambda: again)
                run(printer, uart, 120000, step_ms=2, start_ms=now)
                assert printer.fault is None and not printer.busy, printer.fault
                written = job_bytes(uart)
                assert written.endswith(job) or written.endswith(again), "job not whole"

            outcome.check(one_case, "silent for %d rounds from round %d"
                          % (silent_rounds, first + 1))
        first += 1

    def never_answers():
        uart = FakeUart(rounds=[])
        printer = Printer(uart, get_profile("qr204"), baud=0)
        printer.submit(job)
        run(printer, uart, 60000, step_ms=2)
        assert printer.status == "unknown" and printer.fault is None
        assert job_bytes(uart).endswith(job)

    outcome.check(never_answers, "a printer that never answers")
    return outcome.result()


def stale_status(size):
    """A byte of every value (and pairs) already waiting when the driver asks."""
    outcome = Outcome()
    job = sample_job(5)
    stale_values = [bytes((value,)) for value in range(256)]
    stale_values += [bytes((value, 255 - value)) for value in range(0, 256, 3)]
    for stale in stale_values[:size]:
        def one_case():
            uart = FakeUart(rounds=["ok"] * 40, stale=stale)
            printer = Printer(uart, get_profile("qr204"), baud=0)
            printer.submit(job)
            run(printer, uart, 20000, step_ms=2)
            assert printer.fault is None and printer.status == "ok", printer.fault
            assert job_bytes(uart).endswith(job)
            assert bytes(uart.written).count(b"LINE 00") == 1, "printed twice"

        outcome.check(one_case, "stale %r" % stale)
    return outcome.result()


def wrong_baud(size):
    """A printer at another rate than the driver's: a link fault, no job byte out."""
    # TODO: a printer with no reply wire at the wrong rate is not counted: the
    # driver has nothing to tell it by, and prints garbage.
    outcome = Outcome()
    cases = [(name, baud, lines) for name in sorted(PROFILES)
             for baud in (2400, 4800, 9600, 19200, 38400, 57600, 115200)
             for lines in (1, 10, 60)]
    for name, baud, lines in cases[:size]:
        def one_case():
            profile = get_profile(name)
            ticks = Ticks()
            emulator = PrinterEmulator(name, clock_ms=ticks, buffer_bytes=profile.buffer_bytes,
                                       wrong_baud=True)
            printer = Printer(emulator, profile, TextEncoder(), baud=baud)
            printer.submit(sample_job(lines))
            while printer.fault is None and ticks.now < 10000:
                printer.pump(ticks.now)
                ticks.now += 1
            assert printer.fault == "PRINTER LINK BAD", printer.fault
            assert bytes(emulator.stream).replace(profile.status_query, b"") == b"", \
                "job bytes went out"

        outcome.check(one_case, "%s at %d baud, %d lines" % (name, baud, lines))
    return outcome.result()
