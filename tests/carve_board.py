# A board for the carving tests, on the MicroPython unix port: its storage
# area is an emulated NOR flash in a file, mounted at "/" the way the board's
# frozen _boot.py does it (the whole area; formatted when it does not mount),
# then boot.py runs from it. Started with -i, so the REPL answers after.
#
#   micropython -i tests/carve_board.py ROOT FLASH_FILE BLOCKS
import sys

import vfs

sys.path.insert(0, sys.argv[1] + "/boards/pc")
import norflash  # noqa: E402

norflash.STORE = norflash.NorFlash(sys.argv[2], 4096, int(sys.argv[3]))
vfs.umount("/")
try:
    _fs = vfs.VfsLfs2(norflash.STORE)
except OSError:
    vfs.VfsLfs2.mkfs(norflash.STORE)
    _fs = vfs.VfsLfs2(norflash.STORE)
vfs.mount(_fs, "/")
try:
    with open("/boot.py") as _file:
        _boot = _file.read()
except OSError:
    _boot = None
if _boot is not None:
    try:
        exec(_boot)
    except Exception as _error:
        print("boot.py:", repr(_error))
