"""Runs the fault campaigns and writes their counts into docs/reliability.md.

    python tests/campaigns/run.py            every campaign at full size
    python tests/campaigns/run.py --ci       the slices CI runs
    python tests/campaigns/run.py --only clock --no-write

The table between the markers in docs/reliability.md is replaced by this run's
(unless --no-write); the exit status is 1 when any case lost anything.
"""
import argparse
import datetime
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from campaigns import ROOT, Family  # noqa: E402
from campaigns import clock, deploy_cuts, inputs, link, pins, power, printer  # noqa: E402

REPORT = os.path.join(ROOT, "docs", "reliability.md")
BEGIN = "<!-- campaign counts: written by tests/campaigns/run.py -->"
END = "<!-- end of campaign counts -->"


def _row(rows, key):
    """One row of a campaign that reports several (the journal's cut points)."""
    def run(size):
        return rows(size)[key]
    return run


# Both journal rows come from one run of the workload; the cache keeps a full
# run from doing it twice.
_journal_cache = {}


def _journal_workload(size):
    if size not in _journal_cache:
        _journal_cache[size] = power.journal_workload(size)
    return _journal_cache[size]


FAMILIES = [
    Family("Power cut: journal append", _row(_journal_workload, "program"), 60, 20000,
           "NOR emulator cut at every program of a random workload (appends, export marks, "
           "near-full acknowledgements) on a wrapped journal, program units 1 and 256; the "
           "programmed unit left torn",
           "a record whose append returned is missing or altered, a record appears that was "
           "never appended, a voucher is reused, the export mark goes back, or the journal "
           "does not mount"),
    Family("Power cut: journal erase", _row(_journal_workload, "erase"), 60, 20000,
           "the same workload, counting the cut points that land in a sector erase (the "
           "sector left with bits between old and erased)",
           "as above"),
    Family("Power cut: settlement", power.settlement_cuts, 60, 5000,
           "cut at every program and erase of Terminal.settle, the export mark a pull "
           "writes, and the next batch's first sale, on journals a few batches deep",
           "a sale of the batch missing, a settlement that returned missing, a settlement "
           "whose net is not its batch's, the batch number out of step with the journal, the "
           "export mark back, or the next sale refused or in the wrong batch"),
    Family("Power cut: `reslip flash`", deploy_cuts.deploy_cuts, 40, 2000,
           "the real deploy code over an in-memory board file system (POSIX rules, as the "
           "board in a box), the power cut at every file operation; the board's loader then "
           "run by the MicroPython unix port; four starting states",
           "the loader boots nothing, or a version whose files are not all the old or all the "
           "new version's, or a flash run again after the cut does not install the new one"),
    Family("Printer: paper out mid-slip", printer.paper_out, 10, 1000,
           "the emulated printer runs out of paper after 0, 1, 2... rows (every row) of a "
           "sale's slips, 1 to 3 copies, then paper is loaded",
           "the sale is not journalled once, a copy never comes out whole, or a copy cut "
           "short is not journalled as reprinted (or one printed whole is)"),
    Family("Printer: no reply", printer.no_reply, 12, 300,
           "a printer that has answered falls silent for 1-3 status rounds, starting at "
           "every round of a job; and one that never answers",
           "the job never prints whole, or the fault stays after the printer answers again"),
    Family("Printer: stale status byte", printer.stale_status, 40, 1000,
           "every byte value (and 86 pairs) already waiting on the reply line when the "
           "driver asks",
           "the job is held, printed twice, or not printed whole"),
    Family("Printer: wrong baud rate", printer.wrong_baud, 20, 1000,
           "every printer profile at 7 driver rates and 3 job sizes, the printer at another "
           "rate (its replies garbled)",
           "the driver prints instead of reporting PRINTER LINK BAD, or any job byte goes out"),
    Family("Clock: reset, epoch, step back", clock.clock_faults, 60, 5000,
           "the clock reset to 2021-01-01 or 2000-01-01, off by 946684800 s either way, or "
           "stepped back 1 s to 2 h, on an rp2-style and a PC clock, amid sales, voids, "
           "reprints, settlements, reboots and the admin setting the time",
           "a record's time is before that of a record written earlier (an admin's CLOCK_SET "
           "back in time excepted: it is journalled with the time it replaced)"),
    Family("Link: junk, cut pieces, flipped bits", link.noise, 4, 300,
           "tests/wire_faults.py line noise at 10 % of the pieces, a pull of 120 records and "
           "its export confirm per seed",
           "the pull ends with records other than the journal's, or the export mark is wrong"),
    Family("Link: duplicated pieces", link.duplicates, 4, 300,
           "pieces of the stream repeated (whole or their tail) both ways at a third of the "
           "pieces; runs where nothing was repeated are not counted",
           "as above"),
    Family("Link: PC vanishes", link.vanished_pc, 10, 400,
           "the cable dies after 17, 114, 211... bytes of a pull, and the PC pulls again",
           "the PC's store holds a record the journal does not, the export mark passes what "
           "the PC stored, or a clean pull afterwards differs from the journal"),
    Family("Link: PC stalls", link.stalled_pc, 20, 1000,
           "a command cut at every byte, then 200 polls with nothing more, then a new PC",
           "the terminal blocks or stops answering, or the next pull differs"),
    Family("Link: register sales through noise", link.register_sales, 3, 200,
           "a cash register's 4 card sales through line noise at 10 %",
           "a sale recorded twice or not at all, or stored other than sent"),
    Family("Input: amounts", inputs.amounts, 1000, 1000,
           "14 amounts from -2^63 to 10^30 (0, the cap and one past it among them) by each "
           "method, into Terminal.ring_sale",
           "an amount outside 1..MAX_CENTS accepted, an accepted one stored otherwise, or a "
           "refusal that changed the journal"),
    Family("Input: voucher numbers", inputs.vouchers, 1000, 1000,
           "13 voucher numbers from -1 to 13 digits at find, reprint, void, voided_by and "
           "reprint_count",
           "an exception other than a refusal, or a refusal that changed the journal"),
    Family("Input: empty and full journal", inputs.empty_and_full, 1000, 1000,
           "every query and command on an empty journal and on a full one that keeps its "
           "records",
           "an exception other than a refusal, a refusal that changed the journal, or a record "
           "of the full journal lost"),
    Family("Input: every key at every screen", inputs.every_key, 800, 100000,
           "breadth-first walk of the menu from the idle screen and the random-key test's "
           "paths, all 16 keys on every screen reached",
           "an exception, a screen not of two 16-column lines, or a commit by any key but "
           "ENTER on a screen asking a question"),
    Family("PINs: brute force", pins.brute_force, 90, 30000,
           "wrong 4-digit PINs typed at 5 keys/s for operator, supervisor and admin, with a "
           "reboot every 211 guesses (the settings file kept); the lock's minutes pass on a "
           "simulated clock, so hours of guessing run in seconds",
           "more guesses compared than 5 per 5-minute lock allows, a locked role's guess "
           "compared after a reboot, or the right PIN refused once the lock ran out"),
    Family("PINs: near and far guesses", pins.compare_counts, 40, 5000,
           "the right PIN, a guess one digit off at each place, and far guesses; the bytes "
           "of the digests the compare looks at are counted",
           "a guess whose compare looks at a different number of bytes than the right PIN's"),
]


