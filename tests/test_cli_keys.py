# The keys `reslip board keys` takes from the command line.
import pytest

from reslip.cli import keypad_keys
from reslip.errors import ReslipError


def test_keys_are_taken_with_spaces_ignored_and_letters_in_either_case():
    assert keypad_keys(["a 12*5", "# 1 #"]) == "A12*5#1#"


def test_a_key_not_on_the_keypad_is_named_as_it_was_typed():
    with pytest.raises(ReslipError) as refused:
        keypad_keys(["A 12x #"])
    assert str(refused.value).startswith("x: not on the keypad")


def test_no_keys_at_all_shows_an_example():
    with pytest.raises(ReslipError) as refused:
        keypad_keys([" "])
    assert "e.g. reslip board keys" in str(refused.value)
