"""Setting up a real board's flash for the journal, as part of `reslip flash`.

The board's storage area is carved into a smaller file system and the
journal's region (firmware/terminal/carve.py says how, and why a stub file
system boots in front of the real one). The board's files survive:

 1. every file is copied to the PC and checked against its SHA-256 on the
    board; the copy is marked complete only then;
 2. the board makes its real file system anew, smaller;
 3. the PC puts every file back and checks each again;
 4. the board erases the journal's region, writes the stub, and records the
    layout, the last step: a board with the layout file is carved.

A cut (power, cable, Ctrl-C) anywhere leaves a board that boots to its REPL;
running flash again carves again from the copy kept on the PC (a complete
copy is never taken again from a board that may be half carved). Once carving
is complete the copy is renamed, never deleted: it holds a shop's files.
"""

import ast
import hashlib
import json
import os
import shutil
import time

from reslip.errors import ReslipError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_CARVE_SOURCE = os.path.join(ROOT, "firmware", "terminal", "carve.py")

DEFAULT_BACKUPS = os.path.join(os.path.expanduser("~"), ".reslip", "board-files")
_COMPLETE = "complete.json"
_STUB_MOUNT = "/reslip-stub"


class CarveError(ReslipError):
    pass


def board_flash(board_name):
    """FLASH from boards/<board>/board.py: {"store", "progsize", "journal_blocks"},
    or None for a board whose journal is not carved from its storage area."""
    path = os.path.join(ROOT, "boards", board_name, "board.py")
    with open(path) as file:
        tree = ast.parse(file.read(), path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "FLASH" for target in node.targets):
            return ast.literal_eval(node.value)
    return None


# Walks the board's file system from the root: [(path, size, sha256 hex)].
_LIST_FILES = """
import os, hashlib
def _walk(folder, out):
    for entry in os.ilistdir(folder or '/'):
        path = folder + '/' + entry[0]
        if entry[1] == 0x4000:
            _walk(path, out)
        else:
            d = hashlib.sha256()
            b = bytearray(1024)
            with open(path, 'rb') as f:
                while True:
                    n = f.readinto(b)
                    if not n:
                        break
                    d.update(b[:n])
            out.append((path, os.stat(path)[6], ''.join('%02x' % x for x in d.digest())))
    return out
print(repr(_walk('', [])))
"""


def prepare(transport, board_name, progress=print, backups=DEFAULT_BACKUPS, flash=None):
    """Carves the board on `transport` (in its raw REPL) unless it is carved
    already; returns True when it carved, False when nothing was to be done.
    flash replaces the board's FLASH settings (tests)."""
    flash = flash or board_flash(board_name)
    if flash is None:
        return False

    with open(_CARVE_SOURCE) as file:
        transport.exec(file.read())
    transport.exec("import os\n_store = %s\n_layout = plan(_store.ioctl(4, 0), %d)"
                   % (flash["store"], flash["journal_blocks"]))
    found = _eval(transport, "[is_carved(_layout, '/'), read_layout('/'), _layout]")
    carved, recorded, layout = found
    if carved:
        progress("  flash layout in place: file system %d blocks, journal %d blocks"
                 % (layout["fs_blocks"], layout["journal_blocks"]))
        return False
    if recorded is not None and recorded.get("journal_blocks") != layout["journal_blocks"]:
        raise CarveError("the journal's region on this board has %s blocks, not %d: changing "
                         "it would lose the journal" % (recorded.get("journal_blocks"),
                                                        layout["journal_blocks"]))

    backup = os.path.join(backups, _board_id(transport))
    files = _backup(transport, backup, progress)

    progress("  making the file system anew: %d blocks, %d for the journal"
             % (layout["fs_blocks"], layout["journal_blocks"]))
    progsize = flash["progsize"]
    transport.exec("make_file_system(_store, _layout, '/', %r)\nos.chdir('/')" % progsize)
    _restore(transport, backup, files, progress)

    options = "" if progsize is None else ",progsize=%d" % progsize
    if _eval(transport, "holds_journal(_store, _layout)"):
        # Carved before (its layout file lost, or its file system damaged):
        # the journal may hold sales no PC has pulled yet.
        progress("  the journal's region already holds a journal: kept; writing the boot stub")
    else:
        progress("  erasing the journal's region and writing the boot stub")
        transport.exec("erase_journal(_store, _layout)")
    transport.exec("write_stub(_store, stub_files(boot_source(%r, _layout, '/', %r), '/'), "
                   "%r, %r)" % (flash["store"], options, _STUB_MOUNT, progsize))
    transport.exec("write_layout(_layout, '/')")

    # A name of its own even for a second carving within the same second.
    stamped = "%s-carved-%s" % (backup, time.strftime("%Y%m%d-%H%M%S"))
    done, again = stamped, 1
    while os.path.exists(done):
        again += 1
        done = "%s-%d" % (stamped, again)
    os.rename(backup, done)
    progress("  carved; the board's files as they were are kept in %s" % done)
    return True


def _eval(transport, expression):
    out = transport.exec("import json\nprint(json.dumps(%s))" % expression)
    return json.loads(out.decode().strip())


def _board_id(transport):
    # One copy folder per board, so that a rerun finds its own.
    return _eval(transport, "(lambda m: ''.join('%02x' % x for x in m.unique_id()) if "
                            "hasattr(m, 'unique_id') else 'board')(__import__('machine'))")


def _backup(transport, backup, progress):
    """[(path, size, sha256)] of the board's files, copied into backup/files
    unless a complete copy from an earlier, cut run is there."""
    complete = os.path.join(backup, _COMPLETE)
    if os.path.exists(complete):
        with open(complete) as file:
            files = json.load(file)
        progress("  using the copy of the board's files kept by an earlier run (%d files, %s)"
                 % (len(files), backup))
        return files

    shutil.rmtree(backup, ignore_errors=True)
    found = ast.literal_eval(transport.exec(_LIST_FILES).decode().strip())
    progress("  copying the board's %d files to %s" % (len(found), backup))
    for path, size, digest in found:
        data = transport.fs_readfile(path, chunk_size=1024)
        if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
            raise CarveError("%s did not read back the same from the board; nothing changed "
                             "on it" % path)
        local = os.path.join(backup, "files", path.lstrip("/"))
        os.makedirs(os.path.dirname(local), exist_ok=True)
        with open(local, "wb") as file:
            file.write(data)

    files = [list(entry) for entry in found]
    with open(complete + ".new", "w") as file:
        json.dump(files, file)
    os.replace(complete + ".new", complete)
    return files


def _restore(transport, backup, files, progress):
    progress("  putting %d files back" % len(files))
    folders = []
    for path, _, _ in files:
        parts = path.strip("/").split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/" + "/".join(parts[:depth])
            if folder not in folders:
                folders.append(folder)
    for folder in folders:
        transport.exec("try:\n os.mkdir(%r)\nexcept OSError:\n pass" % folder)
    for path, _, _ in files:
        with open(os.path.join(backup, "files", path.lstrip("/")), "rb") as file:
            transport.fs_writefile(path, file.read(), chunk_size=1024)

    found = ast.literal_eval(transport.exec(_LIST_FILES).decode().strip())
    on_board = {path: digest for path, _, digest in found}
    wrong = [path for path, _, digest in files if on_board.get(path) != digest]
    if wrong:
        raise CarveError("%s not put back whole; run flash again: it starts from the copy "
                         "in %s" % (", ".join(wrong), backup))
