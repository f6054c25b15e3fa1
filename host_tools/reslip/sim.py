"""`reslip sim`: the terminal's firmware under CPython, in this window.

Keys come from the keyboard (or a key script), the screen is drawn as text and
each slip is shown as the printer emulator decoded it.
"""

import importlib.util
import os
import sys

from reslip.errors import ReslipError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Keyboard keys that stand for keypad keys, beside the keypad's own characters.
_KEYBOARD = {"\r": "#", "\n": "#", "\x7f": "D", "\x08": "D", "\x1b": "C", ".": "*"}
_STEP_MS = 10
_SETTLE_STEPS = 20000


def load_board_module(name):
    """boards/<name>/board.py as a module, with the PC boards' modules importable."""
    pc_modules = os.path.join(ROOT, "boards", "pc")
    if pc_modules not in sys.path:
        sys.path.insert(0, pc_modules)
    path = os.path.join(ROOT, "boards", name, "board.py")
    spec = importlib.util.spec_from_file_location("reslip_board_" + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Simulator:
    """The app on the simulation board, run on a clock of its own."""

    def __init__(self, state_dir, screen):
        from reslip.tables import ensure_gb2312_table
        from terminal.app import App

        table = os.path.join(ROOT, "build", "gb2312.bin")
        ensure_gb2312_table(table)
        self.board = load_board_module("sim").Board(state_dir, screen, table)
        self.app = App(self.board)
        self.now_ms = 0
        self.slips_shown = 0

    def press(self, key):
        self.board.keypad.push(key)
        self.settle()

    def settle(self):
        """Runs the loop until the key is taken and the printer has finished."""
        for _ in range(_SETTLE_STEPS):
            self.app.step(self.now_ms)
            self.now_ms += _STEP_MS
            if not self.board.keypad.keys and not self.app.terminal.printer.busy:
                return
        raise ReslipError("the terminal did not settle; the printer may be held by a fault")

    def new_slips(self):
        slips = self.board.emulator.slips()
        fresh = slips[self.slips_shown:]
        self.slips_shown = len(slips)
        return fresh


def run_sim(script=None, box=".sim"):
    from terminal.screen import ConsoleScreen

    screen = ConsoleScreen(sys.stdout)
    simulator = Simulator(box, screen)
    if script is not None:
        return _run_script(simulator, script)
    return _run_keyboard(simulator)


def _run_script(simulator, path):
    from terminal import keyscript

    try:
        with open(path, encoding="utf-8") as file:
            steps = keyscript.parse(file.read())
    except OSError as error:
        raise ReslipError("cannot read the key script: %s" % error)
    except ValueError as error:
        raise ReslipError("%s: %s" % (path, error))

    for step in steps:
        if step[0] == "key":
            simulator.press(step[1])
            _show_slips(simulator)
        elif step[0] == "expect":
            _, expected, line_no = step
            if not keyscript.shows(simulator.app.menu.lines, expected):
                raise ReslipError("%s line %d: expected %r on the screen, which shows:\n%s" % (
                    path, line_no, expected, "\n".join(simulator.app.menu.lines)))
        else:
            simulator.settle()
    return 0


def _run_keyboard(simulator):
    import termios
    import tty

    if not sys.stdin.isatty():
        raise ReslipError("no keyboard here; give a key script with --script FILE")
    print("Keys: 0-9 * # A-D; Enter is #, Backspace is D, Esc is C, '.' is *; q quits.")
    saved = termios.tcgetattr(sys.stdin)
    try:
        tty.setcbreak(sys.stdin)
        while True:
            char = sys.stdin.read(1)
            if char in ("q", "Q", "\x03", "\x04", ""):
                return 0
            key = _KEYBOARD.get(char, char.upper())
            simulator.press(key)
            _show_slips(simulator)
    finally:
        termios.tcsetattr(sys.stdin, termios.TCSADRAIN, saved)


def _show_slips(simulator):
    for slip in simulator.new_slips():
        print("-" * 34)
        print(slip.text.rstrip("\n"))
        print("-" * 34)
