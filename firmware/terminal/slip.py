# The printed slip for one journal record, laid out like a bank-card
# terminal's slip.
#
# Everything on it comes from the record and the settings, never from live
# state, so a reprint built later is the same bytes as the original apart from
# its mark lines (top and bottom). Lines are composed as encoded bytes, because
# a GB2312 character takes two columns and two bytes alike.

import time

from terminal import escpos
from terminal.record import CARD, KIND_NAMES, METHOD_NAMES, REFUND, TRAINING_SALE, VOID

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


# The reports (settlement slip, totals report, detail list) are built in
# terminal.slip_reports, loaded only when one is printed.

def build_settlement_slip(totals, settings, profile, encoder, closed_at, reprint=None):
    from terminal.slip_reports import build_settlement_slip

    return build_settlement_slip(totals, settings, profile, encoder, closed_at, reprint)


def build_totals_report(totals, settings, profile, encoder, printed_at, reprint=None):
    from terminal.slip_reports import build_totals_report

    return build_totals_report(totals, settings, profile, encoder, printed_at, reprint)


def build_detail_list(records, settings, profile, encoder, title_time):
    from terminal.slip_reports import build_detail_list

    return build_detail_list(records, settings, profile, encoder, title_time)


def reprint_mark(settings, profile, encoder, count, when, clock_valid=True):
    """The bytes of the mark a reprint carries at its top and its bottom."""
    builder = escpos.JobBuilder(profile, encoder, _setting(settings, "width", 32))
    slip = _Slip(builder, _setting(settings, "language", "en") == "zh" and builder.chinese)
    return slip.reprint_mark((count, when, clock_valid))


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

    def merchant(self, settings):
        self.pair(self.label("merchant_name"), _setting(settings, "merchant_name", ""))
        self.pair(self.label("merchant_no"), _setting(settings, "merchant_no", ""))
        self.pair(self.label("terminal_no"), _setting(settings, "terminal_no", ""))

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
