"""Carving again a board that was carved before (its layout file lost, or its
file system damaged so that the stub's fallback mounted) must not erase the
journal's region: it may hold sales no PC has pulled yet, and the firmware,
which refuses to start without the layout, tells the technician to run
`reslip flash`."""
import os

from conftest import ROOT
from reslip import carve
from test_carve_host import _FLASH, _connect, _expected, _prepare, _put_files, _state
from test_carve_host import board  # noqa: F401  the fixture

_APPEND = (
    "import sys, vfs\n"
    "vfs.mount(vfs.VfsPosix(%r), '/pc')\n"
    "sys.path.insert(0, '/pc')\n"
    "from terminal import carve as _c, journal as _j\n"
    "_journal = _j.Journal(_c.journal_region(__import__('norflash').STORE)).mount()\n"
    "for _n in range(3):\n"
    "    _journal.append(b'sale %%d' %% _n)\n"
    "vfs.umount('/pc')\n"
    "__import__('os').remove('/reslip-layout.json')\n")


def test_carving_again_keeps_a_journal_already_in_its_region(board, tmp_path,  # noqa: F811
                                                             monkeypatch):
    # Both carvings within one second: the PC's copies must not collide.
    monkeypatch.setattr(carve.time, "strftime", lambda layout: "20260101-000000")
    _put_files(board.port)
    assert _prepare(board.port, tmp_path / "backups") is True
    board.power_off()
    board.power_on()

    # Three sales, then the layout file is lost.
    transport = _connect(board.port)
    try:
        transport.exec(_APPEND % os.path.join(ROOT, "firmware"))
    finally:
        transport.close()

    lines = []
    assert _prepare(board.port, tmp_path / "backups", lines.append) is True
    board.power_off()
    board.power_on()
    found, blocks, records = _state(board.port)
    assert found == _expected()
    assert blocks == 96 - 2 - _FLASH["journal_blocks"]
    assert records == 3, "carving again erased the journal"
    assert any("kept" in line and "journal" in line for line in lines)
    assert len(os.listdir(tmp_path / "backups")) == 2
