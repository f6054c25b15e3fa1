# PINs against brute force on the real Terminal, Menu and settings file: five
# wrong PINs lock the role for five minutes, the lock outlives a reboot, and a
# guess one digit off costs the compare what a far one does.
from campaigns import pins as campaign
from terminal import pins


def test_five_wrong_pins_lock_and_a_reboot_keeps_the_lock(tmp_path):
    pad = campaign.Keypad(str(tmp_path))
    for guess in ("1111", "2222", "3333", "4444"):
        pad.to_idle()
        pad.type("B" + guess + "#")
    assert "1 LEFT" in "".join(pad.menu.lines)
    pad.to_idle()
    pad.type("B5555#")
    assert "PIN LOCKED" in pad.menu.lines[0]
    assert pad.role_checks("operator") == 5

    # The power goes; the terminal starts again from the same settings file.
    pad.boot()
    assert pad.terminal.pin_failures("operator") == 5
    pad.type("B")
    assert "PIN LOCKED" in pad.menu.lines[0]
    pad.type("1234#")
    assert pad.role_checks("operator") == 5  # the right PIN typed while locked: not compared

    # Five minutes from the reboot, the right PIN is taken and the count cleared.
    pad.to_idle()
    pad.wait(campaign.PIN_LOCK_MS)
    pad.to_idle()
    pad.type("B1234#")
    assert pad.terminal.pin_failures("operator") == 0
    assert "PIN" not in pad.menu.lines[0]


def test_a_brute_force_run_gets_five_guesses_per_lock():
    cases, lost, details = campaign.brute_force(300, reboot_every=11)
    assert cases >= 300 and lost == 0, details


def test_near_and_far_guesses_look_at_every_byte():
    entry = pins.make_pin_entry(b"salt", "2580")
    work = [campaign.compare_work(entry, guess)
            for guess in ("2580", "2581", "3580", "7035", "258", "25800")]
    assert [matched for matched, _ in work] == [True] + [False] * 5
    assert set(count for _, count in work) == {64}  # both 32-byte digests, whole


def test_the_count_sees_a_compare_that_stops_early(monkeypatch):
    def stops_at_first_difference(a, b):
        return len(a) == len(b) and all(x == y for x, y in zip(a, b))

    name = "same_bytes" if hasattr(pins, "same_bytes") else "_same"
    monkeypatch.setattr(pins, name, stops_at_first_difference)
    cases, lost, _ = campaign.compare_counts(20)
    assert lost > 0
