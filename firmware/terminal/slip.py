# The printed slip for one journal record, laid out like a bank-card
# terminal's slip.
#
# Everything on it comes from the record and the settings, never from live
# state, so a reprint built later is the same bytes as the original apart from
# its mark lines (top and bottom). Lines are composed as encoded bytes, because
# a GB2312 character takes two columns and two bytes alike.

import time

from terminal import escpos
from terminal.record import (CARD, CASH, KIND_NAMES, METHOD_NAMES, QR, REFUND, SALE,
                             TRAINING_SALE, VOID)

# (Chinese, English) for every label; English-only slips use the second part.
_LABELS = {
    "title": ("签购单", "SALES SLIP"),
    "merchant_name": ("商户名称", "MERCHANT NAME"),
    "merchant_no": ("商户编号", "MERCHANT NO."),
    "terminal_no": ("终端编号", "TERMINAL NO."),
    "operator": ("操作员", "OPERATOR"),
    "batch": ("批次号", "BATCH NO."),
    "voucher": ("凭证号", "VOUCHER NO."),
    "original": ("原凭证号", "ORIG. VOUCHER"),
    "date_time": ("日期时间", "DATE/TIME"),
    "kind": ("交易类型", "TYPE"),
    "method": ("支付方式", "METHOD"),
    "card": ("卡号", "CARD NO."),
    "amount": ("金额", "AMOUNT"),
    "reference": ("参考号", "REFERENCE"),
    "signature": ("持卡人签名", "SIGNATURE"),
    "clock_not_set": ("时钟未设置", "CLOCK NOT SET"),
    "reprint": ("重打印凭证", "REPRINT"),
    "training": ("培训模式", "TRAINING - NOT A SALE"),
    "MERCHANT COPY": ("商户存根", "MERCHANT COPY"),
    "CUSTOMER COPY": ("客户存根", "CUSTOMER COPY"),
    "settlement": ("结算单", "SETTLEMENT"),
    "totals": ("交易汇总", "TOTALS REPORT"),
    "detail": ("交易明细", "DETAIL LIST"),
    "closed_at": ("结算时间", "CLOSED AT"),
    "printed_at": ("打印时间", "PRINTED AT"),
    "batch_open": ("批次未结算", "BATCH NOT SETTLED"),
    "first": ("首笔", "FIRST"),
    "last": ("末笔", "LAST"),
    "net": ("净额", "NET TOTAL"),
    "training_apart": ("培训不计", "TRAINING NOT COUNTED"),
    "no_transactions": ("无交易", "NO TRANSACTIONS"),
    "lines": ("笔数", "TRANSACTIONS"),
}

# Column heads: (Chinese, English) per column.
_TOTALS_HEADS = (("类型", "TYPE"), ("笔数", "COUNT"), ("金额", "AMOUNT"))
_DETAIL_HEADS = (("凭证", "NO."), ("时间", "TIME"), ("类型", "TYPE"), ("方式", "PAY"),
                 ("金额", "AMOUNT"))

# Four-column names for the detail list, where every column counts.
_KIND_SHORT = {SALE: ("消费", "SALE"), VOID: ("撤销", "VOID"), REFUND: ("退货", "RFND"),
               TRAINING_SALE: ("培训", "TRNG")}
_METHOD_SHORT = {CASH: ("现金", "CASH"), CARD: ("刷卡", "CARD"), QR: ("扫码", "QR")}

_KIND_LABELS = {
    "SALE": "消费", "VOID": "撤销", "REFUND": "退货", "SETTLEMENT": "结算",
    "TRAINING": "培训",
}
_METHOD_LABELS = {"CASH": "现金", "CARD": "银行卡", "QR": "扫码"}


