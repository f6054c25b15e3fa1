"""`reslip demo`: the whole terminal, end to end, on the board in a box.

Starts the MicroPython unix port on a pseudo-terminal, deploys the firmware
with `reslip flash`, gives it a service-link key with `reslip provision`,
types a keypad session (sales, reprint of the last slip,
a sale found by voucher number and reprinted), pulls the journal into SQLite
and CSV, and writes what the printer received as raw bytes, text and pictures.
"""

import os
import shutil
import time

from reslip import boardbox
from reslip.errors import ReslipError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SESSION = os.path.join(ROOT, "demo", "session.keys")

_SCREEN_WAIT_S = 15.0
_PRINTER_QUIET_S = 1.0


def run_demo(out, session=SESSION, say=print):
    out = os.path.abspath(out)
    try:
        if os.path.exists(out):
            shutil.rmtree(out)
        os.makedirs(out)
    except OSError as error:
        raise ReslipError("cannot make the output folder %s: %s"
                          % (out, error.strerror or error)) from None
    box = os.path.join(out, "board")
    started = time.monotonic()

    say("1. starting the board in a box (MicroPython unix port on a pseudo-terminal)")
    state = boardbox.start(box)
    try:
        port = state["port"]
        say("   port %s" % port)

        say("2. reslip flash %s" % port)
        from reslip.deploy import flash
        result = flash(port, "unix", progress=lambda line: None)
        say("   compiled by mpy-cross; %s" % (result,))

        key_file = os.path.join(out, "terminal.key")
        say("3. reslip provision %s --key-file %s" % (port, os.path.relpath(key_file, out)))
        from reslip.provision import provision
        done = provision(port, key_file)
        say("   " + str(done).replace("\n", "\n   "))

        say("4. keypad session from %s" % os.path.relpath(session, ROOT))
        run_box_script(box, session, say=lambda line: say("   " + line))

        from reslip.link import read_key_file
        from reslip.pull import PullError, pull
        say("5. reslip pull %s, first without the key" % port)
        try:
            pull(port, os.path.join(out, "journal.sqlite"))
        except PullError as refusal:
            say("   refused as it should be: %s" % refusal)
        else:
            raise ReslipError("the terminal answered a PC without its key")
        summary = pull(port, os.path.join(out, "journal.sqlite"),
                       csv_path=os.path.join(out, "journal.csv"), key=read_key_file(key_file))
        say("   with --key-file terminal.key: " + str(summary))
    finally:
        boardbox.stop(box)

    say("6. what the printer received")
    slips = write_slips(os.path.join(box, "printer.bin"), out)

    say("")
    say("done in %.1f s; everything is in %s:" % (time.monotonic() - started, out))
    say("  printer.bin          the raw ESC/POS bytes the printer received")
    say("  slips/slip-NN.txt    each slip decoded to text (%d slips)" % len(slips))
    say("  slips/slip-NN.png    each slip as a picture, 384 dots wide")
    say("  journal.csv          the journal as pulled (UTF-8 with BOM)")
    say("  journal.sqlite       the PC's store")
    say("  terminal.key         the terminal's service-link key (pull needs it)")
    say("  board/               the board in a box: its files, flash.bin, screen.txt")
    reprints = sum(1 for slip in slips if "REPRINT" in slip.text)
    say("  %d slips, %d of them reprints" % (len(slips), reprints))
    return slips


def run_box_script(box, path, say=print):
    """Types a key script on the box's keypad, checking each expectation on its screen."""
    from terminal import keyscript

    with open(path, encoding="utf-8") as file:
        steps = keyscript.parse(file.read())

    typed = []
    for step in steps:
        if step[0] == "key":
            typed.append(step[1])
            continue
        if typed:
            boardbox.press_keys(box, "".join(typed))
            typed = []
        if step[0] == "expect":
            _, expected, line_no = step
            _wait_for_screen(box, expected, "%s line %d" % (os.path.basename(path), line_no))
        else:
            _wait_for_printer(box)
    if typed:
        boardbox.press_keys(box, "".join(typed))
    _wait_for_printer(box)


def _wait_for_screen(box, expected, where):
    from terminal import keyscript

    deadline = time.monotonic() + _SCREEN_WAIT_S
    while True:
        screen = boardbox.read_screen(box)
        if keyscript.shows(screen.splitlines(), expected):
            return
        if time.monotonic() > deadline:
            raise ReslipError("%s: the screen never showed %r; it shows:\n%s" % (
                where, expected, screen))
        time.sleep(0.02)


def _wait_for_printer(box):
    """Waits until nothing has reached the printer for a moment."""
    path = os.path.join(box, "printer.bin")
    last_size = -1
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < _PRINTER_QUIET_S:
        size = os.path.getsize(path) if os.path.exists(path) else 0
        if size != last_size:
            last_size = size
            quiet_since = time.monotonic()
        time.sleep(0.05)


def write_slips(printer_bin, out):
    """Decodes the printer's bytes into slips/*.txt and *.png; returns the slips."""
    from reslip.printer_emu import PrinterEmulator

    try:
        with open(printer_bin, "rb") as file:
            raw = file.read()
    except FileNotFoundError:
        raise ReslipError("the printer has received nothing yet (no %s)" % printer_bin)
    emulator = PrinterEmulator()
    emulator.feed(raw)
    slips = emulator.slips()
    folder = os.path.join(out, "slips")
    try:
        os.makedirs(folder, exist_ok=True)
        shutil.copyfile(printer_bin, os.path.join(out, "printer.bin"))
        for number, slip in enumerate(slips, 1):
            base = os.path.join(folder, "slip-%02d" % number)
            with open(base + ".txt", "w", encoding="utf-8") as file:
                file.write(slip.text)
            slip.render_png(base + ".png")
    except OSError as error:
        raise ReslipError("cannot write the slips into %s: %s"
                          % (out, error.strerror or error)) from None
    if not slips:
        raise ReslipError("the printer received no slip; see %s" % printer_bin)
    return slips
