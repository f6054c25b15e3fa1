"""`reslip reprint VOUCHER`: a stored transaction's slip again, from the PC.

The slip is built by the firmware's own code (terminal.slip.build_slip) from
the record as the store holds it, marked as a reprint with its count and time,
so it reads exactly as a reprint made on the keypad would. It goes to a PNG or
a PDF 58 mm wide, to a system printer through `lp`, or to a TTL thermal
printer on a USB serial adapter, driven by the firmware's own printer driver
(terminal.escpos.Printer) with the pyserial port as its UART.

Every reprint made here is counted in the PC's store (table pc_reprints), so
the next one carries the next number. That count stays apart from the
terminal's own: a PC reprint cannot reach the terminal's journal, so the
terminal, which asks for the supervisor once a slip's free reprints are used,
never sees it. The number printed on the slip adds both: the terminal's reprints as
last pulled and this PC's.
"""

import collections
import json
import os
import shutil
import subprocess
import tempfile
import time

from terminal.record import REPRINT

from reslip.errors import ReslipError
from reslip.store import TRANSACTION_KINDS

__all__ = ["ReprintError", "load_settings", "pick_terminal", "build_reprint", "write_png",
           "write_pdf", "print_with_lp", "print_to_serial", "SerialUart", "PAPER_MM"]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAPER_MM = 58
_DOTS_PER_MM = 8  # 203 dpi, the thermal printers' usual head
_SERIAL_STEP_S = 0.001


class ReprintError(ReslipError):
    pass


# What build_reprint made: count is this reprint's number on the slip (1 for
# the first, the terminal's pulled reprints included); pc_count its number
# among the reprints made from this PC's store.
Reprint = collections.namedtuple("Reprint", ("terminal", "record", "data", "count", "when",
                                             "settings", "pc_count"))


def load_settings(board="unix", config_path=None, **overrides):
    """The merchant header and printer setup: boards/<board>/config.json, or the
    file config_path, with any non-None override (merchant_name=...) on top."""
    path = config_path or os.path.join(ROOT, "boards", board, "config.json")
    try:
        with open(path, encoding="utf-8") as file:
            settings = json.load(file)
    except OSError as error:
        raise ReprintError("cannot read the merchant settings %s (%s); give --board or "
                           "--config" % (path, error.strerror or error)) from None
    except ValueError as error:
        raise ReprintError("%s is not valid JSON: %s" % (path, error)) from None
    settings.update((name, value) for name, value in overrides.items() if value is not None)
    return settings


def pick_terminal(store, voucher, terminal=None):
    """The terminal whose voucher is meant: the one given, else the only one holding it."""
    if terminal is not None:
        return terminal
    holders = store.terminals_holding(voucher)
    if not holders:
        raise ReprintError("no voucher %06d in the store; `reslip pull` first, or check the "
                           "number with `reslip find`" % voucher)
    if len(holders) > 1:
        raise ReprintError("voucher %06d exists on terminals %s; give --terminal"
                           % (voucher, ", ".join(holders)))
    return holders[0]


def build_reprint(store, voucher, terminal, settings, now=None, copy_label="MERCHANT COPY"):
    """The reprint's printer bytes and facts (a Reprint); nothing is counted yet."""
    from terminal.escpos import get_profile
    from terminal.slip import build_slip

    record = store.record(terminal, voucher)
    if record is None:
        raise ReprintError("terminal %s has no voucher %06d in the store; `reslip pull` "
                           "first, or check the number with `reslip find`" % (terminal, voucher))
    if record.kind not in TRANSACTION_KINDS:
        hint = " (it reprinted %06d)" % record.refers_to if record.kind == REPRINT else ""
        raise ReprintError("voucher %06d is an event without a slip%s" % (voucher, hint))

    try:
        profile = get_profile(settings.get("printer", "qr204"))
    except ValueError as error:
        raise ReprintError("%s in the settings; use adafruit, qr204 or qr204-latin" % error)
    settings = dict(settings, terminal_no=terminal)
    when = int(time.time()) if now is None else int(now)
    count = store.reprint_count(terminal, voucher) + 1
    pc_count = store.pc_reprint_count(terminal, voucher) + 1
    data = build_slip(record, settings, profile, _encoder(settings, profile),
                      copy_label=copy_label, reprint=(count, when))
    return Reprint(terminal, record, data, count, when, settings, pc_count)


def _encoder(settings, profile):
    from terminal.textenc import TextEncoder

    from reslip.tables import ensure_gb2312_table

    table = None
    if profile.chinese:
        table = os.path.join(ROOT, "build", "gb2312.bin")
        ensure_gb2312_table(table)
    return TextEncoder(table, settings.get("code_page", "cp437"))


def slip_image(data, profile_name="qr204"):
    """The slip's picture, 384 dots wide, as the printer emulator draws it."""
    from reslip.printer_emu import PrinterEmulator

    emulator = PrinterEmulator(profile_name)
    emulator.feed(data)
    slips = emulator.slips()
    if not slips:
        raise ReprintError("the slip came out empty; this is a bug in the slip layout")
    from reslip.printer_emu import render
    return render(slips[0].rows)


def write_png(data, path, profile_name="qr204"):
    """The slip as a PNG, one pixel per printer dot (384 wide, 48 mm at 203 dpi)."""
    image = slip_image(data, profile_name)
    _save(image, path, "PNG", dpi=(_DOTS_PER_MM * 25.4,) * 2)
    return image


