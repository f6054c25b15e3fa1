# The PC tools end to end against the board in a box (the MicroPython unix port
# on a pseudo-terminal): flash and its cuts, sales typed on the keypad, pull,
# find, reprint to a picture and to a serial printer, and pulls through a wire
# that injects junk, flipped bits, cuts and a stalled reader.
import os
import pty
import select
import shutil
import signal
import threading
import time
import tty

import pytest

from reslip import boardbox, deploy, find, reprint
from reslip.demo import run_box_script
from reslip.errors import ReslipError
from reslip.pull import PullError, pull
from reslip.store import Store

from pty_printer import PrinterOnPty
from wire_faults import line_noise

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILLED = 300  # sales put in the journal before the keypad session
SCREEN_WAIT_S = 15


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("box"))
    state = boardbox.start(folder)
    try:
        deploy.flash(state["port"], "unix", progress=lambda line: None)
        forget_screen(folder)
        assert boardbox.fill_journal(state["port"], FILLED) == FILLED
        wait_for_screen(folder, "READY")
        yield dict(state, box=folder)
    finally:
        boardbox.stop(folder)


def forget_screen(box_folder):
    """Removes the screen's file, so that only an app that runs shows it again."""
    try:
        os.remove(os.path.join(box_folder, "screen.txt"))
    except FileNotFoundError:
        pass


def wait_for_screen(box_folder, text):
    deadline = time.monotonic() + SCREEN_WAIT_S
    while text not in boardbox.read_screen(box_folder):
        if time.monotonic() > deadline:
            raise AssertionError("the screen never showed %r:\n%s"
                                 % (text, boardbox.read_screen(box_folder)))
        time.sleep(0.02)


def terminal_records(box_folder, tmp_path):
    """(voucher, payload) of every record in the box's flash, read under CPython
    from a copy, as the truth a pull must reproduce."""
    import sys
    pc_modules = os.path.join(ROOT, "boards", "pc")
    if pc_modules not in sys.path:
        sys.path.insert(0, pc_modules)
    from norflash import NorFlash
    from terminal.journal import Journal

    copy = str(tmp_path / "flash-copy.bin")
    shutil.copyfile(os.path.join(box_folder, "flash.bin"), copy)
    journal = Journal(NorFlash(copy, 4096, 256))
    journal.mount()
    return [(voucher, bytes(payload)) for voucher, payload in journal.records()]


def stored_records(db_path):
    with Store(db_path) as store:
        return store.payloads("00000001", 1, 10 ** 9)


# -- flash ----------------------------------------------------------------------


def test_flash_again_sends_nothing_within_three_seconds(box):
    forget_screen(box["box"])
    result = deploy.flash(box["port"], "unix", progress=lambda line: None)
    assert not result.switched and result.sent == 0
    assert result.seconds < 3
    wait_for_screen(box["box"], "READY")


@pytest.mark.parametrize("cut_at", ["[2/", "verifying", "switching"])
def test_flash_cut_midway_leaves_a_whole_version_booting(box, cut_at):
    fs = os.path.join(box["box"], "fs")
    with open(os.path.join(fs, "active")) as file:
        before = file.read().strip()
    stamp = ("cut at %s" % cut_at).encode()

    def progress(line):
        # The board loses power at this step of the install.
        if cut_at in line:
            forget_screen(box["box"])
            os.kill(boardbox.box_state(box["box"])["board_pid"], signal.SIGKILL)
            # The PC would notice only after its timeouts; what counts is the board.
            raise ReslipError("power cut")

    with pytest.raises(ReslipError):
        deploy.flash(box["port"], "unix", progress=progress, extra_files={"stamp.txt": stamp})

    # Powered on again, the loader boots a whole version: the old one, or the
    # new one if the cut came after the switch.
    wait_for_screen(box["box"], "READY")
    with open(os.path.join(fs, "active")) as file:
        after = file.read().strip()
    assert after in (before, "b" if before == "a" else "a")
    if cut_at != "switching":
        assert after == before

    # The next flash finishes the job.
    forget_screen(box["box"])
    result = deploy.flash(box["port"], "unix", progress=lambda line: None,
                          extra_files={"stamp.txt": stamp})
    with open(os.path.join(fs, result.slot, "stamp.txt"), "rb") as file:
        assert file.read() == stamp
    with open(os.path.join(fs, "active")) as file:
        assert file.read().strip() == result.slot
    wait_for_screen(box["box"], "READY")


# -- keypad sales, pull, find, reprint ------------------------------------------

SESSION = """
                ? READY
A 43*21 #       ? 1CASH 2CARD 3QR
2 9876 #        ? PRINT CARD*9876?
#               ? PRINTED
C               ? READY
! wait
A 7 # 1         ? PRINT CASH?
#               ? PRINTED
C               ? READY
! wait
"""


