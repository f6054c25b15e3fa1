# What one journal record holds, and its bytes inside the journal.
#
# The journal itself only knows a voucher number and an opaque payload; this
# module gives the payload its meaning. Money is integer cents everywhere.
#
# Payload layout, little-endian (see docs/journal-format.md):
#
#   version (u8)  kind (u8)  method (u8)  operator (u8)  flags (u8)
#   batch (u16)  timestamp (u32, Unix seconds)  refers_to (u32)
#   amount (i64, cents)  currency (3 ASCII bytes)
#   card_last4: length (u8) + ASCII digits, at most 4
#   reference:  length (u8) + UTF-8 bytes, at most 40

from micropython import const
import struct

_FORMAT_VERSION = const(1)
_FIXED = "<BBBBBHIIq3s"
_FIXED_SIZE = const(26)
_REFERENCE_MAX = const(40)

# Kinds of record.
SALE = const(1)
VOID = const(2)
REFUND = const(3)
SETTLEMENT = const(4)
REPRINT = const(5)
CLOCK_SET = const(6)
TRAINING_SALE = const(7)

KIND_NAMES = {
    SALE: "SALE",
    VOID: "VOID",
    REFUND: "REFUND",
    SETTLEMENT: "SETTLEMENT",
    REPRINT: "REPRINT",
    CLOCK_SET: "CLOCK SET",
    TRAINING_SALE: "TRAINING",
}

# Payment methods.
CASH = const(1)
CARD = const(2)
QR = const(3)

METHOD_NAMES = {0: "", CASH: "CASH", CARD: "CARD", QR: "QR"}

# Flag bits.
FLAG_CLOCK_VALID = const(0x01)

# What stands for the card digits never kept, on the slip and on the PC alike.
_CARD_MASK = "************"


def mask_card(last4):
    """The card number as the slip prints it and every PC output shows it:
    twelve stars, then the digits kept (at most the last four); "" for none."""
    return _CARD_MASK + last4 if last4 else ""


def looks_like_card_number(text, digits=12):
    """True when `text` holds `digits` digits or more in a row, with only
    spaces and punctuation between them ("4111.1111-1111 1111", full-width
    digits too): a card number must never reach the journal, not even in a
    sale's reference. A letter, or any other character, ends the run."""
    run = 0
    for char in text:
        if "0" <= char <= "9" or "\uff10" <= char <= "\uff19":
            run += 1
            if run >= digits:
                return True
        elif char > "~" or char.isalpha():
            run = 0
    return False


class Record:
    """One transaction or event; `voucher` is given by the journal on append."""

    __slots__ = (
        "voucher", "kind", "method", "operator", "clock_valid", "batch",
        "timestamp", "refers_to", "amount", "currency", "card_last4", "reference",
    )

    def __init__(self, kind, amount=0, method=0, operator=0, batch=1, timestamp=0,
                 clock_valid=True, refers_to=0, currency="CNY", card_last4="",
                 reference="", voucher=0):
        self.voucher = voucher
        self.kind = kind
        self.amount = amount
        self.method = method
        self.operator = operator
        self.batch = batch
        self.timestamp = timestamp
        self.clock_valid = clock_valid
        self.refers_to = refers_to
        self.currency = currency
        self.card_last4 = card_last4
        self.reference = reference

    def __eq__(self, other):
        return isinstance(other, Record) and all(
            getattr(self, name) == getattr(other, name) for name in Record.__slots__
        )

    def __repr__(self):
        return "Record(voucher=%d, kind=%s, amount=%d)" % (
            self.voucher, KIND_NAMES.get(self.kind, self.kind), self.amount)

    def masked_card(self):
        """mask_card() of this record's card digits."""
        return mask_card(self.card_last4)

    def encode(self):
        """The payload bytes; raises ValueError for a field that does not fit.

        Every field is checked here: MicroPython's struct would wrap a value
        that does not fit its width instead of refusing it.
        """
        last4 = self.card_last4.encode()
        reference = self.reference.encode()
        currency = self.currency.encode()
        if len(last4) > 4 or not _all_digits(last4):
            raise ValueError("card_last4 holds at most 4 digits")
        if len(reference) > _REFERENCE_MAX:
            raise ValueError("reference longer than %d bytes" % _REFERENCE_MAX)
        if len(currency) != 3 or not _all_letters(currency):
            raise ValueError("currency is a 3-letter code")
        _check_field("kind", self.kind, 0, 0xFF)
        _check_field("method", self.method, 0, 0xFF)
        _check_field("operator", self.operator, 0, 0xFF)
        _check_field("batch", self.batch, 0, 0xFFFF)
        _check_field("timestamp", self.timestamp, 0, _U32_MAX)
        _check_field("refers_to", self.refers_to, 0, _U32_MAX)
        _check_field("amount", self.amount, _I64_MIN, _I64_MAX)
        flags = FLAG_CLOCK_VALID if self.clock_valid else 0
        fixed = struct.pack(
            _FIXED, _FORMAT_VERSION, self.kind, self.method, self.operator, flags,
            self.batch, self.timestamp, self.refers_to, self.amount, currency)
        return b"".join((fixed, bytes((len(last4),)), last4,
                         bytes((len(reference),)), reference))

    @staticmethod
    def decode(payload, voucher=0):
        """The record from its payload bytes; raises ValueError on malformed bytes."""
        if len(payload) < _FIXED_SIZE + 2:
            raise ValueError("record payload too short")
        (version, kind, method, operator, flags, batch, timestamp, refers_to,
         amount, currency) = struct.unpack_from(_FIXED, payload, 0)
        if version != _FORMAT_VERSION:
            raise ValueError("unknown record format %d" % version)

        at = _FIXED_SIZE
        last4, at = _take_counted(payload, at)
        reference, at = _take_counted(payload, at)
        if at != len(payload):
            raise ValueError("record payload has trailing bytes")

        return Record(kind, amount=amount, method=method, operator=operator, batch=batch,
                      timestamp=timestamp, clock_valid=bool(flags & FLAG_CLOCK_VALID),
                      refers_to=refers_to, currency=str(currency, "ascii"),
                      card_last4=str(last4, "ascii"), reference=str(reference, "utf-8"),
                      voucher=voucher)


def _take_counted(payload, at):
    if at >= len(payload):
        raise ValueError("record payload cut short")
    end = at + 1 + payload[at]
    if end > len(payload):
        raise ValueError("record payload cut short")
    return bytes(payload[at + 1:end]), end


# Limits of the wider fields, made once: on a 32-bit board they are long
# integers, which the hot path should not build again for every record.
_U32_MAX = 0xFFFFFFFF
_I64_MAX = (1 << 63) - 1
_I64_MIN = -(1 << 63)


def _check_field(name, value, low, high):
    if type(value) is not int or not low <= value <= high:
        raise ValueError("%s out of range" % name)


def _all_letters(raw):
    for byte in raw:
        if not 0x41 <= byte <= 0x5A:
            return False
    return True


def _all_digits(raw):
    for byte in raw:
        if not 0x30 <= byte <= 0x39:
            return False
    return True
