# PINs: digit strings, salted and hashed, compared in constant time.
from terminal.pins import PinChecker, entry_matches, make_pin_entry, new_pin_entry


def test_leading_zeros_count_and_0000_is_a_pin():
    entries = {"operator": make_pin_entry(b"salt1234", "0123"),
               "supervisor": make_pin_entry(b"salt5678", "0000")}
    checker = PinChecker(entries)
    assert checker.check("operator", "0123")
    assert not checker.check("operator", "123")
    assert not checker.check("operator", "00123")
    assert checker.check("supervisor", "0000")
    assert not checker.check("supervisor", "000")
    assert not checker.check("admin", "0000")  # no entry, no way in


def test_only_the_salted_digest_is_stored():
    entry = make_pin_entry(b"\x00\x01\x02\x03", "4321")
    salt_hex, digest_hex = entry.split(":")
    assert salt_hex == "00010203"
    assert len(digest_hex) == 64
    assert "4321" not in entry
    # The same PIN under another salt is stored differently.
    assert make_pin_entry(b"\x00\x01\x02\x04", "4321") != entry


def test_new_entries_get_fresh_salts():
    first, second = new_pin_entry("2468"), new_pin_entry("2468")
    assert first != second
    assert entry_matches(first, "2468") and entry_matches(second, "2468")
    assert not entry_matches(first, "2469")


def test_non_digit_and_empty_pins_are_refused():
    entry = make_pin_entry(b"s", "12")
    assert not entry_matches(entry, "")
    assert not entry_matches(entry, "1a")
    for bad in ("", "12a", "-1"):
        try:
            make_pin_entry(b"s", bad)
        except ValueError:
            continue
        raise AssertionError("accepted %r" % bad)


def test_malformed_entries_match_nothing():
    for entry in (None, "", "zz:00", "0011", "00:11:22"):
        assert not entry_matches(entry, "1234")
