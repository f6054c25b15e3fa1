# Settings that survive a reboot: the board's config.json underneath, the
# changes made at the terminal on top, in a file of their own.
#
# config.json is what was deployed and is never written by the firmware; a
# change made from the keypad (a PIN, the number of copies, a PIN lock count)
# goes to the changes file, which is written whole to a new file and then
# renamed over the old one, so a power cut leaves either the old changes or the
# new ones, never half a file. A changes file that cannot be read counts as no
# changes: the terminal starts from config.json rather than not at all.
#
# A value of the wrong kind (copies "2", an unknown printer, a density of 9)
# is set aside, in config.json and in the changes alike: the terminal then
# works with its built-in default for that setting, and `rejected` names what
# was set aside so the idle screen can say so.

import json
import os


def _is_int(low, high):
    return lambda value: type(value) is int and low <= value <= high


def _is_text(value):
    return isinstance(value, str)


def _one_of(*choices):
    return lambda value: value in choices


def _is_currency(value):
    if not isinstance(value, str) or len(value) != 3:
        return False
    for char in value:
        if not "A" <= char <= "Z":
            return False
    return True


def _is_table(value):
    # PIN entries and the like: names to text or to counts.
    if not isinstance(value, dict):
        return False
    for name in value:
        if not isinstance(name, str) or not isinstance(value[name], (str, int)):
            return False
    return True


def _is_printer(value):
    from terminal.escpos import PROFILES
    return value in PROFILES


def _is_code_page(value):
    from terminal.textenc import code_page_names
    return value in code_page_names()


_CHECKS = {
    "merchant_name": _is_text,
    "merchant_no": _is_text,
    "terminal_no": _is_text,
    "currency": _is_currency,
    "width": _one_of(32, 48),
    "language": _one_of("en", "zh"),
    "copies": _is_int(1, 3),
    "density": _is_int(1, 5),
    "printer": _is_printer,
    "printer_baud": _one_of(9600, 19200, 38400, 57600, 115200),
    "code_page": _is_code_page,
    "journal_policy": _one_of("refuse", "overwrite"),
    "journal_near_full_percent": _is_int(1, 99),
    "export_warn_records": _is_int(1, 1 << 30),
    "training": _one_of(True, False),
    "pins": _is_table,
    "operators": _is_table,
    "pin_failures": _is_table,
}


def valid(name, value):
    """Whether `value` may stand for setting `name`; names we do not know pass."""
    check = _CHECKS.get(name)
    return check is None or check(value)


class Settings:
    """config.json (`base`, a dict) with the changes kept in `path` layered over it.

    `values` is the merged dict, what slips and the printer read; it is the
    same object for the life of the Settings, updated in place by set().
    `path` None keeps changes in RAM only (tests, boards without a filesystem).
    """

    def __init__(self, base, path=None):
        self.base = base
        self.path = path
        self.changes = self._load()
        self.values = {}
        self.rejected = []
        self._merge()

    def get(self, name, default=None):
        return self.values.get(name, default)

    def __contains__(self, name):
        return name in self.values

    def set(self, name, value):
        """Changes one setting and writes the changes file; a value equal to
        config.json's drops the change."""
        self.update({name: value})

    def update(self, changes):
        """Several settings in one write; raises ValueError for a value that
        cannot stand for its setting, and then changes nothing."""
        for name in changes:
            if not valid(name, changes[name]):
                raise ValueError("bad value for %s" % name)
        for name in changes:
            value = changes[name]
            if name in self.base and self.base[name] == value:
                self.changes.pop(name, None)
            else:
                self.changes[name] = value
        self._merge()
        self._save()

    def _merge(self):
        # In place, so every holder of `values` sees the change.
        self.values.clear()
        del self.rejected[:]
        for layer in (self.base, self.changes):
            for name in layer:
                if valid(name, layer[name]):
                    self.values[name] = layer[name]
                elif name not in self.rejected:
                    self.rejected.append(name)

    def _load(self):
        if self.path is None:
            return {}
        # The ".new" file counts only when the changes file is gone: then it
        # was written whole and the cut came between removing and renaming.
        for path in (self.path, self.path + ".new"):
            try:
                with open(path) as file:
                    changes = json.load(file)
            except OSError:
                continue
            except ValueError:
                return {}
            return changes if isinstance(changes, dict) else {}
        return {}

    def _save(self):
        if self.path is None:
            return
        fresh = self.path + ".new"
        with open(fresh, "w") as file:
            json.dump(self.changes, file)
        # Some filesystems will not rename over a file; then the old one goes
        # first, and a cut between the two leaves only the ".new" file, which
        # _load reads in its place.
        try:
            os.rename(fresh, self.path)
        except OSError:
            try:
                os.remove(self.path)
            except OSError:
                pass
            os.rename(fresh, self.path)
