# Totals of a batch: what a settlement slip and the totals report print.
#
# Built from journal records one at a time, so a batch of any size is summed
# with one record in RAM. Amounts are integer cents.

from terminal import record as rec


class Totals:
    """Counts and sums of one batch's transactions, by kind and by payment method."""

    def __init__(self, batch):
        self.batch = batch
        self.first_voucher = 0
        self.last_voucher = 0
        self.first_time = 0
        self.last_time = 0
        # kind -> [count, cents]; method -> [count, cents] for sales less refunds and voids.
        self.by_kind = {}
        self.by_method = {}
        self.net_cents = 0

    def add(self, record):
        """Counts `record` if it is a transaction of this batch; returns whether it was."""
        if record.batch != self.batch or record.kind not in _COUNTED:
            return False
        if not self.first_voucher:
            self.first_voucher = record.voucher
            self.first_time = record.timestamp
        self.last_voucher = record.voucher
        self.last_time = record.timestamp

        entry = self.by_kind.setdefault(record.kind, [0, 0])
        entry[0] += 1
        entry[1] += record.amount

        # Training sales are counted apart and never reach the net.
        if record.kind == rec.TRAINING_SALE:
            return True
        signed = record.amount if record.kind == rec.SALE else -record.amount
        method = self.by_method.setdefault(record.method, [0, 0])
        method[0] += 1
        method[1] += signed
        self.net_cents += signed
        return True

    def count(self, kind):
        return self.by_kind.get(kind, (0, 0))[0]

    def cents(self, kind):
        return self.by_kind.get(kind, (0, 0))[1]


_COUNTED = (rec.SALE, rec.VOID, rec.REFUND, rec.TRAINING_SALE)
