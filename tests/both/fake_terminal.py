# A small, honest stand-in for the terminal facade the menu drives: records
# kept in a list like a journal, settings in a dict, every call recorded.
from terminal.menu import TerminalError
from terminal.record import (CLOCK_SET, REPRINT, SALE, SETTLEMENT, TRAINING_SALE, VOID,
                             Record)
from terminal.totals import Totals

BASE_TIME = 1796315802  # 2026-12-03 16:36:42
_SLIP_KINDS = (SALE, VOID, TRAINING_SALE)

# The calls that commit something, by the name `Menu.pending` gives them.
COMMITS = {
    "ring_sale": "sale", "reprint": "reprint", "void": "void", "settle": "settle",
    "reprint_settlement": "reprint_settlement", "print_detail": "detail",
    "print_totals": "totals", "print_test_page": "test_page", "set_clock": "clock",
    "set_setting": "setting", "set_pin": "pin",
}
# Of those, the ones that put paper out.
PRINTING = ("ring_sale", "reprint", "void", "settle", "reprint_settlement", "print_detail",
            "print_totals", "print_test_page")


class FakeTerminal:
    def __init__(self, pins=None, clock_valid=True):
        self.pins = pins if pins is not None else {"operator": "0000"}
        self.clock_is_valid = clock_valid
        self.journal = []
        self.calls = []
        self.note = None
        self.refusal = None  # a message every committing call raises while set
        self.seconds = BASE_TIME
        self.batch = 1
        self.settings = {"copies": 2, "printer": "qr204", "merchant_no": "123456789012345",
                         "terminal_no": "00000001"}
        self.failures = {}
        self.pin_writes = 0

    # --- facts ---

    def clock_valid(self):
        return self.clock_is_valid

    def now(self):
        return self.seconds if self.clock_is_valid else None

    def training(self):
        return bool(self.settings.get("training"))

    def attention(self):
        if not self.clock_is_valid:
            return "CLOCK NOT SET"
        if self.note:
            return self.note
        return "TRAINING MODE" if self.training() else None

    def setting(self, name, default=None):
        return self.settings.get(name, default)

    def printer_profiles(self):
        return ["adafruit", "qr204", "qr204-latin"]

    # --- PINs ---

    def check_pin(self, role, pin):
        self.calls.append(("check_pin", role, pin))
        return self.pins.get(role) == pin

    def pin_failures(self, role):
        return self.failures.get(role, 0)

    def set_pin_failures(self, role, count):
        self.pin_writes += 1
        self.failures[role] = count

    # --- committing calls ---

    def _commit_call(self, *call):
        self.calls.append(call)
        if self.refusal:
            raise TerminalError(self.refusal)

    def ring_sale(self, amount_cents, method, card_last4):
        self._commit_call("ring_sale", amount_cents, method, card_last4)
        if not self.clock_is_valid:
            raise TerminalError("CLOCK NOT SET")
        kind = TRAINING_SALE if self.training() else SALE
        return self._append(Record(kind, amount=amount_cents, method=method,
                                   card_last4=card_last4))

    def reprint(self, voucher):
        self._commit_call("reprint", voucher)
        if self.find(voucher) is None:
            raise TerminalError("NO SUCH VOUCHER")
        return self._append(Record(REPRINT, refers_to=voucher))

    def void(self, voucher):
        self._commit_call("void", voucher)
        original = self.find(voucher)
        refusal = "NOT FOUND" if original is None else self.void_refusal(original)
        if refusal:
            raise TerminalError(refusal)
        return self._append(Record(VOID, amount=original.amount, method=original.method,
                                   refers_to=voucher))

    def settle(self):
        self._commit_call("settle", self.batch)
        event = self._append(Record(SETTLEMENT, amount=self.batch_totals().net_cents))
        self.batch += 1
        return event

    def reprint_settlement(self):
        settlement = self.last_settlement()
        self._commit_call("reprint_settlement", settlement.voucher if settlement else 0)
        if settlement is None:
            raise TerminalError("NO SETTLEMENT")
        return self._append(Record(REPRINT, refers_to=settlement.voucher))

    def print_detail(self):
        self._commit_call("print_detail", self.batch)
        return len([r for r in self.journal if r.batch == self.batch and r.kind in _SLIP_KINDS])

    def print_totals(self):
        self._commit_call("print_totals", self.batch)
        return self.batch_totals()

    def print_test_page(self):
        self._commit_call("print_test_page")

    def set_clock(self, unix_seconds):
        self._commit_call("set_clock", unix_seconds)
        self.clock_is_valid = True
        self.seconds = unix_seconds
        return self._append(Record(CLOCK_SET))

    def set_setting(self, name, value):
        self._commit_call("set_setting", name, value)
        self.settings[name] = value
        return "AT RESTART" if name == "journal_policy" else None

    def set_pin(self, number, pin):
        self._commit_call("set_pin", number)
        key = {0: "supervisor", 99: "admin"}.get(number, "op%02d" % number)
        if pin is None:
            self.pins.pop(key, None)
        else:
            self.pins[key] = pin

    # --- finding ---

    def last_sale(self):
        for record in reversed(self.journal):
            if record.kind in _SLIP_KINDS:
                return record
        return None

    def find(self, voucher):
        for record in self.journal:
            if record.voucher == voucher:
                return record
        return None

    def reprint_count(self, voucher):
        count = 0
        for record in self.journal:
            if record.kind == REPRINT and record.refers_to == voucher:
                count += 1
        return count

    def void_refusal(self, record):
        if record.kind != SALE:
            return "ONLY SALES"
        if record.batch != self.batch:
            return "BATCH SETTLED"
        for other in self.journal:
            if other.kind == VOID and other.refers_to == record.voucher:
                return "ALREADY VOIDED"
        return None

    def search(self, amount_cents=None, start=None, end=None, amount_max=None):
        self.calls.append(("search", amount_cents, start, end, amount_max))
        found = []
        for record in reversed(self.journal):
            if record.kind not in _SLIP_KINDS:
                continue
            if amount_cents is not None:
                high = amount_cents if amount_max is None else amount_max
                if not amount_cents <= record.amount <= high:
                    continue
            if start is not None and record.timestamp < start:
                continue
            if end is not None and record.timestamp > end:
                continue
            found.append(record)
        return found

    def nearest(self, amount_cents=None, start=None, end=None, amount_max=None, limit=3):
        def outside(value, low, high):
            if low is not None and value < low:
                return low - value
            high = low if high is None else high
            if high is not None and value > high:
                return value - high
            return 0
        ranked = [((outside(r.amount, amount_cents, amount_max),
                    outside(r.timestamp, start, end), -r.voucher), r)
                  for r in self.journal if r.kind in _SLIP_KINDS]
        ranked.sort(key=lambda item: item[0])
        return [item[1] for item in ranked[:limit]]

    def batch_totals(self):
        totals = Totals(self.batch)
        for record in self.journal:
            totals.add(record)
        return totals

    def last_settlement(self):
        for record in reversed(self.journal):
            if record.kind == SETTLEMENT:
                return record
        return None

    # --- for tests ---

    def _append(self, record):
        # One minute between records, so searches have times to show.
        self.seconds += 60
        record.timestamp = self.seconds
        record.clock_valid = self.clock_is_valid
        record.voucher = len(self.journal) + 1
        record.batch = self.batch
        self.journal.append(record)
        return record

    def prints(self):
        """The calls that would put paper out."""
        return [call for call in self.calls if call[0] in PRINTING]

    def commits(self):
        """Every call that commits something: prints, journal entries, settings."""
        return [call for call in self.calls if call[0] in COMMITS]
