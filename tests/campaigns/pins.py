# PINs against brute force, on the real Terminal, Menu and settings file:
# guesses typed at keypad speed for each role, the terminal rebooted now and
# then (a new Terminal and Menu on the same flash and settings file, its tick
# clock starting again at 0); and the compare counted, so that a near guess
# and a far one cost the same.
import os
import tempfile

from campaigns import Outcome
from norflash import NorFlash
from terminal import pins
from terminal.app import Terminal
from terminal.escpos import Printer, get_profile
from terminal.journal import Journal
from terminal.menu import Menu
from terminal.settings import Settings
from terminal.textenc import TextEncoder
from test_menu_terminal import Clock, base_settings

from test_menu import RecordingUart

PIN_TRIES = 5            # wrong PINs in a row before a lock (menu.py)
PIN_LOCK_MS = 300000     # how long a lock lasts
KEY_MS = 200             # a fast typist: five keys a second

# The keys that open each role's PIN entry, from the idle screen; the
# supervisor and the admin are asked for after the operator's PIN (1234).
ROLE_PATHS = {"operator": "B", "supervisor": "B1234#7", "admin": "B1234#8"}
RIGHT_PINS = {"operator": "1234", "supervisor": "0000", "admin": "9999"}


class Keypad:
    """A terminal that can be rebooted, typed at, and counted."""

    def __init__(self, folder):
        self.flash = NorFlash(sector_size=4096, sector_count=8)
        self.settings_path = os.path.join(folder, "settings.json")
        self.checks = []  # (role, pin, world ms) for every PIN the terminal compared
        self.world_ms = 0
        self.boot()

    def boot(self):
        journal = Journal(self.flash)
        journal.mount()
        encoder = TextEncoder(None, "cp437")
        printer = Printer(RecordingUart(), get_profile("qr204-latin"), encoder)
        settings = Settings(base_settings(), self.settings_path)
        self.terminal = Terminal(journal, printer, settings, Clock(), encoder)
        check_pin = self.terminal.check_pin

        def counted(role, pin):
            self.checks.append((role, pin, self.world_ms))
            return check_pin(role, pin)
        self.terminal.check_pin = counted
        self.menu = Menu(self.terminal)
        self.boot_ms = self.world_ms
        self.menu.tick(0)

    def type(self, keys):
        for key in keys:
            self.world_ms += KEY_MS
            self.menu.press(key)
            self.menu.tick(self.world_ms - self.boot_ms)

    def wait(self, ms):
        self.world_ms += ms
        self.menu.tick(self.world_ms - self.boot_ms)

    def role_checks(self, role):
        return len([check for check in self.checks if check[0] == role])

    def to_idle(self):
        self.type("CCCC")


def allowed_checks(elapsed_ms):
    """The most wrong guesses a role may have compared in `elapsed_ms`."""
    return PIN_TRIES * (1 + elapsed_ms // PIN_LOCK_MS)


def brute_force(size, reboot_every=211):
    """Wrong guesses for each role, typed without pause; a reboot every
    `reboot_every` guesses. A case is a guess; it is lost when the terminal
    has compared more guesses than the lock allows, or lets a locked role's
    guess through after a reboot."""
    outcome = Outcome()
    with tempfile.TemporaryDirectory() as folder:
        roles = ("operator", "supervisor", "admin")
        for number, role in enumerate(roles, 1):
            pad = Keypad(folder)
            start_ms = pad.world_ms
            guess = 0
            while outcome.cases < size * number // len(roles):
                guess += 1
                pin = "%04d" % (guess * 7919 % 10000)
                if pin == RIGHT_PINS[role]:
                    continue

                def one_guess():
                    pad.to_idle()
                    pad.type(ROLE_PATHS[role] + pin + "#")
                    elapsed = pad.world_ms - start_ms
                    compared = pad.role_checks(role)
                    assert compared <= allowed_checks(elapsed), \
                        "%d guesses compared in %d s" % (compared, elapsed // 1000)

                outcome.check(one_guess, "%s guess %s" % (role, pin))

                if guess % reboot_every == 0:
                    # The power goes while the role may be locked: still locked after.
                    locked = pad.terminal.pin_failures(role) >= PIN_TRIES
                    pad.boot()

                    def still_locked():
                        before = pad.role_checks(role)
                        pad.type(ROLE_PATHS[role])
                        if locked:
                            assert "PIN LOCKED" in pad.menu.lines[0], pad.menu.lines
                        pad.type("1111#")
                        if locked:
                            assert pad.role_checks(role) == before, \
                                "a locked role's guess was compared"

                    outcome.check(still_locked, "%s after a reboot" % role)

            outcome.notes.append("%s: %d guesses typed over %.1f h, %d compared" % (
                role, guess, (pad.world_ms - start_ms) / 3600000.0, pad.role_checks(role)))

            # The right PIN is taken once the lock has run out.
            def right_pin_after_lock():
                pad.to_idle()
                pad.wait(PIN_LOCK_MS)
                pad.to_idle()
                pad.type(ROLE_PATHS[role] + RIGHT_PINS[role] + "#")
                assert pad.terminal.pin_failures(role) == 0, "the right PIN was not taken"
            outcome.check(right_pin_after_lock, "%s right PIN after the lock" % role)
            os.remove(pad.settings_path)
    return outcome.result()


class CountingBytes(bytes):
    """Bytes that count how many of them were looked at, one by one."""

    looked_at = [0]

    def __iter__(self):
        for byte in bytes.__iter__(self):
            CountingBytes.looked_at[0] += 1
            yield byte

    def __getitem__(self, index):
        CountingBytes.looked_at[0] += 1
        return bytes.__getitem__(self, index)


def compare_work(entry, pin):
    """(matched, bytes of the digests the compare looked at) for one check."""
    saved = pins.pin_digest, pins._unhex
    pins.pin_digest = lambda salt, text: CountingBytes(saved[0](bytes(salt), text))
    pins._unhex = lambda text: CountingBytes(saved[1](text))
    CountingBytes.looked_at[0] = 0
    try:
        matched = pins.entry_matches(entry, pin)
    finally:
        pins.pin_digest, pins._unhex = saved
    return matched, CountingBytes.looked_at[0]


def _near_and_far(pin):
    """Guesses one digit off `pin` at each place, and guesses off everywhere."""
    near = [pin[:place] + str((int(pin[place]) + 1) % 10) + pin[place + 1:]
            for place in range(len(pin))]
    far = ["".join(str((int(digit) + 5) % 10) for digit in pin), pin[:-1], pin + "0", "0"]
    return near + far


def compare_counts(size):
    """Every guess, near or far (and the right one), makes the compare look at
    the same number of bytes; and an operator PIN is compared with every
    operator's entry whichever matches."""
    outcome = Outcome()
    pin_number = 0
    while outcome.cases < size:
        pin = "%04d" % (pin_number * 4391 % 10000)
        pin_number += 1
        entry = pins.make_pin_entry(b"salt%04d" % pin_number, pin)
        _, expected = compare_work(entry, pin)
        for guess in [pin] + _near_and_far(pin):
            def one_case():
                matched, work = compare_work(entry, guess)
                assert matched == (guess == pin)
                assert work == expected, "guess %s looked at %d bytes, the PIN %d" % (
                    guess, work, expected)
            outcome.check(one_case, "PIN %s guess %s" % (pin, guess))
    return outcome.result()
