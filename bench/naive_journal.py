# The way a MicroPython developer would keep sales without a journal: one JSON
# line per sale, appended to a file on littlefs (open, write, close, so that
# each sale is on flash before the slip prints), and a search that reads the
# file line by line. The baseline for bench_journal.py; runs on MicroPython.
import json

import vfs

_FILE = "sales.jsonl"


class LfsSalesFile:
    """Sales as JSON lines in one file on a littlefs over `device`."""

    def __init__(self, device, program_unit=1, create=False):
        # littlefs programs in units of progsize; at least its usual 32 bytes.
        progsize = max(32, program_unit)
        if create:
            vfs.VfsLfs2.mkfs(device, progsize=progsize)
        self.fs = vfs.VfsLfs2(device, progsize=progsize)
        self.next_voucher = 1

    def append(self, sale):
        line = json.dumps({
            "voucher": self.next_voucher, "kind": sale.kind, "amount": sale.amount,
            "method": sale.method, "operator": sale.operator, "batch": sale.batch,
            "time": sale.timestamp, "clock_valid": sale.clock_valid,
            "currency": sale.currency, "card": sale.card_last4, "ref": sale.reference,
        })
        file = self.fs.open(_FILE, "a")
        file.write(line)
        file.write("\n")
        file.close()
        self.next_voucher += 1
        return self.next_voucher - 1

    def find_voucher(self, voucher):
        file = self.fs.open(_FILE, "r")
        try:
            for line in file:
                sale = json.loads(line)
                if sale["voucher"] == voucher:
                    return sale
        finally:
            file.close()
        return None

    def find_amount(self, amount):
        found = []
        file = self.fs.open(_FILE, "r")
        for line in file:
            sale = json.loads(line)
            if sale["amount"] == amount:
                found.append(sale)
        file.close()
        found.reverse()  # newest first, as the terminal lists them
        return found

    def size(self):
        return self.fs.stat(_FILE)[6]
