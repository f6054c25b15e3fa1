# `reslip reprint`: a stored slip again, built by the firmware's own slip code,
# to a picture, a PDF, lp, or a thermal printer on a serial port.
import os
import subprocess
import sys

import pytest
from PIL import Image

from reslip import reprint
from reslip.printer_emu import PrinterEmulator
from reslip.store import Store
from terminal.record import CARD, REPRINT, SALE, Record

from pty_printer import PrinterOnPty

NOW = 1775000000
SALE_RECORD = Record(SALE, amount=123456, method=CARD, operator=3, voucher=7,
                     timestamp=1774900000, card_last4="4321", reference="午餐")


@pytest.fixture
def store_path(tmp_path):
    path = str(tmp_path / "store.sqlite")
    with Store(path) as store:
        store.add("T1", [(7, SALE_RECORD.encode(), 0)])
        # The terminal itself reprinted voucher 7 once already.
        event = Record(REPRINT, operator=3, refers_to=7, timestamp=1774900100, voucher=8)
        store.add("T1", [(8, event.encode(), 0)])
        store.add("T2", [(7, Record(SALE, amount=5, voucher=7).encode(), 0)])
    return path


def decoded(data):
    emulator = PrinterEmulator()
    emulator.feed(data)
    return emulator.slips()


def test_slip_is_the_firmware_layout_marked_with_the_next_count(store_path, tmp_path):
    settings = reprint.load_settings("unix", merchant_name="PC SHOP")
    with Store(store_path) as store:
        made = reprint.build_reprint(store, 7, "T1", settings, now=NOW)
    assert made.count == 2  # one reprint on the terminal before this one
    text = decoded(made.data)[0].text
    assert "REPRINT" in text and "重打印" in text and "#2" in text
    assert "PC SHOP" in text and "1,234.56" in text and "****4321" in text
    assert "T1" in text  # the record's terminal, not the config's


def test_png_and_pdf_are_58mm_and_reprints_are_counted(store_path, tmp_path):
    png = str(tmp_path / "slip.png")
    pdf = str(tmp_path / "slip.pdf")
    first = reprint.reprint(store_path, 7, terminal="T1", png=png, pdf=pdf, now=NOW)
    second = reprint.reprint(store_path, 7, terminal="T1", png=png, now=NOW + 60)
    assert (first.count, second.count) == (2, 3)
    assert (first.pc_count, second.pc_count) == (1, 2)
    with Store(store_path) as store:
        assert store.pc_reprint_count("T1", 7) == 2

    picture = Image.open(png)
    assert picture.width == 384 and picture.height > 300
    assert picture.getextrema() == (0, 255) or picture.getextrema() == (0, 1)
    with open(pdf, "rb") as file:
        head = file.read()
    assert head.startswith(b"%PDF")
    # MediaBox width in points: 58 mm is 164.4 pt.
    import re
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)", head)
    width_pt = float(box.group(1))
    assert abs(width_pt * 25.4 / 72 - 58) < 0.5


def test_voucher_on_two_terminals_needs_terminal(store_path, tmp_path):
    with pytest.raises(reprint.ReprintError, match="T1, T2; give --terminal"):
        reprint.reprint(store_path, 7, png=str(tmp_path / "x.png"))
    with pytest.raises(reprint.ReprintError, match="event without a slip"):
        reprint.reprint(store_path, 8, png=str(tmp_path / "x.png"))
    with pytest.raises(reprint.ReprintError, match="no voucher 000099"):
        reprint.reprint(store_path, 99, png=str(tmp_path / "x.png"))


def test_missing_lp_is_said_clearly(store_path, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(reprint.ReprintError, match="`lp` is not installed"):
        reprint.reprint(store_path, 7, terminal="T1", lp="")
    with Store(store_path) as store:
        assert store.pc_reprint_count("T1", 7) == 0  # nothing printed, nothing counted


def test_lp_gets_a_pdf(store_path, tmp_path, monkeypatch):
    # A stand-in lp that keeps what it was given.
    fake = tmp_path / "bin"
    fake.mkdir()
    log = tmp_path / "lp.log"
    (fake / "lp").write_text("#!/bin/sh\necho \"$@\" > %s\nfor last; do :; done\n"
                             "/bin/cp \"$last\" %s\necho request id is slip-1\n"
                             % (log, tmp_path / "got.pdf"))
    (fake / "lp").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    reprint.reprint(store_path, 7, terminal="T1", lp="counter")
    assert "-d counter" in log.read_text()
    assert (tmp_path / "got.pdf").read_bytes().startswith(b"%PDF")


def test_serial_printer_gets_the_slip_through_the_firmware_driver(store_path):
    printer = PrinterOnPty()
    try:
        made = reprint.reprint(store_path, 7, terminal="T1", serial_port=printer.path,
                               baud=115200, now=NOW)
    finally:
        printer.close()
    slips = printer.emulator.slips()
    assert len(slips) == 1
    # The driver asks for the paper status between pieces; the rest is the slip whole.
    import re
    assert re.sub(rb"\x10\x04[\x01-\x04]", b"", slips[0].raw) == made.data
    assert slips[0].raw.startswith(b"\x10\x04")
    assert "REPRINT" in slips[0].text


def test_serial_printer_out_of_paper_is_an_error_not_a_count(store_path):
    printer = PrinterOnPty(paper_out=True)
    try:
        with pytest.raises(reprint.ReprintError, match="PAPER OUT"):
            made = reprint.build_reprint(Store(store_path), 7, "T1", reprint.load_settings())
            reprint.print_to_serial(made.data, printer.path, fault_timeout_s=0.5)
    finally:
        printer.close()


def test_cli_reprint_and_its_errors(store_path, tmp_path):
    png = str(tmp_path / "cli.png")
    run = subprocess.run([sys.executable, "-m", "reslip.cli", "reprint", "7", "--terminal", "T1",
                          "--db", store_path, "--png", png], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    # The terminal's reprint (pulled) and this PC's are counted apart.
    assert run.stdout.startswith("PC reprint #1 of voucher 000007 (terminal T1) sent to ")
    assert "the slip is marked reprint #2 (1 made on the terminal" in run.stdout
    assert os.path.getsize(png) > 0

    help_text = subprocess.run([sys.executable, "-m", "reslip.cli", "reprint", "--help"],
                               capture_output=True, text=True, timeout=60).stdout
    assert "apart from the terminal's own reprint count" in " ".join(help_text.split())

    run = subprocess.run([sys.executable, "-m", "reslip.cli", "reprint", "7", "--terminal", "T1",
                          "--db", store_path, "--serial", "/dev/no-such-adapter"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert run.stderr.startswith("reslip: reprint: cannot open /dev/no-such-adapter")
    assert "Traceback" not in run.stderr
