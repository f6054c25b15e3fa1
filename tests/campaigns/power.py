# Power cuts on the journal's flash: at every program and erase of a random
# workload on a wrapped journal (the machinery of tests/test_journal_powercut.py,
# each cut point told apart as a program or an erase), and at every program and
# erase of a settlement as the terminal does it.
import random

from campaigns import Outcome
from norflash import NorFlash, PowerCut
from terminal.record import CASH, SETTLEMENT, Record
from test_journal_powercut import _SECTOR_COUNT, _SECTOR_SIZE, Campaign
from test_menu import real_terminal


class _LoggingFlash(NorFlash):
    """NOR flash that notes the kind of every program or erase it is asked for,
    the one the power is cut in included."""

    def __init__(self, *args, **kwargs):
        NorFlash.__init__(self, *args, **kwargs)
        self.attempts = []

    def writeblocks(self, block, buf, offset=None):
        if self.powered and offset is not None and len(buf):
            self.attempts.append("program")
        return NorFlash.writeblocks(self, block, buf, offset)

    def _erase(self, sector):
        if self.powered:
            self.attempts.append("erase")
        return NorFlash._erase(self, sector)


class _CountingCampaign(Campaign):
    """The journal campaign, counting its cut points by the operation cut."""

    def __init__(self, program_unit, seed):
        self.by_kind = {"program": [0, 0], "erase": [0, 0]}  # kind -> [cut points, lost]
        self._made = []
        Campaign.__init__(self, program_unit, seed)

    def _flash(self, image=None):
        flash = _LoggingFlash(sector_size=_SECTOR_SIZE, sector_count=_SECTOR_COUNT,
                              program_unit=self.program_unit,
                              seed=self.random.randrange(1, 1 << 30))
        if image is not None:
            flash.load_image(image)
        self._made.append(flash)
        return flash

    def _cut_and_check(self, image, group, cut, clean_oldest):
        self._made = []
        failed = True
        try:
            Campaign._cut_and_check(self, image, group, cut, clean_oldest)
            failed = False
        finally:
            # The first flash made for this cut point is the one cut.
            kind = self._made[0].attempts[cut - 1]
            self.by_kind[kind][0] += 1
            self.by_kind[kind][1] += failed


def journal_workload(size, program_units=(1, 256)):
    """Cut points of the journal's workload: {kind: (cases, lost, details)}."""
    totals = {"program": Outcome(), "erase": Outcome()}
    for seed, unit in enumerate(program_units, 1):
        run = _CountingCampaign(unit, seed)
        run.keep_going = True
        run.prefill(_SECTOR_COUNT * _SECTOR_SIZE // 90)
        run.run(max(1, size // len(program_units) * 2 // 5))
        for kind, (cuts, lost) in run.by_kind.items():
            totals[kind].cases += cuts
            totals[kind].lost += lost
        totals["program"].details.extend(run.failures[:10])
    return {kind: outcome.result() for kind, outcome in totals.items()}


def append_cuts(size):
    return journal_workload(size)["program"]


def erase_cuts(size):
    return journal_workload(size)["erase"]


# --- settlement ---

def _terminal(flash):
    """The menus' real terminal (tests/both/test_menu.py) on `flash`."""
    return real_terminal(flash)[0]


def _batch_view(terminal, batch):
    return [(record.voucher, record.kind, record.amount)
            for record in terminal._batch_records(batch)]


def settlement_cuts(size, seed=7):
    """The close of a batch as the terminal and a pull do it: the SETTLEMENT
    record (Terminal.settle), the export mark a pull's confirm writes, and the
    first sale of the next batch, cut at every program and erase."""
    outcome = Outcome()
    chooser = random.Random(seed)
    round_number = 0
    while outcome.cases < size:
        round_number += 1

        # A journal a few batches deep, wrapped now and then (3 sectors fill fast).
        flash = NorFlash(sector_size=4096, sector_count=4, seed=round_number)
        terminal = _terminal(flash)
        for _ in range(chooser.randrange(2, 60)):
            terminal.ring_sale(chooser.randrange(1, 10 ** 6), CASH)
            if chooser.randrange(15) == 0:
                terminal.settle()
        image = flash.image()
        open_batch = terminal.batch
        totals_before = _batch_view(terminal, open_batch)
        newest_before = terminal.journal.newest()
        exported_before = terminal.journal.exported_up_to()

        def close(terminal, progress):
            terminal.settle()
            progress.append("settled")
            terminal.journal.mark_exported(terminal.journal.newest())
            progress.append("marked")
            terminal.ring_sale(4242, CASH)
            progress.append("sold")

        # A clean run counts the operations to cut.
        clean = NorFlash(sector_size=4096, sector_count=4, seed=round_number)
        clean.load_image(image)
        clean.reset_counters()
        close(_terminal(clean), [])
        operations = clean.program_ops + clean.erase_ops

        for cut in range(1, operations + 1):
            if outcome.cases >= size:
                break

            def one_cut():
                cut_flash = NorFlash(sector_size=4096, sector_count=4, seed=round_number)
                cut_flash.load_image(image)
                progress = []
                cut_flash.cut_power_after(cut)
                try:
                    close(_terminal(cut_flash), progress)
                except PowerCut:
                    pass
                cut_flash.restore_power()
                _check_after_settlement_cut(_terminal(cut_flash), progress, open_batch,
                                            totals_before, newest_before, exported_before)

            outcome.check(one_cut, "round %d cut %d/%d" % (round_number, cut, operations))
    return outcome.result()


def _check_after_settlement_cut(terminal, progress, open_batch, totals_before, newest_before,
                                exported_before):
    journal = terminal.journal
    settlement = terminal.last_settlement()
    settled = settlement is not None and settlement.batch == open_batch

    # The batch's sales are all there, whether the settlement got in or not.
    assert _batch_view(terminal, open_batch)[:len(totals_before)] == totals_before, \
        "the open batch's records changed"
    if "settled" in progress:
        assert settled, "a settlement that returned is gone"
    if settled:
        assert settlement.voucher == newest_before + 1
        # Its net is the batch's, and the terminal has moved to the next batch.
        assert settlement.amount == terminal.batch_totals(open_batch).net_cents
        assert terminal.batch == open_batch + (0 if journal.newest() > settlement.voucher
                                               else 1)
    else:
        assert terminal.batch == open_batch, "batch moved without a settlement"
        assert journal.newest() == newest_before

    marked_to = newest_before + 1 if "marked" in progress else exported_before
    assert journal.exported_up_to() >= marked_to, "export mark went back"

    # Life goes on: the next sale lands in the batch the terminal shows, after the rest.
    sale = terminal.ring_sale(777, CASH)
    assert sale.batch == terminal.batch
    assert sale.voucher > max(newest_before, journal.newest() - 1)
    record = Record.decode(journal.read(sale.voucher), sale.voucher)
    assert record.kind != SETTLEMENT and record.amount == 777
