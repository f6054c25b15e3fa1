# CRC-32 as zlib computes it: the native path and the table fallback agree.
from terminal.crc32 import crc32, table_crc32

_SAMPLES = (b"", b"\x00", b"\xff" * 7, b"123456789", bytes(range(256)),
            b"reslip journal record" * 5)


def test_check_value_of_the_standard_string():
    assert crc32(b"123456789") == 0xCBF43926
    assert table_crc32(b"123456789") == 0xCBF43926


def test_empty_input_is_zero():
    assert crc32(b"") == 0
    assert table_crc32(b"") == 0


def test_table_fallback_matches_native():
    for sample in _SAMPLES:
        assert table_crc32(sample) == crc32(sample), sample


def test_crc_continues_over_pieces():
    whole = bytes(range(200))
    for cut in (0, 1, 13, 100, 200):
        assert crc32(whole[cut:], crc32(whole[:cut])) == crc32(whole)
        assert table_crc32(whole[cut:], table_crc32(whole[:cut])) == crc32(whole)


def test_accepts_memoryview_slices():
    data = bytearray(b"abcdefgh")
    assert crc32(memoryview(data)[2:6]) == crc32(b"cdef")


def test_matches_crcmod_and_zlib_under_cpython():
    # Pinned against two independent implementations where they exist
    # (CPython); the unix port has neither.
    try:
        import zlib
        import crcmod.predefined
    except ImportError:
        return
    reference = crcmod.predefined.mkCrcFun("crc-32")
    for sample in _SAMPLES:
        assert crc32(sample) == reference(sample) == zlib.crc32(sample)
        assert table_crc32(sample) == reference(sample)