def test_keypad_sales_pulled_found_and_reprinted(box, tmp_path):
    script = tmp_path / "sales.keys"
    script.write_text(SESSION, encoding="utf-8")
    run_box_script(box["box"], str(script), say=lambda line: None)

    db_path = str(tmp_path / "store.sqlite")
    summary = pull(box["port"], db_path)
    assert summary.export_note == ""
    assert stored_records(db_path) == terminal_records(box["box"], tmp_path)

    # find: the card sale by its amount, then by an amount range and the day.
    with Store(db_path) as store:
        found = find.find(store, find.Query(amount_min=4321, amount_max=4321))
        assert len(found) == 1
        terminal, sale = found[0]
        assert (sale.card_last4, sale.voucher) == ("9876", FILLED + 1)
        today = time.strftime("%Y-%m-%d", time.gmtime())
        newest = find.find(store, find.Query(start=find.parse_time(today),
                                             end=find.parse_time(today, end_of_range=True)))
        assert [record.amount for _, record in newest][:2] == [700, 4321]

    # reprint to a picture and to a thermal printer on a serial line.
    png = str(tmp_path / "reprint.png")
    made = reprint.reprint(db_path, sale.voucher, png=png)
    assert made.count == 1 and os.path.getsize(png) > 1000
    printer = PrinterOnPty()
    try:
        made = reprint.reprint(db_path, sale.voucher, serial_port=printer.path, baud=115200)
    finally:
        printer.close()
    assert made.count == 2
    text = printer.emulator.slips()[0].text
    assert "REPRINT" in text and "#2" in text and "43.21" in text and "****9876" in text


# -- a faulty wire between the PC and the board -----------------------------------


class FaultyWire:
    """A second serial port relayed to the board's, damaging what crosses it.

    faults: a function (chunk, direction "in" to the PC / "out" to the board)
    -> chunk. stall(seconds) stops reading the board's side for a while, as a
    PC that stops reading does. cut_after: after that many bytes have reached
    the PC the port goes away, as when the cable is pulled."""

    def __init__(self, board_port, faults=None, cut_after=None):
        self.board = os.open(board_port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self.master, slave = pty.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        self.slave = slave
        self.faults = faults
        self.cut_after = cut_after
        self.delivered = 0
        self.stalled_until = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._relay, daemon=True)
        self.thread.start()

    def stall(self, seconds):
        self.stalled_until = time.monotonic() + seconds

    def _relay(self):
        while not self.stop.is_set():
            watch = [self.master]
            if time.monotonic() >= self.stalled_until:
                watch.append(self.board)
            ready = select.select(watch, [], [], 0.01)[0]
            if self.master in ready:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    return
                _write_all(self.board, self._damage(data, "out"))
            if self.board in ready:
                try:
                    data = os.read(self.board, 4096)
                except BlockingIOError:
                    continue
                if self.cut_after is not None:
                    data = data[:max(0, self.cut_after - self.delivered)]
                _write_all(self.master, self._damage(data, "in"))
                self.delivered += len(data)
                if self.cut_after is not None and self.delivered >= self.cut_after:
                    # The cable is out: the PC's port is gone.
                    os.close(self.master)
                    self.master = None
                    return

    def _damage(self, data, direction):
        return self.faults(data, direction) if self.faults and data else data

    def close(self):
        self.stop.set()
        self.thread.join()
        for fd in (self.master, self.slave, self.board):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass


def _write_all(fd, data):
    while data:
        try:
            data = data[os.write(fd, data):]
        except BlockingIOError:
            select.select([], [fd], [], 0.05)


def test_pull_through_junk_flips_cuts_and_a_stall(box, tmp_path):
    db_path = str(tmp_path / "noisy.sqlite")
    noise = line_noise(11, 0.15, kept_from_board=b"\x03>")
    wire = FaultyWire(box["port"], faults=noise)
    outcome = []
    try:
        # The PC stops reading for longer than its own timeout as the pull
        # begins; the terminal keeps taking keys meanwhile.
        wire.stall(2.0)
        puller = threading.Thread(
            target=lambda: outcome.append(pull(wire.path, db_path, timeout_s=0.5)))
        puller.start()
        boardbox.press_keys(box["box"], "A")
        wait_for_screen(box["box"], "SALE AMOUNT")
        boardbox.press_keys(box["box"], "C")
        wait_for_screen(box["box"], "READY")
        puller.join(60)
    finally:
        wire.close()
    assert outcome, "the pull did not finish"
    assert noise.damaged > 0
    assert stored_records(db_path) == terminal_records(box["box"], tmp_path)


def test_pull_cut_anywhere_resumes_to_exactly_the_terminals_records(box, tmp_path):
    db_path = str(tmp_path / "cut.sqlite")
    cuts = 0
    cut_after = 50
    for _ in range(40):
        wire = FaultyWire(box["port"], cut_after=cut_after)
        try:
            summary = pull(wire.path, db_path, timeout_s=0.5)
        except PullError:
            cuts += 1
            cut_after += 997  # a different place in a frame each time
            continue
        finally:
            wire.close()
        if summary.export_note:
            cut_after += 997  # the cut hit the confirm: the next pull confirms
            continue
        break
    assert cuts >= 5
    assert stored_records(db_path) == terminal_records(box["box"], tmp_path)
    with Store(db_path) as store:
        assert store.conflicts() == []


def test_flash_while_slips_print_waits_until_they_are_out(box):
    from reslip.printer_emu import PrinterEmulator
    from reslip.sale import record_sale

    printer_bin = os.path.join(box["box"], "printer.bin")
    printed_before = os.path.getsize(printer_bin)
    voucher = record_sale(box["port"], 5555, method="card", card="1234")

    # At once, while the first copy is still printing.
    deploy.flash(box["port"], "unix", progress=lambda line: None)
    wait_for_screen(box["box"], "READY")

    with open(printer_bin, "rb") as file:
        file.seek(printed_before)
        emulator = PrinterEmulator()
        emulator.feed(file.read())
    copies = [slip.text for slip in emulator.slips() if "%06d" % voucher in slip.text]
    assert len(copies) == 2  # the box's config.json asks for two
    for text in copies:
        # Whole to its last line: the amount, then the voucher's code.
        assert "CNY 55.55" in text and "[QR %06d]" % voucher in text
