# A 4x4 matrix keypad scanned a row at a time, without blocking.
#
# Wiring: each row pin pulls its row low when selected and lets it go high
# otherwise; open-drain rows (Pin.OPEN_DRAIN) keep two keys in one column
# from shorting a high row to a low one. Column pins are inputs with pull-ups,
# so a column reads 0 when a key joins it to the selected row.
#
# Each scan() call reads the columns of the row selected on the call before
# (the lines have had a whole loop to settle), then selects the next row.
# After a sweep of all rows the picture of pressed keys is debounced: it must
# stay the same for debounce_ms before it counts.
#
# Ghost keys: without diodes, three keys held at three corners of a rectangle
# join the fourth corner's row and column too, so four keys read as pressed
# and nobody can tell which three are real. Such a picture reports nothing;
# its keys count as held (and so are never reported) until released.
#
# scan() allocates nothing: bit masks are small ints and the key names are
# made once in __init__.

from micropython import const
import time

KEYMAP_4X4 = "123A456B789C*0#D"

_REPEAT_DELAY_MS = const(600)
_REPEAT_EVERY_MS = const(150)


class MatrixKeypad:
    def __init__(self, rows, cols, debounce_ms=20, keymap=KEYMAP_4X4, repeat_keys="D"):
        """`rows` and `cols` are pin-like objects with value() and value(v);
        `keymap` names the keys row by row. Holding a key in `repeat_keys`
        repeats it (deleting a whole field); other keys never repeat."""
        if len(keymap) != len(rows) * len(cols):
            raise ValueError("keymap needs one key per crossing")
        if len(keymap) > 30:
            raise ValueError("at most 30 keys")
        self._rows = rows
        self._cols = cols
        self._keys = tuple(keymap)
        self._debounce_ms = debounce_ms
        self._column_mask = (1 << len(cols)) - 1

        # Which keys may repeat, as a bit mask like the pictures.
        self._repeat_mask = 0
        for index in range(len(keymap)):
            if keymap[index] in repeat_keys:
                self._repeat_mask |= 1 << index

        self._row = 0
        self._sweep = 0            # keys seen so far in this sweep
        self._candidate = 0        # the last whole sweep
        self._candidate_since_ms = 0
        self._held = 0             # the debounced picture
        self._unreported = 0       # pressed, waiting for their scan() to return them
        self._repeating = 0        # the one held key that repeats, if any
        self._repeat_at_ms = 0

        for pin in rows:
            pin.value(1)
        rows[0].value(0)

    def scan(self, now_ms):
        """One scan step; returns a newly pressed key ("0"-"9", "*", "#",
        "A"-"D") or None."""
        # Read the columns of the row selected on the last call.
        row = self._row
        base = row * len(self._cols)
        cols = self._cols
        for col in range(len(cols)):
            if not cols[col].value():
                self._sweep |= 1 << (base + col)

        # Select the next row, so its lines settle until the next call.
        self._rows[row].value(1)
        row = row + 1 if row + 1 < len(self._rows) else 0
        self._rows[row].value(0)
        self._row = row

        if row == 0:
            self._settle(self._sweep, now_ms)
            self._sweep = 0
        return self._next_key(now_ms)

    def _settle(self, picture, now_ms):
        # Any change starts the stable window again.
        if picture != self._candidate:
            self._candidate = picture
            self._candidate_since_ms = now_ms
            return
        if picture == self._held:
            return
        if time.ticks_diff(now_ms, self._candidate_since_ms) < self._debounce_ms:
            return

        if self._ghosted(picture):
            self._unreported = 0
        else:
            self._unreported |= picture & ~self._held
        self._held = picture

        # A repeat runs only while its key is the one key held.
        if picture != self._repeating:
            self._repeating = 0

    def _ghosted(self, picture):
        # Two rows sharing two or more columns form a rectangle.
        width = len(self._cols)
        for upper in range(len(self._rows)):
            upper_cols = (picture >> (upper * width)) & self._column_mask
            if (upper_cols & (upper_cols - 1)) == 0:
                continue  # fewer than two keys in this row
            for lower in range(upper + 1, len(self._rows)):
                shared = upper_cols & (picture >> (lower * width)) & self._column_mask
                if shared & (shared - 1):  # two or more shared columns
                    return True
        return False

    def _next_key(self, now_ms):
        if self._unreported:
            index = 0
            while not self._unreported & (1 << index):
                index += 1
            bit = 1 << index
            self._unreported &= ~bit
            if bit & self._repeat_mask and self._held == bit:
                self._repeating = bit
                self._repeat_at_ms = time.ticks_add(now_ms, _REPEAT_DELAY_MS)
            return self._keys[index]

        if self._repeating and time.ticks_diff(now_ms, self._repeat_at_ms) >= 0:
            self._repeat_at_ms = time.ticks_add(now_ms, _REPEAT_EVERY_MS)
            index = 0
            while not self._repeating & (1 << index):
                index += 1
            return self._keys[index]
        return None
