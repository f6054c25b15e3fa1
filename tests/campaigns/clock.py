# Clock faults against the real Terminal and journal: the clock reset to
# 2021-01-01 (rp2 after a power cut) or to 2000-01-01 (ports counting from
# 2000), an epoch off by 946684800 s either way, and a running clock stepped
# back by seconds to hours, on a board clock of each kind: rp2's (not valid
# before 2021-01-02, see boards/pico/board.py) and the PC boards' (always
# valid). Sales, voids, reprints and settlements go on around each fault; the
# admin sets the right time now and then, as the idle screen asks.
#
# A case is one fault and the records written after it. It is lost when a
# record sorts (by its time) before one written earlier, unless an admin's
# CLOCK_SET between them moved the clock back: that one is deliberate and the
# journal keeps the time it replaced.
import random

from campaigns import Outcome
from norflash import NorFlash
from terminal.menu import TerminalError
from terminal.record import CASH, CLOCK_SET, Record
from test_menu import real_terminal

_TRUE_START = 1796315802       # 2026-12-03
_RP2_BOOT_TIME = 1609459200    # 2021-01-01 00:00:00
_RP2_VALID_FROM = 1609545600   # 2021-01-02, boards/pico/board.py
_EPOCH_2000 = 946684800        # 2000-01-01 in Unix seconds

FAULTS = ("reset to 2021-01-01", "reset to 2000-01-01", "epoch 946684800 s early",
          "epoch 946684800 s late", "stepped back")


class BoardClock:
    """A board's clock: the true time plus an offset a fault moves."""

    def __init__(self, world, kind):
        self.world = world
        self.kind = kind
        self.offset = 0

    def now(self):
        return self.world[0] + self.offset

    def valid(self):
        return self.kind == "pc" or self.now() >= _RP2_VALID_FROM

    def set(self, unix_seconds):
        self.offset = unix_seconds - self.world[0]

    def fault(self, name, chooser):
        if name == "reset to 2021-01-01":
            self.offset = _RP2_BOOT_TIME - self.world[0]
        elif name == "reset to 2000-01-01":
            self.offset = _EPOCH_2000 - self.world[0]
        elif name == "epoch 946684800 s early":
            self.offset -= _EPOCH_2000
        elif name == "epoch 946684800 s late":
            self.offset += _EPOCH_2000
        else:
            self.offset -= chooser.choice((1, 30, 600, 3599, 7200))


def _terminal(flash, clock):
    terminal = real_terminal(flash)[0]
    terminal.clock = clock
    return terminal


def _out_of_order(journal, since_voucher):
    """Records from `since_voucher` on whose time is before an earlier record's,
    an admin's backward CLOCK_SET starting the order afresh."""
    latest = None
    wrong = []
    for voucher, payload in journal.records():
        record = Record.decode(payload, voucher)
        if record.kind == CLOCK_SET:
            if latest is not None and record.timestamp < latest:
                latest = record.timestamp
                continue
        if latest is not None and record.timestamp < latest and voucher >= since_voucher:
            wrong.append((voucher, record.timestamp, latest))
        latest = record.timestamp if latest is None else max(latest, record.timestamp)
    return wrong


def clock_faults(size, seed=3):
    outcome = Outcome()
    chooser = random.Random(seed)
    case = 0
    while outcome.cases < size:
        world = [_TRUE_START]
        kind = ("rp2", "pc")[case % 2]
        clock = BoardClock(world, kind)
        flash = NorFlash(sector_size=4096, sector_count=8, seed=case + 1)
        terminal = _terminal(flash, clock)
        for _ in range(chooser.randrange(3, 10)):
            world[0] += chooser.randrange(1, 600)
            terminal.ring_sale(chooser.randrange(1, 10 ** 5), CASH)

        # A few faults on this terminal, each a case.
        for _ in range(4):
            if outcome.cases >= size:
                break
            case += 1
            fault = FAULTS[case % len(FAULTS)]
            since = terminal.journal.newest() + 1

            def one_case():
                _after_fault(terminal, clock, world, fault, chooser)
                wrong = _out_of_order(terminal.journal, since)
                assert not wrong, "voucher %d at %d, before %d" % wrong[0]

            outcome.check(one_case, "%s clock, %s" % (kind, fault))

            # The power may go, and the terminal starts again on the same flash.
            if chooser.randrange(3) == 0:
                terminal = _terminal(flash, clock)
    return outcome.result()


def _after_fault(terminal, clock, world, fault, chooser):
    # The fault, sometimes after a power cut (a new Terminal on the same flash).
    clock.fault(fault, chooser)
    for _ in range(chooser.randrange(4, 16)):
        # The terminal runs on, for minutes to days.
        world[0] += chooser.choice((1, 60, 3600, 30000, 90000))
        action = chooser.randrange(10)
        try:
            if action < 5:
                terminal.ring_sale(chooser.randrange(1, 10 ** 5), CASH)
            elif action == 5:
                last = terminal.last_sale()
                if last is not None:
                    terminal.void(last.voucher)
            elif action == 6 and terminal.journal.newest():
                terminal.reprint(terminal.journal.newest())
            elif action == 7:
                terminal.settle()
            elif action == 8 or not clock.valid():
                # The admin sets the right time, as the idle screen asks.
                if not clock.valid() or chooser.randrange(2):
                    terminal.set_clock(world[0])
        except TerminalError as refusal:
            # Refusals are the terminal's answer to a clock it does not trust.
            if str(refusal) not in ("CLOCK NOT SET", "BATCH SETTLED", "ONLY SALES",
                                    "ALREADY VOIDED") and "NO SLIP" not in str(refusal):
                raise
