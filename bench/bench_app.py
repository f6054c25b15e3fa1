"""app.min_heap_kb: the smallest MicroPython heap under which the demo's session completes.

The firmware is deployed once as .mpy to a board in a box, then the box is
powered on again with smaller and smaller heaps (`micropython -X heapsize=`):
at each size the app boots from main.py, the demo's key session is typed and
the journal pulled. A size passes when every screen of the session appeared,
every slip printed whole (decoded from the printer's bytes: the vouchers in
order, the two reprints marked) and the pull brought back every record.
"""

import os
import re
import shutil
import tempfile

from reslip import boardbox
from reslip.demo import SESSION, run_box_script
from reslip.deploy import flash
from reslip.errors import ReslipError
from reslip.printer_emu import PrinterEmulator
from reslip.pull import pull

_LOW_KB = 16
_HIGH_KB = 256
_STEP_KB = 4
_RECORDS_IN_SESSION = 5
_BAR_KB = 64
# The slips the session prints, by voucher: three sales of two copies each,
# then the last sale and sale 2 reprinted.
_SLIP_VOUCHERS = [1, 1, 2, 2, 3, 3, 3, 2]
_REPRINTED = [False] * 6 + [True, True]
_VOUCHER_LINE = re.compile(r"VOUCHER NO\.\s+(\d{6})")


def session_completes(box, heap_kb, work):
    """Boots the deployed app with `heap_kb` of heap; True if the whole session ran."""
    for name in ("keys", "keys.taken", "screen.txt", "printer.bin"):
        path = os.path.join(box, name)
        if os.path.exists(path):
            os.remove(path)
    _fresh_flash(box)

    state = boardbox.start(box, heap="%dk" % heap_kb)
    try:
        run_box_script(box, SESSION, say=lambda line: None)
        database = os.path.join(work, "heap-%d.sqlite" % heap_kb)
        summary = pull(state["port"], database)
        return summary.received == _RECORDS_IN_SESSION and slips_complete(box)
    except ReslipError:
        return False
    finally:
        boardbox.stop(box)


def slips_complete(box):
    """True when the printer received exactly the session's slips, each whole."""
    try:
        with open(os.path.join(box, "printer.bin"), "rb") as file:
            raw = file.read()
    except FileNotFoundError:
        return False
    emulator = PrinterEmulator()
    emulator.feed(raw)
    vouchers = []
    reprinted = []
    for slip in emulator.slips():
        found = _VOUCHER_LINE.search(slip.text)
        vouchers.append(int(found.group(1)) if found else None)
        # A whole slip ends with its voucher code; a reprint is marked twice.
        whole = found is not None and "%06d]" % vouchers[-1] in slip.text
        if not whole:
            return False
        reprinted.append(slip.text.count("REPRINT") == 2)
    return vouchers == _SLIP_VOUCHERS and reprinted == _REPRINTED


def _fresh_flash(box):
    # Every trial starts from an erased journal, so voucher numbers match the script.
    path = os.path.join(box, "flash.bin")
    if os.path.exists(path):
        os.remove(path)


def run(report):
    work = tempfile.mkdtemp(prefix="reslip-heap-")
    box = os.path.join(work, "board")
    try:
        state = boardbox.start(box)
        try:
            flash(state["port"], "unix", progress=lambda line: None)
        finally:
            boardbox.stop(box)

        # Bisect on the heap size: below the answer the session fails, at it and
        # above it the session completes.
        low, high = _LOW_KB, _HIGH_KB
        if not session_completes(box, high, work):
            raise RuntimeError("the session fails even with a %d KiB heap" % high)
        while high - low > _STEP_KB:
            middle = (low + high) // 2
            if session_completes(box, middle, work):
                high = middle
            else:
                low = middle
        report("app.min_heap_kb", high, "KiB", baseline=None, bar=_BAR_KB, better="lower",
               note="smallest -X heapsize (to %d KiB) under which the demo's key session, "
                    "its slips and a pull complete on the board in a box, firmware as .mpy"
                    % _STEP_KB)
    finally:
        shutil.rmtree(work, ignore_errors=True)