def run(families, full):
    results = []
    for family in families:
        size = family.full_size if full else family.ci_size
        started = time.monotonic()
        cases, lost, details = family.run(size)
        seconds = time.monotonic() - started
        results.append((family, cases, lost, details, seconds))
        print("%-40s %7d cases %4d lost  %6.1f s" % (family.name, cases, lost, seconds))
        for line in details[:10]:
            print("    " + line)
    return results


def table(results, command, seconds):
    lines = [BEGIN, "",
             "Run of %s, `%s`, %.0f s." % (datetime.date.today().isoformat(), command, seconds),
             "",
             "| fault | how injected | cases run | lost or corrupted |",
             "| --- | --- | ---: | ---: |"]
    for family, cases, lost, details, _ in results:
        lines.append("| %s | %s | %d | %d |" % (family.name, family.injected, cases, lost))
    lines += ["", "What lost or corrupted means in each row:", ""]
    for family, cases, lost, details, _ in results:
        # Without losses, the details are the campaign's notes on what ran.
        notes = "" if lost or not details else " This run: %s." % "; ".join(details)
        lines.append("- **%s**: %s.%s" % (family.name, family.lost_means, notes))
    lines += ["", END]
    return "\n".join(lines)


def write_report(text):
    with open(REPORT, encoding="utf-8") as file:
        current = file.read()
    if BEGIN not in current or END not in current:
        raise SystemExit("run: %s has no campaign markers" % REPORT)
    before = current[:current.index(BEGIN)]
    after = current[current.index(END) + len(END):]
    with open(REPORT, "w", encoding="utf-8") as file:
        file.write(before + text + after)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Fault campaigns and their counts.")
    parser.add_argument("--ci", action="store_true", help="the slices CI runs")
    parser.add_argument("--only", help="families whose name holds this text")
    parser.add_argument("--no-write", action="store_true", help="leave docs/reliability.md")
    args = parser.parse_args(argv)
    families = [family for family in FAMILIES
                if not args.only or args.only.lower() in family.name.lower()]
    started = time.monotonic()
    results = run(families, full=not args.ci)
    seconds = time.monotonic() - started
    if not args.no_write and not args.only:
        write_report(table(results, "make campaigns" if not args.ci
                           else "python tests/campaigns/run.py --ci", seconds))
    lost = sum(result[2] for result in results)
    print("%d cases, %d lost, in %.0f s" % (sum(result[1] for result in results), lost,
                                             seconds))
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
