# Key files as a technician's editor may leave them: a UTF-8 byte order mark
# and Windows line ends (Notepad) are read, and a file that is not text at all
# is named for what it is, not by a codec's error message.
import os

import pytest

from reslip.link import LinkError, read_key_file

KEY = os.urandom(32)


def test_a_key_file_saved_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "till.key"
    path.write_bytes(b"\xef\xbb\xbf" + KEY.hex().encode() + b"\r\n")
    assert read_key_file(str(path)) == KEY


def test_a_key_file_that_is_not_text_says_it_holds_no_key(tmp_path):
    path = tmp_path / "till.key"
    path.write_bytes(b"\xff\xfe" + KEY)
    with pytest.raises(LinkError) as refused:
        read_key_file(str(path))
    assert str(refused.value) == ("the key file %s does not hold a link key (64 hex digits)"
                                  % path)


def test_a_new_key_file_gets_its_folder_and_is_for_its_owner_only(tmp_path):
    from reslip.link import make_key_file

    path = tmp_path / "keys" / "till1.key"
    key = make_key_file(str(path))
    assert read_key_file(str(path)) == key
    assert os.stat(path).st_mode & 0o777 == 0o600
    with pytest.raises(LinkError):
        make_key_file(str(path))  # never overwritten
