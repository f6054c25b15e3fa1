# Runs inside the MicroPython unix port for bench_journal.py:
#   micropython journal_workload.py MODULES_DIR PROGRAM_UNIT
# The same 2000 sales go to the journal and to the naive JSON-lines file on
# littlefs, each over its own emulated 1 MiB NOR flash (256 x 4 KiB), and the
# figures come out as one JSON line on stdout.
import gc
import json
import sys
import time

sys.path.insert(0, sys.argv[1])
from norflash import NorFlash  # noqa: E402
from naive_journal import LfsSalesFile  # noqa: E402
from terminal import query  # noqa: E402
from terminal import record as rec  # noqa: E402
from terminal.journal import Journal, JournalFull  # noqa: E402

SALES = 2000
SECTOR_SIZE = 4096
SECTOR_COUNT = 256
FIRST_TIME = 1774828800  # 2026-03-30
SOUGHT_AMOUNT = 4250  # rung by every 50th sale


def sale(number):
    # A realistic sale: a card payment with its tail, and a reference text
    # filling the 40 bytes the record allows.
    reference = ("ORDER %06d TABLE %02d STAFF MEAL" % (number, number % 40) + " " * 40)[:40]
    amount = SOUGHT_AMOUNT if number % 50 == 7 else 100 + (number * 7919) % 50000
    return rec.Record(rec.SALE, amount=amount, method=rec.CARD if number % 3 else rec.CASH,
                      operator=1 + number % 4, batch=1 + number // 500,
                      timestamp=FIRST_TIME + number * 97,
                      card_last4="%04d" % (number * 37 % 10000),
                      reference=reference)


def elapsed_us(started):
    return time.ticks_diff(time.ticks_us(), started)


def main():
    unit = int(sys.argv[2])
    sales = [sale(number) for number in range(SALES)]
    results = {"unit": unit, "sales": SALES, "encoded_record": len(sales[0].encode())}

    # The journal: encode and append each sale.
    flash = NorFlash(sector_size=SECTOR_SIZE, sector_count=SECTOR_COUNT, program_unit=unit)
    journal = Journal(flash, program_unit=unit).mount()
    gc.collect()
    started = time.ticks_us()
    for one in sales:
        one.voucher = journal.append(one.encode())
    results["journal_append_us"] = elapsed_us(started) / SALES
    results["journal_programmed_per_record"] = flash.bytes_programmed / SALES
    results["journal_erases_per_1000"] = flash.erase_ops * 1000 / SALES

    # The naive way: one JSON line per sale on littlefs.
    lfs_flash = NorFlash(sector_size=SECTOR_SIZE, sector_count=SECTOR_COUNT, program_unit=unit)
    naive = LfsSalesFile(lfs_flash, program_unit=unit, create=True)
    lfs_flash.reset_counters()
    gc.collect()
    started = time.ticks_us()
    for one in sales:
        naive.append(one)
    results["lfs_append_us"] = elapsed_us(started) / SALES
    results["lfs_programmed_per_record"] = lfs_flash.bytes_programmed / SALES
    results["lfs_erases_per_1000"] = lfs_flash.erase_ops * 1000 / SALES
    results["lfs_file_bytes"] = naive.size()

    # Search by amount over the same 2000 sales, newest first, both ways.
    expected = [one.voucher for one in reversed(sales) if one.amount == SOUGHT_AMOUNT]
    gc.collect()
    started = time.ticks_us()
    found = query.find_transactions(journal, amount_cents=SOUGHT_AMOUNT)
    results["journal_query_amount_us"] = elapsed_us(started)
    gc.collect()
    started = time.ticks_us()
    naive_found = naive.find_amount(SOUGHT_AMOUNT)
    results["lfs_query_amount_us"] = elapsed_us(started)
    if [one.voucher for one in found] != expected \
            or [one["voucher"] for one in naive_found] != expected:
        raise SystemExit("the two searches disagree")
    results["matches"] = len(expected)

    # The naive way's mount and voucher lookup (the newest: it reads the whole file).
    lfs_flash.reset_counters()
    naive = LfsSalesFile(lfs_flash, program_unit=unit)
    naive.size()
    results["lfs_mount_read_bytes"] = lfs_flash.bytes_read
    lfs_flash.reset_counters()
    if naive.find_voucher(SALES)["amount"] != sales[-1].amount:
        raise SystemExit("naive lookup failed")
    results["lfs_find_voucher_read_bytes"] = lfs_flash.bytes_read
    naive = lfs_flash = None
    gc.collect()

    # The journal full: sales appended until it refuses, then mount and
    # look up the oldest, a middle and the newest record.
    number = SALES
    try:
        while True:
            journal.append(sale(number).encode())
            number += 1
    except JournalFull:
        pass
    results["full_records"] = journal.count
    flash.reset_counters()
    journal = Journal(flash, program_unit=unit).mount()
    results["journal_mount_read_bytes_full"] = flash.bytes_read
    worst = 0
    oldest, newest = journal.oldest(), journal.newest()
    for voucher in (oldest, (oldest + newest) // 2, newest):
        flash.reset_counters()
        if journal.read(voucher) is None:
            raise SystemExit("voucher %d not found" % voucher)
        worst = max(worst, flash.bytes_read)
    results["journal_find_voucher_read_bytes_full"] = worst
    print(json.dumps(results))


main()
