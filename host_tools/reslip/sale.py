"""`reslip sale`: what a cash register does: send one sale to the terminal,
which records it in its journal and prints its slips like a keypad sale."""

import termios

import serial

from terminal.record import CARD, CASH, QR

from reslip.errors import ReslipError
from reslip.link import (HostLink, LinkError, NotAuthenticated, Refused, card_last4,
                         looks_like_card_number)

__all__ = ["record_sale", "METHODS"]

METHODS = {"cash": CASH, "card": CARD, "qr": QR}
_BAUD_RATE = 115200
_READ_TIMEOUT_S = 0.05


def record_sale(port_path, amount_cents, method="cash", card="", reference="", timeout_s=1.0,
                key=None):
    """Sends one sale to the terminal on port_path; returns its voucher.
    Only the last 4 digits of `card` are sent. key: the terminal's link key
    (bytes), for a terminal that has one."""
    _check_sale(amount_cents, method, card, reference)
    try:
        port = serial.serial_for_url(port_path, baudrate=_BAUD_RATE, timeout=_READ_TIMEOUT_S)
    except (serial.SerialException, ValueError, OSError, termios.error) as error:
        # termios.error: a pseudo-terminal whose other end is already gone.
        raise ReslipError("cannot open %s: %s" % (port_path, error)) from None
    with port:
        try:
            link = HostLink(port, timeout_s=timeout_s, key=key)
            # The key is proved before the sale goes out: a wrong one fails here.
            link.identify()
            voucher = link.record_sale(amount_cents, METHODS[method], card, reference)
            link.end_session()
            return voucher
        except NotAuthenticated as refusal:
            raise ReslipError("%s; the sale was not recorded" % refusal) from None
        except Refused as refusal:
            raise ReslipError("the terminal did not record the sale: %s" % refusal.reason) \
                from None
        except LinkError as error:
            raise ReslipError("%s; the sale may not be recorded: check the terminal's last "
                              "slip before sending it again" % error) from None


def _check_sale(amount_cents, method, card, reference):
    """Refuses a sale that could not be recorded, before anything is sent."""
    if method not in METHODS:
        raise ReslipError("unknown payment method %r; use cash, card or qr" % method)
    if amount_cents <= 0:
        raise ReslipError("the amount must be above zero")
    if card and method != "card":
        raise ReslipError("a card number goes with --method card only")
    try:
        card_last4(card)
    except LinkError as error:
        raise ReslipError(str(error)) from None
    if looks_like_card_number(reference):
        raise ReslipError("the reference looks like a card number; a card number never "
                          "leaves this PC whole")
    size = len(reference.encode("utf-8"))
    if size > 40:
        raise ReslipError("the reference is %d bytes in UTF-8; at most 40 fit" % size)
