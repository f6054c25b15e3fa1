# PIN checks for the operator, supervisor and admin roles.
#
# A PIN is a digit string ("0123" is not "123", "0000" is valid). Only a salted
# SHA-256 is kept, as "salt_hex:digest_hex", and comparison takes the same time
# whatever the guess. Counting wrong tries and locking is the menu's.

import hashlib
import os

_SALT_BYTES = 8


def pin_digest(salt, pin):
    digest = hashlib.sha256(salt)
    digest.update(pin.encode())
    return digest.digest()


def make_pin_entry(salt, pin):
    """The stored form of `pin` with `salt` (bytes), as kept in the settings."""
    if not pin or not _is_digits(pin):
        raise ValueError("a PIN is a string of digits")
    return _hex(salt) + ":" + _hex(pin_digest(salt, pin))


def new_pin_entry(pin):
    """The stored form of `pin` with a fresh random salt."""
    return make_pin_entry(os.urandom(_SALT_BYTES), pin)


def entry_matches(entry, pin):
    """True when `pin` is the PIN stored as `entry`; a malformed entry matches nothing."""
    if not entry or not pin or not _is_digits(pin):
        return False
    parts = entry.split(":")
    try:
        salt, digest = _unhex(parts[0]), _unhex(parts[1])
    except (IndexError, ValueError):
        return False
    return same_bytes(pin_digest(salt, pin), digest)


class PinChecker:
    def __init__(self, entries):
        self.entries = entries

    def check(self, role, pin):
        return entry_matches(self.entries.get(role), pin)


def same_bytes(a, b):
    # Every byte is looked at, so the time taken says nothing of where they differ.
    if len(a) != len(b):
        return False
    difference = 0
    for x, y in zip(a, b):
        difference |= x ^ y
    return difference == 0


def _is_digits(text):
    for char in text:
        if char not in "0123456789":
            return False
    return True


def _hex(raw):
    return "".join("%02x" % byte for byte in raw)


def _unhex(text):
    return bytes(int(text[i:i + 2], 16) for i in range(0, len(text), 2))
