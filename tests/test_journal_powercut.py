# Power-cut campaign: the journal is cut at every single program and erase of
# a random workload on a wrapped journal, then mounted again and checked.
#
# The workload runs in groups of operations, each group after a fresh mount
# (the terminal booting) and from a copy of the flash as the previous group
# left it. For a group that programs and erases n times, n runs are made,
# the k-th with the power cut at its k-th operation. After each cut:
#   - mount succeeds; every record whose append returned and that the ring
#     has not recycled is there, intact; nothing else is returned except the
#     record whose append was cut, and then whole;
#   - voucher numbers are unique and increasing, and the next append gets a
#     number above every one handed out before;
#   - the export mark is at least the last one that returned;
#   - every record held links to the one held before it, and the next append
#     links to the newest one held.
#
# CI runs a bounded slice. The whole campaign:
#   python tests/test_journal_powercut.py --operations 2000
import os
import random
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "firmware"), os.path.join(ROOT, "boards", "pc")]

from norflash import NorFlash, PowerCut  # noqa: E402
from terminal.journal import Journal, record_hash  # noqa: E402

_SECTOR_SIZE = 4096
_SECTOR_COUNT = 8


class Campaign:
    def __init__(self, program_unit, seed):
        self.program_unit = program_unit
        self.random = random.Random(seed)
        self.flash = self._flash()
        self.model = {}  # voucher -> payload, for every append that returned
        self.highest_voucher = 0
        self.exported = 0
        self.cut_points = 0
        self.keep_going = False
        self.failures = []

    def _flash(self, image=None):
        flash = NorFlash(sector_size=_SECTOR_SIZE, sector_count=_SECTOR_COUNT,
                         program_unit=self.program_unit, seed=self.random.randrange(1, 1 << 30))
        if image is not None:
            flash.load_image(image)
        return flash

    def _journal(self, flash):
        return Journal(flash, program_unit=self.program_unit, overwrite_oldest=True).mount()

    def _payload(self):
        size = self.random.randrange(0, 120)
        if self.random.randrange(8) == 0:
            # Bytes that look like the journal's own headers.
            return (b"RSJ\x01R\x00\x04\x00" * 20)[:size]
        return bytes(self.random.randrange(256) for _ in range(size))

    def _group(self):
        group = []
        for _ in range(self.random.randrange(1, 5)):
            if self.random.randrange(10) == 0:
                group.append(("mark", self.random.randrange(0, 30)))
            else:
                group.append(("append", self._payload()))
        return group

    def prefill(self, appends):
        # Wrap the ring once without cuts so every cut lands in a full ring.
        journal = self._journal(self.flash)
        for _ in range(appends):
            journal.acknowledge_near_full()
            payload = self._payload()
            voucher = journal.append(payload)
            self.model[voucher] = payload
            self.highest_voucher = voucher

    def run(self, groups):
        for _ in range(groups):
            group = self._group()
            image = self.flash.image()

            # A clean run gives the operation count and the next state.
            clean = self._flash(image)
            clean.reset_counters()
            clean_model = dict(self.model)
            tracker = {"in_flight": None, "exported": self.exported}
            self._apply(self._journal(clean), group, clean_model, tracker)
            operations = clean.program_ops + clean.erase_ops
            clean_oldest = self._journal(clean).oldest()

            for cut in range(1, operations + 1):
                self.cut_points += 1
                try:
                    self._cut_and_check(image, group, cut, clean_oldest)
                except (AssertionError, OSError) as failure:
                    if not self.keep_going:
                        raise
                    self.failures.append(str(failure))

            self.flash = clean
            self.model = clean_model
            self.exported = tracker["exported"]
            self.highest_voucher = max(clean_model)

    def _apply(self, journal, group, model, tracker):
        # Runs the group; tracker tells which operation was under way.
        for kind, value in group:
            # As the app does once its screen has shown the near-full warning;
            # an acknowledgement is one more entry that a cut can tear.
            tracker["in_flight"] = ("acknowledge", None)
            journal.acknowledge_near_full()
            tracker["in_flight"] = (kind, value)
            if kind == "append":
                voucher = journal.append(value)
                assert voucher > max(model), "voucher %d reused" % voucher
                model[voucher] = value
            else:
                target = max(0, journal.newest() - value)
                journal.mark_exported(target)
                tracker["exported"] = max(tracker["exported"], target)
            tracker["in_flight"] = None

    def _cut_and_check(self, image, group, cut, clean_oldest):
        flash = self._flash(image)
        model = dict(self.model)
        tracker = {"in_flight": None, "exported": self.exported}
        flash.cut_power_after(cut)
        try:
            self._apply(self._journal(flash), group, model, tracker)
        except PowerCut:
            pass
        else:
            raise AssertionError("cut %d never happened" % cut)
        flash.restore_power()
        in_flight = tracker["in_flight"] or (None, None)
        highest = max(model)
        where = "cut %d of group %r" % (cut, [kind for kind, _ in group])

        journal = self._journal(flash)
        held = list(journal.records())
        vouchers = [voucher for voucher, _ in held]
        assert vouchers == sorted(set(vouchers)), where
        oldest = journal.oldest()
        assert oldest <= clean_oldest, "%s: oldest %d beyond %d" % (where, oldest, clean_oldest)
        for voucher, payload in held:
            if voucher in model:
                assert payload == model[voucher], "%s: voucher %d altered" % (where, voucher)
            else:
                # Only the append that was cut may show up, and whole.
                assert in_flight[0] == "append" and payload == in_flight[1], where
                assert voucher > highest, where
        held_set = set(vouchers)
        for voucher in model:
            if voucher >= oldest:
                assert voucher in held_set, "%s: voucher %d lost" % (where, voucher)
        assert journal.exported_up_to() >= tracker["exported"], where
        linked = list(journal.records(links=True))
        hashes = [record_hash(voucher, link, payload) for voucher, payload, link in linked]
        for before, (voucher, _, link) in zip(hashes, linked[1:]):
            assert link == before, "%s: voucher %d unlinked" % (where, voucher)

        # Life goes on: the next append is numbered above all before it, and
        # linked to the newest record held.
        voucher = journal.append(b"after the cut")
        assert voucher > max([highest] + vouchers), where
        again = self._journal(flash)
        assert again.read(voucher) == b"after the cut", where
        newest = list(again.records(start=voucher, links=True))
        assert newest[0][2] == hashes[-1], "%s: new record unlinked" % where


