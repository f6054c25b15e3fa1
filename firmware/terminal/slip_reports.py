# The reports of a batch, laid out like the sale slip (terminal.slip) whose
# labels and lines they share: the settlement slip, the totals report (汇总)
# and the detail list (明细). Kept apart so that a sale and a reprint, built
# many times a day, never load them; terminal.slip hands over to them.

from terminal import escpos
from terminal.record import (CARD, CASH, KIND_NAMES, METHOD_NAMES, QR, REFUND, SALE,
                             TRAINING_SALE, VOID)
from terminal.slip import (_KIND_LABELS, _LABELS, _METHOD_LABELS, _Slip, _pad, _right,
                           _setting, format_amount, format_time, signed_amount)

# Column heads: (Chinese, English) per column.
_TOTALS_HEADS = (("类型", "TYPE"), ("笔数", "COUNT"), ("金额", "AMOUNT"))
_DETAIL_HEADS = (("凭证", "NO."), ("时间", "TIME"), ("类型", "TYPE"), ("方式", "PAY"),
                 ("金额", "AMOUNT"))

# Four-column names for the detail list, where every column counts.
_KIND_SHORT = {SALE: ("消费", "SALE"), VOID: ("撤销", "VOID"), REFUND: ("退货", "RFND"),
               TRAINING_SALE: ("培训", "TRNG")}
_METHOD_SHORT = {CASH: ("现金", "CASH"), CARD: ("刷卡", "CARD"), QR: ("扫码", "QR")}


def build_settlement_slip(totals, settings, profile, encoder, closed_at, reprint=None):
    """The settlement slip of one batch from its terminal.totals.Totals.

    `closed_at` is the settlement time in Unix seconds; `reprint` as for
    build_slip. Training sales are shown apart and are not in any total.
    """
    return _totals_job(totals, settings, profile, encoder, "settlement", "closed_at",
                       closed_at, reprint)


def build_totals_report(totals, settings, profile, encoder, printed_at, reprint=None):
    """The totals report (汇总) of a batch still open: the settlement slip's
    figures under its own title, with the time it was printed."""
    return _totals_job(totals, settings, profile, encoder, "totals", "printed_at",
                       printed_at, reprint)


def build_detail_list(records, settings, profile, encoder, title_time):
    """The detail list (明细): one line per transaction of `records`, in order.

    Each line holds voucher, time (32 columns: hh:mm; 48: date and time),
    kind, payment method and the signed amount. Records that are not
    transactions (reprints, settlements, clock changes) are skipped, so a
    journal scan can be handed in as it is; one record is looked at a time.
    """
    builder, slip = _start(settings, profile, encoder)
    builder.init()
    slip.title("detail")
    slip.merchant(settings)
    slip.pair(slip.label("printed_at"), format_time(title_time))
    slip.rule()
    slip.detail_heads()
    slip.rule()

    lines = 0
    net = 0
    currency = _setting(settings, "currency_label") or _setting(settings, "currency", "CNY")
    for record in records:
        if record.kind not in _KIND_SHORT:
            continue
        slip.detail_line(record)
        lines += 1
        if record.kind != TRAINING_SALE:
            net += signed_amount(record)
    if not lines:
        slip.banner(slip.label("no_transactions"))
    slip.rule()
    slip.pair(slip.label("lines"), str(lines))
    slip.pair(slip.label("net"), format_amount(net, currency))
    builder.feed(1)
    builder.cut()
    return builder.build()


def _start(settings, profile, encoder):
    builder = escpos.JobBuilder(profile, encoder, _setting(settings, "width", 32))
    chinese = _setting(settings, "language", "en") == "zh" and builder.chinese
    return builder, _Report(builder, chinese)


