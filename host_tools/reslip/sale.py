"""`reslip sale`: what a cash register does: send one sale to the terminal,
which records it in its journal and prints its slips like a keypad sale."""

import termios

import serial

from terminal.record import CARD, CASH, QR

from reslip.errors import ReslipError
from reslip.link import HostLink, LinkError, Refused

__all__ = ["record_sale", "METHODS"]

METHODS = {"cash": CASH, "card": CARD, "qr": QR}
_BAUD_RATE = 115200
_READ_TIMEOUT_S = 0.05


def record_sale(port_path, amount_cents, method="cash", card="", reference="", timeout_s=1.0):
    """Sends one sale to the terminal on port_path; returns its voucher."""
    _check_sale(amount_cents, method, card, reference)
    try:
        port = serial.serial_for_url(port_path, baudrate=_BAUD_RATE, timeout=_READ_TIMEOUT_S)
    except (serial.SerialException, ValueError, OSError, termios.error) as error:
        # termios.error: a pseudo-terminal whose other end is already gone.
        raise ReslipError("cannot open %s: %s" % (port_path, error)) from None
    with port:
        try:
            return HostLink(port, timeout_s=timeout_s).record_sale(
                amount_cents, METHODS[method], card, reference)
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
    if card.strip(" -0123456789") or not any(char.isdigit() for char in card or "0"):
        raise ReslipError("the card number may hold only digits, spaces and dashes")
    size = len(reference.encode("utf-8"))
    if size > 40:
        raise ReslipError("the reference is %d bytes in UTF-8; at most 40 fit" % size)
