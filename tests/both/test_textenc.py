# Printer text encoding gives the same bytes under CPython and MicroPython.
#
# The GB2312 table is built on the PC into <repo>/build/gb2312.bin
# (python -m reslip.tables); the expected bytes below are GB2312 itself.
import sys

from scratch import scratch_path
from terminal.textenc import TextEncoder


def table_path():
    for entry in sys.path:
        if entry.endswith("tests/both"):
            path = entry[:-len("tests/both")] + "build/gb2312.bin"
            try:
                open(path, "rb").close()
            except OSError:
                raise AssertionError("no GB2312 table at %s: run python -m reslip.tables" % path)
            return path
    raise AssertionError("tests/both is not on sys.path")


def test_ascii_passes_through_unchanged():
    text = "VOUCHER NO. 000123 / CNY 1,234.50"
    assert TextEncoder().encode(text) == bytes(ord(char) for char in text)
    assert TextEncoder(table_path()).encode(text) == bytes(ord(char) for char in text)


def test_control_characters_never_reach_the_printer():
    assert TextEncoder().encode("a\x1b@\nb\x7f") == b"a?@?b?"


def test_cp437_latin_letters():
    assert TextEncoder().encode("Café Ünal ñ £") == b"Caf\x82 \x9anal \xa4 \x9c"


def test_cp858_has_the_euro_sign_cp437_lacks():
    assert TextEncoder(code_page="cp858").encode("€5") == b"\xd55"
    assert TextEncoder().encode("€5") == b"?5"


def test_gb2312_bytes_of_the_reprint_mark():
    encoder = TextEncoder(table_path())
    assert encoder.chinese
    assert encoder.encode("重打印凭证") == b"\xd6\xd8\xb4\xf2\xd3\xa1\xc6\xbe\xd6\xa4"
    assert encoder.encode("商户 OK") == b"\xc9\xcc\xbb\xa7 OK"


def test_gb2312_table_edges_and_block_boundaries():
    encoder = TextEncoder(table_path())
    assert encoder.encode("¤") == b"\xa1\xe8"  # the lowest code point in the table
    assert encoder.encode("￥") == b"\xa3\xa4"  # the highest
    assert encoder.encode("εζ") == b"\xa6\xc5\xa6\xc6"  # last of one block, first of the next
    assert encoder.encode("é") == b"\xa8\xa6"


def test_unmappable_characters_become_question_marks():
    chinese = TextEncoder(table_path())
    assert chinese.encode("€ 😀 ア") == b"? ? \xa5\xa2"  # katakana is in GB2312
    assert chinese.encode("\u00a3") == b"?"
    latin = TextEncoder()
    assert latin.encode("重打印") == b"???"


def test_width_counts_two_columns_per_chinese_character():
    assert TextEncoder(table_path()).width("金额 AMOUNT") == 11
    assert TextEncoder().width("金额 AMOUNT") == 9


def test_missing_table_is_reported_not_raised():
    encoder = TextEncoder(scratch_path("absent.bin"))
    assert encoder.problem == "GB2312 TABLE MISSING"
    assert not encoder.chinese
    assert encoder.encode("证A") == b"?A"


def test_damaged_table_is_reported():
    path = scratch_path("damaged.bin")
    with open(path, "wb") as out:
        out.write(b"RSGB\x07")
    encoder = TextEncoder(path)
    assert encoder.problem == "GB2312 TABLE DAMAGED"
    assert encoder.encode("证") == b"?"
