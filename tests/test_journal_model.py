# The journal held against a plain list through appends, remounts, lookups,
# export marks and power cuts, on a small ring that wraps often.
import os

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from norflash import NorFlash, PowerCut
from terminal.journal import Journal, JournalFull


class JournalAgainstList(RuleBasedStateMachine):
    @initialize(program_unit=st.sampled_from([1, 16]), seed=st.integers(1, 1 << 20))
    def start(self, program_unit, seed):
        self.flash = NorFlash(sector_size=512, sector_count=4, program_unit=program_unit,
                              seed=seed)
        self.model = []  # (voucher, payload) of every append that returned
        self.exported = 0
        self.journal = self._mount()

    def _mount(self):
        return Journal(self.flash, program_unit=self.flash.program_unit,
                       overwrite_oldest=True).mount()

    def _held(self):
        # What the ring still holds: the model from the journal's oldest on.
        oldest = self.journal.oldest()
        return [item for item in self.model if item[0] >= oldest]

    @rule(payload=st.binary(max_size=100))
    def append(self, payload):
        oldest = self.journal.oldest()
        acknowledged = self.journal.warning_acknowledged()
        try:
            voucher = self.journal.append(payload)
        except JournalFull:
            # Refused only for want of the warning, and it was due.
            assert not acknowledged and self.journal.near_full()
            return
        assert not self.model or voucher > self.model[-1][0]
        self.model.append((voucher, payload))

        # Records not yet exported go only after the warning was acknowledged.
        dropped = [v for v, _ in self.model if oldest <= v < self.journal.oldest()]
        if dropped and not acknowledged:
            assert dropped[-1] <= self.journal.exported_up_to()

    @rule()
    def acknowledge_warning(self):
        due = self.journal.near_full()
        assert self.journal.acknowledge_near_full() == due
        if due:
            assert self.journal.warning_acknowledged()

    @rule()
    def remount(self):
        self.journal = self._mount()

    @rule(payload=st.binary(max_size=100), cut=st.integers(1, 4))
    def append_with_power_cut(self, payload, cut):
        self.flash.cut_power_after(cut)
        try:
            voucher = self.journal.append(payload)
        except (PowerCut, JournalFull):
            voucher = None
        self.flash.restore_power()
        self.journal = self._mount()
        if voucher is None:
            # The cut record is either whole and newest, or absent.
            newest = self.journal.newest()
            if newest > (self.model[-1][0] if self.model else 0):
                assert self.journal.read(newest) == payload
                voucher = newest
        if voucher is not None:
            self.model.append((voucher, payload))

    @rule(back=st.integers(0, 5))
    def mark_exported(self, back):
        target = max(0, self.journal.newest() - back)
        self.journal.mark_exported(target)
        self.exported = max(self.exported, target)

    @rule(data=st.data())
    def read_a_record(self, data):
        if not self.model:
            return
        voucher, payload = data.draw(st.sampled_from(self.model))
        found = self.journal.read(voucher)
        if voucher >= self.journal.oldest():
            assert found == payload
        else:
            assert found is None

    @rule(voucher=st.integers(0, 1 << 32))
    def read_any_voucher(self, voucher):
        expected = dict(self._held()).get(voucher)
        assert self.journal.read(voucher) == expected

    @rule(data=st.data())
    def records_from_a_start(self, data):
        held = self._held()
        if not held:
            return
        start = data.draw(st.integers(held[0][0] - 2, held[-1][0] + 2))
        assert list(self.journal.records(start=start)) == [i for i in held if i[0] >= start]
        assert list(self.journal.records(start=start, newest_first=True)) == \
            [i for i in reversed(held) if i[0] <= start]

    @invariant()
    def journal_matches_model(self):
        if not hasattr(self, "journal"):
            return
        held = self._held()
        assert list(self.journal.records()) == held
        assert self.journal.count == len(held)
        assert self.journal.newest() == (self.model[-1][0] if self.model else 0)
        if held:
            assert self.journal.oldest() == held[0][0]
        assert self.journal.exported_up_to() >= self.exported


# RESLIP_MODEL_EXAMPLES raises the number of runs for a longer search.
JournalAgainstList.TestCase.settings = settings(
    max_examples=int(os.getenv("RESLIP_MODEL_EXAMPLES", "60")), stateful_step_count=40,
    deadline=None)
TestJournalAgainstList = JournalAgainstList.TestCase