def campaign(operations, program_unit, seed=1, keep_going=False):
    """Run about `operations` workload operations (groups of 2.5 on average)."""
    run = Campaign(program_unit, seed)
    run.keep_going = keep_going
    run.prefill(_SECTOR_COUNT * _SECTOR_SIZE // 90)
    run.run(operations * 2 // 5)
    return run


def _wrapped(run):
    return Journal(run.flash, program_unit=run.program_unit).mount().oldest() > 1


def test_every_cut_point_of_a_workload_on_a_wrapped_journal():
    operations = int(os.getenv("RESLIP_POWERCUT_OPERATIONS", "2000"))
    run = campaign(operations, program_unit=1)
    assert run.cut_points >= operations
    assert _wrapped(run)


def test_every_cut_point_at_rp2_program_unit():
    operations = int(os.getenv("RESLIP_POWERCUT_OPERATIONS", "2000")) // 2
    run = campaign(operations, program_unit=256, seed=2)
    assert run.cut_points >= operations
    assert _wrapped(run)


def test_journal_and_search_fit_a_64k_heap_on_a_1mib_region(tmp_path):
    # The firmware's budget: MicroPython with a 64 KiB heap, 1 MiB of flash
    # (kept in a file by the emulator so the heap holds the journal alone).
    # Modules go in as .mpy, as on a board: compiling source needs more heap.
    bin_folder = os.path.dirname(sys.executable)
    (tmp_path / "terminal").mkdir()
    for source, target in (("firmware/terminal/__init__.py", "terminal/__init__.mpy"),
                           ("firmware/terminal/crc32.py", "terminal/crc32.mpy"),
                           ("firmware/terminal/journal.py", "terminal/journal.mpy"),
                           ("firmware/terminal/record.py", "terminal/record.mpy"),
                           ("firmware/terminal/query.py", "terminal/query.mpy"),
                           ("boards/pc/norflash.py", "norflash.mpy")):
        subprocess.run([os.path.join(bin_folder, "mpy-cross"), "-o", str(tmp_path / target),
                        os.path.join(ROOT, source)], check=True)
    script = tmp_path / "heap.py"
    script.write_text(
        "import sys\n"
        "sys.path[:0] = [%r]\n"
        "import gc\n"
        "from norflash import NorFlash\n"
        "from terminal.journal import Journal\n"
        "from terminal import query, record\n"
        "flash = NorFlash(%r, sector_size=4096, sector_count=256)\n"
        "journal = Journal(flash).mount()\n"
        "for number in range(600):\n"
        "    journal.append(bytes(82))\n"
        "gc.collect()\n"
        "journal = Journal(flash).mount()\n"
        "assert journal.read(300) == bytes(82)\n"
        "assert sum(1 for _ in journal.records()) == 600\n"
        "assert journal.count == 600\n"
        "for number in range(20):\n"
        "    journal.append(record.Record(record.SALE, amount=4242, reference='x' * 40)"
        ".encode())\n"
        "gc.collect()\n"
        "assert len(query.find_transactions(journal, amount_cents=4242)) == 20\n"
        "assert len(query.find_transactions(journal, start=0, end=1 << 31)) == 20\n"
        "print('ok', journal.newest())\n"
        % (str(tmp_path), str(tmp_path / "flash.bin")))
    run = subprocess.run([os.path.join(bin_folder, "micropython"), "-X", "heapsize=64k",
                          str(script)], capture_output=True, text=True, timeout=300)
    assert run.stdout.strip() == "ok 620", run.stdout + run.stderr


if __name__ == "__main__":
    count = 2000
    if "--operations" in sys.argv:
        count = int(sys.argv[sys.argv.index("--operations") + 1])
    failed = 0
    for unit in (1, 256):
        run = campaign(count, unit, keep_going=True)
        survived = run.cut_points - len(run.failures)
        print("program unit %d: %d operations, survived %d of %d cut points"
              % (unit, count, survived, run.cut_points))
        for failure in run.failures[:20]:
            print("  " + failure)
        failed += len(run.failures)
    sys.exit(1 if failed else 0)