def write_pdf(data, path, profile_name="qr204"):
    """The slip as a one-page PDF 58 mm wide: the 48 mm print area centred on the paper."""
    from PIL import Image

    printed = slip_image(data, profile_name)
    paper_dots = PAPER_MM * _DOTS_PER_MM
    page = Image.new("1", (paper_dots, printed.height + 2 * _DOTS_PER_MM * 4), 1)
    page.paste(printed, ((paper_dots - printed.width) // 2, _DOTS_PER_MM * 4))
    _save(page, path, "PDF", resolution=_DOTS_PER_MM * 25.4)
    return page


def _save(image, path, kind, **options):
    try:
        image.save(path, kind, **options)
    except OSError as error:
        raise ReprintError("cannot write %s: %s" % (path, error.strerror or error)) from None


def print_with_lp(data, destination=None, profile_name="qr204"):
    """Sends the slip as a 58 mm PDF to a system printer through `lp`."""
    lp = shutil.which("lp")
    if lp is None:
        raise ReprintError("`lp` is not installed here (it comes with CUPS: apt install "
                           "cups-client); print to a file with --pdf or --png instead")
    with tempfile.TemporaryDirectory() as folder:
        pdf = os.path.join(folder, "reprint.pdf")
        write_pdf(data, pdf, profile_name)
        command = [lp, "-o", "media=Custom.%dx%dmm" % (PAPER_MM, 297)]
        if destination:
            command += ["-d", destination]
        run = subprocess.run(command + [pdf], capture_output=True, text=True)
    if run.returncode != 0:
        raise ReprintError("lp refused the job: %s" % (run.stderr.strip() or run.stdout.strip()))
    return run.stdout.strip()


class SerialUart:
    """A pyserial port as the UART terminal.escpos.Printer expects: write() -> count,
    read(n) -> bytes or None without waiting, any() -> bytes waiting."""

    def __init__(self, port):
        self.port = port

    def write(self, buf):
        return self.port.write(bytes(buf))

    def read(self, count):
        return self.port.read(min(count, self.port.in_waiting)) or None

    def any(self):
        return self.port.in_waiting


def print_to_serial(data, port_path, profile_name="qr204", baud=9600, timeout_s=60.0,
                    fault_timeout_s=5.0):
    """Prints on a TTL thermal printer behind a USB serial adapter with the
    firmware's driver: status asked first, bytes paced to the head. A fault
    (paper out) that lasts fault_timeout_s ends it with an error."""
    import termios

    import serial
    from terminal.escpos import Printer, get_profile

    try:
        port = serial.serial_for_url(port_path, baudrate=baud, timeout=0)
    except (serial.SerialException, ValueError, OSError, termios.error) as error:
        # termios.error: a pseudo-terminal whose other end is already gone.
        raise ReprintError("cannot open %s: %s; is the USB serial adapter plugged in?"
                           % (port_path, error)) from None
    with port:
        printer = Printer(SerialUart(port), get_profile(profile_name), baud=baud)
        printer.submit(data)
        deadline = time.monotonic() + timeout_s
        fault_since = None
        try:
            while printer.busy:
                printer.pump(time.ticks_ms())
                if printer.fault is None:
                    fault_since = None
                elif fault_since is None:
                    fault_since = time.monotonic()
                elif time.monotonic() - fault_since > fault_timeout_s:
                    raise ReprintError("the printer on %s reports %s; fix it and reprint "
                                       "again" % (port_path, printer.fault))
                if time.monotonic() > deadline:
                    fault = printer.fault or "still printing"
                    raise ReprintError("the printer on %s did not finish (%s); check its "
                                       "paper and power, then reprint again" % (port_path, fault))
                time.sleep(_SERIAL_STEP_S)
            port.flush()
        except serial.SerialException as error:
            raise ReprintError("the serial port failed (%s); is the adapter still plugged "
                               "in?" % error) from None
    return printer


def reprint(db_path, voucher, terminal=None, settings=None, png=None, pdf=None, lp=None,
            serial_port=None, baud=9600, now=None, copy_label="MERCHANT COPY"):
    """Reprints one stored voucher to every target given and counts it once in
    the store. lp: None (not to lp), "" (lp's default printer) or a destination.
    Returns the Reprint; raises ReprintError (nothing counted) if a target fails."""
    from reslip.find import open_store

    if png is None and pdf is None and lp is None and serial_port is None:
        raise ReprintError("say where the slip goes: --png FILE, --pdf FILE, --lp [PRINTER] "
                           "or --serial PORT")
    settings = settings if settings is not None else load_settings()
    with open_store(db_path) as store:
        terminal = pick_terminal(store, voucher, terminal)
        made = build_reprint(store, voucher, terminal, settings, now=now, copy_label=copy_label)
        profile_name = settings.get("printer", "qr204")

        targets = []
        if png is not None:
            write_png(made.data, png, profile_name)
            targets.append("png")
        if pdf is not None:
            write_pdf(made.data, pdf, profile_name)
            targets.append("pdf")
        if lp is not None:
            print_with_lp(made.data, lp or None, profile_name)
            targets.append("lp")
        if serial_port is not None:
            print_to_serial(made.data, serial_port, profile_name, baud=baud)
            targets.append("serial")

        # One reprint, however many places it went to.
        store.add_pc_reprint(terminal, voucher, made.when, ",".join(targets))
    return made
