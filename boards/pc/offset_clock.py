# The clock of the PC boards: the PC's own, moved by however much the terminal
# was set. Neither board can set the PC's clock; the difference is kept in a
# file when one is named, as a battery-backed clock would keep its time.

import time


class OffsetClock:
    def __init__(self, path=None):
        self.path = path
        self.offset = 0
        if path is not None:
            try:
                with open(path) as file:
                    self.offset = int(file.read())
            except (OSError, ValueError):
                pass

    def now(self):
        return int(time.time()) + self.offset

    def valid(self):
        return True

    def set(self, unix_seconds):
        self.offset = unix_seconds - int(time.time())
        if self.path is not None:
            with open(self.path, "w") as file:
                file.write(str(self.offset))