def format_amount(cents, currency):
    """'CNY 1,234.50' from integer cents; negative amounts get a leading '-'."""
    sign = "-" if cents < 0 else ""
    cents = -cents if cents < 0 else cents
    units = str(cents // 100)
    groups = []
    while len(units) > 3:
        groups.insert(0, units[-3:])
        units = units[:-3]
    groups.insert(0, units)
    text = "%s%s.%02d" % (sign, ",".join(groups), cents % 100)
    return currency + " " + text if currency else text


def format_time(unix_seconds):
    """'2026-12-03 16:42:05' (UTC) from Unix seconds."""
    year, month, day, hour, minute, second = time.gmtime(unix_seconds)[:6]
    return "%04d-%02d-%02d %02d:%02d:%02d" % (year, month, day, hour, minute, second)


def signed_amount(record):
    """The amount as the slip shows it: refunds and voids are negative."""
    if record.kind in (REFUND, VOID):
        return -abs(record.amount)
    return record.amount


def build_slip(record, settings, profile, encoder, copy_label="MERCHANT COPY", reprint=None):
    """The whole slip as printer bytes.

    `settings` is a dict or an object with merchant_name, merchant_no,
    terminal_no, width (32 or 48), language ("en" or "zh") and optionally
    currency_label (shown instead of the record's currency code).
    `reprint` is None or (count, reprint time in Unix seconds[, clock valid]).
    Chinese labels are used only where the printer and encoder can print them.
    """
    width = _setting(settings, "width", 32)
    builder = escpos.JobBuilder(profile, encoder, width)
    slip = _Slip(builder, _setting(settings, "language", "en") == "zh" and builder.chinese)
    mark = slip.reprint_mark(reprint) if reprint is not None else b""

    builder.init()
    builder.raw(mark)
    slip.header(settings, copy_label)
    slip.body(record, settings)
    builder.raw(mark)
    builder.feed(1)
    builder.cut()
    return builder.build()


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


def reprint_mark(settings, profile, encoder, count, when, clock_valid=True):
    """The bytes of the mark a reprint carries at its top and its bottom."""
    builder = escpos.JobBuilder(profile, encoder, _setting(settings, "width", 32))
    slip = _Slip(builder, _setting(settings, "language", "en") == "zh" and builder.chinese)
    return slip.reprint_mark((count, when, clock_valid))


def _start(settings, profile, encoder):
    builder = escpos.JobBuilder(profile, encoder, _setting(settings, "width", 32))
    chinese = _setting(settings, "language", "en") == "zh" and builder.chinese
    return builder, _Slip(builder, chinese)


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


def _setting(settings, name, default=None):
    if isinstance(settings, dict):
        return settings.get(name, default)
    return getattr(settings, name, default)


class _Slip:
    def __init__(self, builder, chinese):
        self.builder = builder
        self.encode = builder.encoder.encode
        self.width = builder.columns
        self.chinese = chinese

    def label(self, key):
        chinese, english = _LABELS[key]
        return chinese + " " + english if self.chinese else english

    def reprint_mark(self, reprint):
        count, when = reprint[0], reprint[1]
        clock_valid = reprint[2] if len(reprint) > 2 else True
        chinese, english = _LABELS["reprint"]
        title = chinese + " / " + english if self.chinese else english
        stamp = "#%d %s" % (count, format_time(when))
        if not clock_valid:
            stamp += " ?"
        parts = escpos.JobBuilder(self.builder.profile, self.builder.encoder, self.width)
        parts.align("center").bold(True).text("*** " + title + " ***").bold(False)
        parts.text(stamp).align("left")
        return parts.build()

    def header(self, settings, copy_label):
        builder = self.builder
        builder.align("center").bold(True).double(True)
        builder.text(_LABELS["title"][1] if not self.chinese else _LABELS["title"][0])
        builder.double(False).bold(False)
        copy = _LABELS.get(copy_label)
        builder.text(copy_label if copy is None else self.label(copy_label))
        builder.align("left")
        self.rule()
        self.merchant(settings)

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

    def merchant(self, settings):
        self.pair(self.label("merchant_name"), _setting(settings, "merchant_name", ""))
        self.pair(self.label("merchant_no"), _setting(settings, "merchant_no", ""))
        self.pair(self.label("terminal_no"), _setting(settings, "terminal_no", ""))

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

    def body(self, record, settings):
        builder = self.builder
        training = record.kind == TRAINING_SALE
        if training:
            self.banner(self.label("training"))

        self.pair(self.label("operator"), "%02d" % record.operator)
        self.pair(self.label("batch"), "%06d" % record.batch)
        self.pair(self.label("voucher"), "%06d" % record.voucher)
        if record.refers_to and record.kind in (VOID, REFUND):
            # A void or refund names the sale it takes back.
            self.pair(self.label("original"), "%06d" % record.refers_to)
        self.pair(self.label("date_time"), format_time(record.timestamp))
        if not record.clock_valid:
            builder.align("right").text("(" + self.label("clock_not_set") + ")").align("left")
        kind = KIND_NAMES.get(record.kind, "?")
        self.pair(self.label("kind"), self.bilingual(kind, _KIND_LABELS))
        method = METHOD_NAMES.get(record.method, "")
        if method:
            self.pair(self.label("method"), self.bilingual(method, _METHOD_LABELS))
        if record.method == CARD and record.card_last4:
            self.pair(self.label("card"), record.masked_card())
        self.rule()

        # The total: double size when it fits in half the width.
        currency = _setting(settings, "currency_label") or record.currency
        amount = self.encode(format_amount(signed_amount(record), currency))
        builder.line(self.encode(self.label("amount")))
        builder.align("right").bold(True)
        if 2 * len(amount) <= self.width:
            builder.double(True).line(amount).double(False)
        else:
            builder.line(amount)
        builder.bold(False).align("left")

        if record.reference:
            self.pair(self.label("reference"), record.reference)
        self.rule()
        if record.method == CARD:
            builder.text(self.label("signature"))
            builder.feed(2)
            builder.line(b"_" * self.width)
        if training:
            self.banner(self.label("training"))
        builder.voucher_code("%06d" % record.voucher)

    def bilingual(self, english, chinese_names):
        chinese = chinese_names.get(english)
        return chinese + " " + english if self.chinese and chinese else english

    def banner(self, text):
        self.builder.align("center").bold(True).text(text).bold(False).align("left")

    def rule(self):
        self.builder.line(b"-" * self.width)

    def pair(self, label, value):
        """Label on the left, value on the right; the value on its own line if both do not fit."""
        left = self.encode(label)
        right = self.encode(value)
        gap = self.width - len(left) - len(right)
        if gap >= 1:
            self.builder.line(left + b" " * gap + right)
            return
        self.builder.line(left)
        for piece in _wrap(right, self.width, self.chinese):
            self.builder.line(b" " * (self.width - len(piece)) + piece)


def _pad(encoded, width):
    return encoded + b" " * (width - len(encoded)) if len(encoded) < width else encoded


def _right(encoded, width):
    return b" " * (width - len(encoded)) + encoded if len(encoded) < width else encoded


def _wrap(encoded, width, chinese):
    """Pieces of at most `width` bytes, never splitting a GB2312 pair."""
    pieces = []
    start = 0
    while start < len(encoded):
        end = min(start + width, len(encoded))
        if chinese and end < len(encoded):
            # Step back to a character boundary: count lead bytes from the start.
            at = start
            while at < end:
                step = 2 if encoded[at] >= 0x80 else 1
                if at + step > end:
                    break
                at += step
            end = at
        pieces.append(encoded[start:end])
        start = end
    return pieces