def _totals_job(totals, settings, profile, encoder, title, time_label, when, reprint):
    builder, slip = _start(settings, profile, encoder)
    mark = slip.reprint_mark(reprint) if reprint is not None else b""
    currency = _setting(settings, "currency_label") or _setting(settings, "currency", "CNY")

    builder.init()
    builder.raw(mark)
    slip.title(title)
    slip.merchant(settings)
    slip.pair(slip.label("batch"), "%06d" % totals.batch)
    slip.pair(slip.label(time_label), format_time(when))
    if title == "totals":
        slip.banner(slip.label("batch_open"))
    if totals.first_voucher:
        slip.pair(slip.label("first"), "%06d %s" % (totals.first_voucher,
                                                     format_time(totals.first_time)))
        slip.pair(slip.label("last"), "%06d %s" % (totals.last_voucher,
                                                    format_time(totals.last_time)))
    slip.rule()

    # By kind, then by payment method; voids and refunds count against the net.
    slip.heads(_TOTALS_HEADS)
    for kind in (SALE, VOID, REFUND):
        count, cents = totals.by_kind.get(kind, (0, 0))
        if kind != SALE:
            cents = -cents
        slip.count_line(slip.bilingual(KIND_NAMES[kind], _KIND_LABELS), count, cents)
    slip.rule()
    for method in (CASH, CARD, QR):
        count, cents = totals.by_method.get(method, (0, 0))
        slip.count_line(slip.bilingual(METHOD_NAMES[method], _METHOD_LABELS), count, cents)
    slip.rule()

    slip.total(slip.label("net"), format_amount(totals.net_cents, currency))
    training_count, training_cents = totals.by_kind.get(TRAINING_SALE, (0, 0))
    if training_count:
        slip.rule()
        builder.text(slip.label("training_apart"))
        slip.count_line("", training_count, training_cents)
    builder.raw(mark)
    builder.feed(1)
    builder.cut()
    return builder.build()


class _Report(_Slip):
    """The lines only reports have."""

    def title(self, key):
        """A report's title: double size, Chinese or English alone."""
        chinese, english = _LABELS[key]
        self.builder.align("center").bold(True).double(True)
        self.builder.text(chinese if self.chinese else english)
        self.builder.double(False).bold(False)
        if self.chinese:
            self.builder.text(english)
        self.builder.align("left")
        self.rule()

    def heads(self, heads):
        """Column heads of a totals table: Chinese line, then English, as set."""
        for part in ((0, 1) if self.chinese else (1,)):
            self.count_line(heads[0][part], heads[1][part], heads[2][part])

    def count_line(self, label, count, amount):
        """Label, count and amount in three columns; the amount moves to its own
        line when it does not fit."""
        amount_text = amount if isinstance(amount, str) else format_amount(amount, "")
        left = _pad(self.encode(label), self.width - 17) + _right(self.encode(str(count)), 5)
        right = self.encode(amount_text)
        gap = self.width - len(left) - len(right)
        if gap >= 1:
            self.builder.line(left + b" " * gap + right)
        else:
            self.builder.line(left)
            self.builder.line(_right(right, self.width))

    def total(self, label, amount):
        """The report's bottom line: label, then the amount in double size if it fits."""
        builder = self.builder
        encoded = self.encode(amount)
        builder.bold(True).line(self.encode(label)).align("right")
        if 2 * len(encoded) <= self.width:
            builder.double(True).line(encoded).double(False)
        else:
            builder.line(encoded)
        builder.align("left").bold(False)

    def detail_heads(self):
        for part in ((0, 1) if self.chinese else (1,)):
            fields = [self.encode(head[part]) for head in _DETAIL_HEADS]
            self.detail_fields(fields[:4], fields[4])

    def detail_line(self, record):
        part = 0 if self.chinese else 1
        stamp = format_time(record.timestamp)
        stamp = stamp[:16] if self.width >= 48 else stamp[11:16]
        # An unset clock's time is marked where the separator would be.
        fields = [self.encode("%06d" % record.voucher),
                  self.encode(stamp + ("?" if not record.clock_valid else "")),
                  self.encode(_KIND_SHORT[record.kind][part]),
                  self.encode(_METHOD_SHORT.get(record.method, ("", ""))[part])]
        self.detail_fields(fields, self.encode(format_amount(signed_amount(record), "")))

    def detail_fields(self, fields, amount):
        widths = (6, 16 if self.width >= 48 else 5, 4, 4)
        left = b""
        for field, width in zip(fields, widths):
            # A field one longer than its column eats the separator ("16:40?").
            left += _pad(field, width + 1) if len(field) <= width + 1 else field + b" "
        gap = self.width - len(left) - len(amount)
        if gap >= 0:
            self.builder.line(left + b" " * gap + amount)
        else:
            self.builder.line(left.rstrip())
            self.builder.line(_right(amount, self.width))
