# A small, honest stand-in for the terminal facade the menu drives: sales and
# reprint events kept in a list like a journal, every call recorded.
from terminal.menu import TerminalError
from terminal.record import REPRINT, SALE, Record

BASE_TIME = 1796315802  # 2026-12-03 16:36:42


class FakeTerminal:
    def __init__(self, pins=None, clock_valid=True):
        self.pins = pins if pins is not None else {"operator": "0000"}
        self.clock_is_valid = clock_valid
        self.journal = []
        self.calls = []
        self.note = None
        self.refusal = None  # a message ring_sale and reprint raise while set
        self.seconds = BASE_TIME

    # --- the facade ---

    def clock_valid(self):
        return self.clock_is_valid

    def ring_sale(self, amount_cents, method, card_last4):
        self.calls.append(("ring_sale", amount_cents, method, card_last4))
        if self.refusal:
            raise TerminalError(self.refusal)
        if not self.clock_is_valid:
            raise TerminalError("CLOCK NOT SET")
        return self._append(Record(SALE, amount=amount_cents, method=method,
                                   card_last4=card_last4))

    def last_sale(self):
        for record in reversed(self.journal):
            if record.kind == SALE:
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

    def reprint(self, voucher):
        self.calls.append(("reprint", voucher))
        if self.refusal:
            raise TerminalError(self.refusal)
        if self.find(voucher) is None:
            raise TerminalError("NO SUCH VOUCHER")
        return self._append(Record(REPRINT, refers_to=voucher))

    def check_pin(self, role, pin):
        self.calls.append(("check_pin", role, pin))
        return self.pins.get(role) == pin

    def search(self, amount_cents=None, start=None, end=None):
        self.calls.append(("search", amount_cents, start, end))
        found = []
        for record in reversed(self.journal):
            if record.kind != SALE:
                continue
            if amount_cents is not None and record.amount != amount_cents:
                continue
            if start is not None and record.timestamp < start:
                continue
            if end is not None and record.timestamp > end:
                continue
            found.append(record)
        return found

    def attention(self):
        if not self.clock_is_valid:
            return "CLOCK NOT SET"
        return self.note

    # --- for tests ---

    def _append(self, record):
        # One minute between records, so searches have times to show.
        self.seconds += 60
        record.timestamp = self.seconds
        record.clock_valid = self.clock_is_valid
        record.voucher = len(self.journal) + 1
        self.journal.append(record)
        return record

    def prints(self):
        """The calls that would put paper out: ring_sale and reprint."""
        return [call for call in self.calls if call[0] in ("ring_sale", "reprint")]
