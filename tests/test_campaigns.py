# A bounded slice of every fault campaign (tests/campaigns/): each must run
# its cases and lose nothing. `make campaigns` runs them whole and writes the
# counts into docs/reliability.md.
import pytest

from campaigns import deploy_cuts
from campaigns.clock import _out_of_order
from campaigns.run import FAMILIES
from norflash import NorFlash
from reslip import deploy
from terminal.journal import Journal
from terminal.record import CLOCK_SET, SALE, Record


@pytest.mark.parametrize("family", FAMILIES, ids=[family.name for family in FAMILIES])
def test_a_slice_of_the_campaign_loses_nothing(family):
    cases, lost, details = family.run(family.ci_size)
    assert cases >= min(family.ci_size, 3), "the campaign ran %d cases" % cases
    assert lost == 0, "\n".join(details)


def test_the_deploy_judge_sees_a_mix_of_versions():
    # The judge itself must be able to fail: a board booting a/ with one file
    # of the next version in it is a mix.
    old = {"main.py": b"print('BOOT', __import__('os').getcwd())\n", "x.mpy": b"old"}
    new = dict(old, **{"x.mpy": b"new"})
    mixed = {"main.py": deploy.LOADER, "active": b"a\n", "a/main.py": old["main.py"],
             "a/x.mpy": b"ne"}
    whole = dict(mixed, **{"a/x.mpy": b"new"})
    assert deploy_cuts._boot_all([mixed, whole, {}]) == ["a", "a", None]
    assert not deploy_cuts._whole(mixed, "a", old) and not deploy_cuts._whole(mixed, "a", new)
    assert deploy_cuts._whole(whole, "a", new)


def test_the_clock_judge_sees_a_record_before_an_older_one():
    journal = Journal(NorFlash(sector_count=4))
    journal.mount()
    for kind, timestamp in ((SALE, 2000), (SALE, 3000), (CLOCK_SET, 1000), (SALE, 1500),
                            (SALE, 1400)):
        journal.append(Record(kind, amount=1, timestamp=timestamp).encode())
    # The admin's step back (voucher 3) starts the order afresh; voucher 5 is
    # still before voucher 4.
    assert [wrong[0] for wrong in _out_of_order(journal, 1)] == [5]
