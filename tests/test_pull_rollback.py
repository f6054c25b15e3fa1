# A terminal whose journal is behind what the store already holds from it: an
# old flash image put back, a journal erased or a board replaced under the same
# terminal number. Its newest voucher is lower than the store's, so its new
# records would hide under vouchers already stored; the pull must say so.
from norflash import NorFlash
from reslip.pull import CHAIN_BROKEN_STATUS, pull_over
from reslip.store import Store
from terminal.journal import Journal

from test_pull_chain import TERMINAL, TIMEOUT_S, _cable, _filled, _sale


def test_a_journal_rolled_back_behind_the_store_is_a_break(tmp_path):
    db_path = str(tmp_path / "store.sqlite")
    flash, journal = _filled(20)
    before = flash.image()
    pull_over(_cable(journal), db_path, timeout_s=TIMEOUT_S)
    for number in range(21, 31):
        journal.append(_sale(number).encode())
    assert pull_over(_cable(journal), db_path, timeout_s=TIMEOUT_S).exit_status == 0

    # The flash as it was at voucher 20, then new sales under 21.. again.
    flash.load_image(before)
    journal = Journal(flash).mount()
    journal.append(_sale(121).encode())
    summary = pull_over(_cable(journal), db_path, timeout_s=TIMEOUT_S)
    assert summary.exit_status == CHAIN_BROKEN_STATUS
    assert [voucher for voucher, _ in summary.chain.problems] == [21]
    assert "holds up to voucher 000030" in str(summary)
    with Store(db_path) as store:
        assert [voucher for _, voucher, _ in store.chain_flags(TERMINAL)] == [21]


def test_a_new_journal_under_a_known_terminal_number_is_a_break(tmp_path):
    db_path = str(tmp_path / "store.sqlite")
    pull_over(_cable(_filled(20)[1]), db_path, timeout_s=TIMEOUT_S)
    summary = pull_over(_cable(_filled(5)[1]), db_path, timeout_s=TIMEOUT_S)
    assert summary.exit_status == CHAIN_BROKEN_STATUS
    assert [voucher for voucher, _ in summary.chain.problems] == [5]


def test_a_formatted_journal_still_empty_is_no_break(tmp_path):
    # Formatting keeps voucher numbers going: nothing is behind yet, and the
    # next record's fresh chain start is what gets flagged.
    db_path = str(tmp_path / "store.sqlite")
    pull_over(_cable(_filled(5)[1]), db_path, timeout_s=TIMEOUT_S)
    empty = Journal(NorFlash(sector_size=4096, sector_count=8)).mount()
    assert pull_over(_cable(empty), db_path, timeout_s=TIMEOUT_S).exit_status == 0
