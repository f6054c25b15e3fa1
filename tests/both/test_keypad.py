# The matrix scanner, fed raw pin levels from a fake keypad that behaves like
# the real wires: open-drain rows, pulled-up columns, no diodes, so held keys
# join rows and columns into one net and ghost keys appear as on hardware.
from terminal.keypad import KEYMAP_4X4, MatrixKeypad

import micropython  # after terminal, which gives CPython a stand-in


class RowPin:
    def __init__(self):
        self.level = 1

    def value(self, level=None):
        if level is None:
            return self.level
        self.level = level


class ColumnPin:
    def __init__(self, matrix, col):
        self.matrix = matrix
        self.col = col

    def value(self, level=None):
        return 0 if self.matrix.pulled_low(self.col) else 1


class FakeMatrix:
    """Keys held are (row, col) pairs; a column reads low when some path of
    held keys joins it to a row being pulled low."""

    def __init__(self):
        self.rows = [RowPin() for _ in range(4)]
        self.cols = [ColumnPin(self, col) for col in range(4)]
        self.held = set()

    def hold(self, keys):
        self.held = set(position(key) for key in keys)

    def pulled_low(self, col):
        reached_cols = {col}
        reached_rows = set()
        grew = True
        while grew:
            grew = False
            for row, key_col in self.held:
                if key_col in reached_cols and row not in reached_rows:
                    reached_rows.add(row)
                    grew = True
                if row in reached_rows and key_col not in reached_cols:
                    reached_cols.add(key_col)
                    grew = True
        for row in reached_rows:
            if self.rows[row].level == 0:
                return True
        return False


def position(key):
    index = KEYMAP_4X4.index(key)
    return (index // 4, index % 4)


def drive(timeline, step_ms=1, **options):
    """Play (duration_ms, keys held) pieces, one scan() per step; returns
    the keys reported, with the time each came."""
    matrix = FakeMatrix()
    keypad = MatrixKeypad(matrix.rows, matrix.cols, **options)
    reported = []
    now_ms = 0
    for duration_ms, keys in timeline:
        matrix.hold(keys)
        for _ in range(duration_ms // step_ms):
            key = keypad.scan(now_ms)
            if key is not None:
                reported.append((key, now_ms))
            now_ms += step_ms
    return reported


def keys_of(reported):
    return "".join(key for key, _ in reported)


def bouncing(keys, duration_ms):
    """Contacts chattering every millisecond or two."""
    pieces = []
    for step in range(duration_ms // 2):
        pieces.append((1 if step % 3 else 2, keys if step % 2 else ""))
    return pieces


def test_fake_matrix_shows_a_ghost_like_real_wires():
    matrix = FakeMatrix()
    matrix.hold("124")  # corners (0,0) (0,1) (1,0); the fourth is "5" at (1,1)
    matrix.rows[1].level = 0
    assert matrix.pulled_low(1)  # row 1 reads column 1: the ghost "5"


def test_one_clean_press_gives_one_key():
    reported = drive([(50, ""), (80, "5"), (50, "")])
    assert keys_of(reported) == "5"
    # Reported once the picture held for the debounce window, not before.
    assert 50 + 20 <= reported[0][1] <= 50 + 20 + 8


def test_every_key_of_the_map_reads_back():
    timeline = []
    for key in KEYMAP_4X4:
        timeline += [(60, key), (60, "")]
    assert keys_of(drive(timeline)) == KEYMAP_4X4


def test_bounce_on_press_and_release_gives_one_key():
    timeline = [(30, "")] + bouncing("7", 12) + [(100, "7")] + bouncing("7", 12) + [(60, "")]
    assert keys_of(drive(timeline)) == "7"


def test_a_short_glitch_gives_no_key():
    assert keys_of(drive([(30, ""), (12, "3"), (60, "")])) == ""


def test_a_longer_window_needs_a_longer_press():
    assert keys_of(drive([(30, ""), (35, "3"), (60, "")], debounce_ms=50)) == ""
    assert keys_of(drive([(30, ""), (70, "3"), (60, "")], debounce_ms=50)) == "3"


def test_long_hold_of_a_digit_does_not_repeat():
    assert keys_of(drive([(20, ""), (3000, "8"), (50, "")])) == "8"


def test_long_hold_of_delete_repeats():
    reported = drive([(20, ""), (1500, "D"), (50, "")])
    assert keys_of(reported)[0] == "D"
    assert set(keys_of(reported)) == {"D"}
    assert 4 <= len(reported) <= 8
    # Nothing repeats before the delay.
    assert reported[1][1] - reported[0][1] >= 500


def test_no_repeat_when_told_so():
    assert keys_of(drive([(20, ""), (1500, "D"), (50, "")], repeat_keys="")) == "D"


def test_rollover_reports_the_second_key():
    reported = drive([(20, ""), (60, "1"), (60, "12"), (60, "2"), (60, "")])
    assert keys_of(reported) == "12"


def test_two_keys_pressed_together_give_both_once():
    reported = drive([(20, ""), (100, "3C"), (40, "")])
    assert sorted(keys_of(reported)) == ["3", "C"]


def test_three_corners_one_after_another_never_give_the_fourth():
    reported = drive([(20, ""), (60, "1"), (60, "12"), (60, "124"), (200, "124"),
                      (60, "12"), (60, "")])
    assert "5" not in keys_of(reported)
    assert keys_of(reported) == "12"


def test_three_corners_at_once_give_nothing():
    for corners in ("124", "AD#", "137"):
        reported = drive([(20, ""), (100, corners), (60, "")])
        assert keys_of(reported) == "", corners


def test_a_key_behind_a_ghost_is_not_reported_late():
    # "4" came with the ghost; when "1" lets go, "4" is still held but it
    # was never certain, so it stays unreported.
    reported = drive([(20, ""), (60, "12"), (100, "124"), (100, "24"), (60, "")])
    assert keys_of(reported) == "12"


def test_keys_in_one_row_or_one_column_are_no_ghost():
    assert sorted(keys_of(drive([(20, ""), (60, "19*"), (40, "")]))) == ["*", "1", "9"]
    assert sorted(keys_of(drive([(20, ""), (60, "123"), (40, "")]))) == ["1", "2", "3"]
    assert sorted(keys_of(drive([(20, ""), (60, "147"), (40, "")]))) == ["1", "4", "7"]


def test_a_wrong_keymap_is_refused():
    matrix = FakeMatrix()
    try:
        MatrixKeypad(matrix.rows, matrix.cols, keymap="123")
    except ValueError:
        return
    raise AssertionError("a 3-key map was taken for 16 crossings")


class StillColumn:
    """A column pin that reads without allocating: low while its row is selected."""

    def __init__(self, row_pin):
        self.row_pin = row_pin

    def value(self, level=None):
        return self.row_pin.level


def test_scan_allocates_nothing():
    rows = [RowPin() for _ in range(4)]
    cols = [StillColumn(rows[2]), RowPin(), RowPin(), RowPin()]  # "7" held
    keypad = MatrixKeypad(rows, cols)
    reported = []
    micropython.heap_lock()
    try:
        for now_ms in range(200):
            key = keypad.scan(now_ms)
            if key is not None:
                reported.append(key)  # MicroPython's heap lock makes this
                break                 # raise if scan() had to allocate first
    finally:
        micropython.heap_unlock()
    assert reported == ["7"]
