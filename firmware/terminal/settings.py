# Settings that survive a reboot: the board's config.json underneath, the
# changes made at the terminal on top, in a file of their own.
#
# config.json is what was deployed and is never written by the firmware; a
# change made from the keypad (a PIN, the number of copies, a PIN lock count)
# goes to the changes file, which is written whole to a new file and then
# renamed over the old one, so a power cut leaves either the old changes or the
# new ones, never half a file. A changes file that cannot be read counts as no
# changes: the terminal starts from config.json rather than not at all.

import json
import os


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
        """Several settings in one write."""
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
        for name in self.base:
            self.values[name] = self.base[name]
        for name in self.changes:
            self.values[name] = self.changes[name]

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
