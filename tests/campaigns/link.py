# Service-link faults between the PC's tools and the terminal's ServiceLink,
# in one process over the loopback cable of tests/test_link_host.py: junk,
# flipped bits and cut pieces (tests/wire_faults.py), duplicated pieces, a PC
# that vanishes at every point of a pull, a PC that stalls part way through a
# command, and register sales through a bad cable.
#
# Lost means: a pull that ends with records other than the journal's, a store
# holding a record the journal does not, an export mark set past what the PC
# stored, a register sale recorded twice or not at all, or a terminal that
# stops answering after the fault.
import random
import tempfile

from campaigns import Outcome
from reslip.link import HostLink, export_summary
from reslip.pull import PullError, pull_over
from reslip.store import Store
from terminal import link as wire
from terminal.record import CARD, Record
from test_link_host import TIMEOUT_S, Terminal, _register, pull_all, sales_journal
from wire_faults import line_noise

_TERMINAL = "T0000042"


def _pull_checked(terminal, cable, retries=12):
    host = HostLink(cable, timeout_s=TIMEOUT_S, retries=retries)
    assert host.identify().count == terminal.journal.count
    pulled = pull_all(host)
    assert [(r.voucher, r.payload) for r in pulled] == list(terminal.journal.records()), \
        "pulled records differ from the journal"
    count, chain = export_summary((r.voucher, r.payload) for r in pulled)
    newest = terminal.journal.newest()
    assert host.confirm_export(1, newest, count, chain) == newest
    assert terminal.journal.exported == newest


def noise(size, records=120):
    """Junk, flipped bits and cut pieces at 10 % of the pieces, one seed a case."""
    outcome = Outcome()
    for seed in range(size):
        terminal = Terminal(sales_journal(records, seed))
        damage = line_noise(seed, 0.1)
        outcome.check(lambda: _pull_checked(terminal, terminal.cable(damage=damage)),
                      "noise seed %d" % seed)
    return outcome.result()


def _duplicating(seed, rate):
    chooser = random.Random(seed)

    def damage(chunk, direction):
        # A piece that arrives twice, whole or its tail, as a retransmitting
        # adapter or a replaying relay would send it.
        if chunk and chooser.random() < rate:
            damage.duplicated += 1
            return chunk + chunk[chooser.randrange(len(chunk)):]
        return chunk
    damage.duplicated = 0
    return damage


def duplicates(size, records=120):
    """Pieces of the stream arriving twice (whole or their tail), both ways,
    at a third of the pieces; a case counts only if something was repeated."""
    outcome = Outcome()
    seed = 0
    while outcome.cases < size:
        seed += 1
        terminal = Terminal(sales_journal(records, seed))
        damage = _duplicating(seed, 0.33)

        def one_case():
            _pull_checked(terminal, terminal.cable(damage=damage))
            if not damage.duplicated:
                raise _NothingInjected()

        try:
            outcome.check(one_case, "duplicates seed %d" % seed)
        except _NothingInjected:
            pass
    return outcome.result()


class _NothingInjected(BaseException):
    """A run the fault never touched: not a case (and not caught as a loss)."""


def vanished_pc(size, records=150, step=97):
    """The cable dies after every `step`-th byte of a pull, then the PC pulls again."""
    outcome = Outcome()
    terminal = Terminal(sales_journal(records, seed=9))
    expected = dict(terminal.journal.records())
    with tempfile.TemporaryDirectory() as scratch:
        db_path = scratch + "/store.sqlite"
        cut_after = 17
        while outcome.cases < size:
            def one_cut():
                cable = terminal.cable(cut_after=cut_after)
                try:
                    pull_over(cable, db_path, timeout_s=TIMEOUT_S)
                except PullError:
                    pass
                with Store(db_path) as store:
                    stored = store.payloads(_TERMINAL, 1, 10 ** 6)
                    assert store.conflicts() == []
                assert all(expected.get(voucher) == payload for voucher, payload in stored), \
                    "the store holds a record the journal does not"
                stored_vouchers = set(voucher for voucher, _ in stored)
                assert all(voucher in stored_vouchers
                           for voucher in range(1, terminal.journal.exported + 1)), \
                    "export mark past what the PC stored"

            outcome.check(one_cut, "cable dead after %d bytes" % cut_after)
            cut_after += step

        # Whatever the cuts, one clean pull then holds exactly the journal.
        def finish():
            pull_over(terminal.cable(), db_path, timeout_s=TIMEOUT_S)
            with Store(db_path) as store:
                assert store.payloads(_TERMINAL, 1, 10 ** 6) == list(expected.items())
            assert terminal.journal.exported == records
        outcome.check(finish, "a clean pull after the cuts")
    return outcome.result()


def stalled_pc(size):
    """A command cut at every byte, the PC then silent through many polls; the
    terminal must keep polling without blocking and answer the next PC whole."""
    outcome = Outcome()
    commands = [wire.encode_command(wire.CMD_IDENTIFY, 7, b""),
                wire.encode_command(wire.CMD_PULL, 8, b"1")]
    cases = [(command, cut) for command in commands for cut in range(len(command))]
    while outcome.cases < size:
        for command, cut in cases:
            if outcome.cases >= size:
                break

            def one_case():
                terminal = Terminal(sales_journal(40, seed=cut))
                terminal.to_device.data += command[:cut]
                for _ in range(200):
                    terminal.device.poll()
                _pull_checked(terminal, terminal.cable(), retries=4)

            outcome.check(one_case, "%r cut after %d bytes" % (command[:12], cut))
    return outcome.result()


def register_sales(size, sales=4):
    """Sales sent by a cash register through a noisy cable: each recorded once."""
    outcome = Outcome()
    for seed in range(size):
        def one_case():
            terminal = Terminal(sales_journal(3))
            _register(terminal)
            host = HostLink(terminal.cable(damage=line_noise(seed, 0.1)), timeout_s=TIMEOUT_S,
                            retries=12)
            vouchers = [host.record_sale(1000 + number, CARD, "6222 0212 3456 %04d" % number,
                                         "R%d" % number) for number in range(sales)]
            assert vouchers == list(range(4, 4 + sales)), vouchers
            assert terminal.journal.count == 3 + sales, "a sale recorded twice or lost"
            for number, voucher in enumerate(vouchers):
                sale = Record.decode(terminal.journal.read(voucher), voucher)
                assert (sale.amount, sale.card_last4) == (1000 + number, "%04d" % number)

        outcome.check(one_case, "register seed %d" % seed)
    return outcome.result()
