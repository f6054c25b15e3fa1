# Power cuts during `reslip flash`. The real deploy code (host_tools/reslip/
# deploy.py, with mpremote's file writes) talks to a board whose file system
# lives in memory and keeps POSIX rules, as the board in a box does: a file
# opened for writing is emptied at once, a write cut short leaves part of its
# bytes, a rename is whole or not at all. The power goes at the n-th file
# operation (open for writing, write, close, mkdir, rename, remove), for every
# n the flash performs. Then the board's own loader (deploy.LOADER), run by the
# MicroPython unix port over a copy of that file system, must boot a version
# that is wholly the old or wholly the new one; and a flash run again after the
# cut must install the new version.
#
# A real board over a pty takes seconds a flash; hundreds of cut points make
# the in-memory board the right size here.
# TODO: the same cuts on littlefs (vfs.VfsLfs2 over the NOR emulator, in the
# unix port) would check the board's own file system rather than its rules.
import ast
import builtins
import hashlib
import io
import os
import random
import subprocess
import tempfile

from campaigns import Outcome
from mpremote.transport import Transport, TransportError, TransportExecError
from reslip import deploy
from reslip.boardbox import micropython_command

_MPY = (6, 3)  # the .mpy version the fake board says it runs


class _PowerGone(Exception):
    pass


class BoardFiles:
    """A board's file system in memory, with a power switch after n operations."""

    def __init__(self, files=None, seed=1):
        self.files = dict(files or {})  # path -> bytes
        self.folders = set()
        for path in self.files:
            self._add_parents(path)
        self.cwd = ""
        self.operations = 0
        self.cut_at = None
        self.powered = True
        self.random = random.Random(seed)

    def _add_parents(self, path):
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            self.folders.add("/".join(parts[:depth]))

    def path(self, name):
        parts = [] if name.startswith("/") else self.cwd.split("/")
        for part in name.split("/"):
            if part == "..":
                parts = parts[:-1]
            elif part not in ("", "."):
                parts.append(part)
        return "/".join(part for part in parts if part)

    def operation(self, torn=None):
        """Counts one operation; at the cut, `torn()` leaves its half-done state."""
        if not self.powered:
            raise _PowerGone()
        self.operations += 1
        if self.cut_at is not None and self.operations >= self.cut_at:
            if torn is not None:
                torn()
            self.powered = False
            raise _PowerGone()

    # What the board's code reaches as `os` and `open`.

    def stat(self, name):
        path = self.path(name)
        if path in self.files:
            return (0o100000, 0, 0, 0, 0, 0, len(self.files[path]), 0, 0, 0)
        if path in self.folders or path == "":
            return (0o040000, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        raise OSError(2, "ENOENT")

    def mkdir(self, name):
        path = self.path(name)
        if path in self.folders or path in self.files:
            raise OSError(17, "EEXIST")
        self.operation()
        self.folders.add(path)

    def rename(self, old, new):
        old, new = self.path(old), self.path(new)
        if old not in self.files:
            raise OSError(2, "ENOENT")
        self.operation()
        self.files[new] = self.files.pop(old)

    def remove(self, name):
        path = self.path(name)
        if path not in self.files:
            raise OSError(2, "ENOENT")
        self.operation()
        del self.files[path]

    def chdir(self, name):
        path = self.path(name)
        if path and path not in self.folders:
            raise OSError(2, "ENOENT")
        self.cwd = path

    def getcwd(self):
        return "/" + self.cwd

    def open(self, name, mode="r"):
        path = self.path(name)
        if "w" in mode:
            if "/" in path and path.rsplit("/", 1)[0] not in self.folders:
                raise OSError(2, "ENOENT")
            self.operation()
            self.files[path] = b""
            return _WriteFile(self, path, "b" in mode)
        if path not in self.files:
            raise OSError(2, "ENOENT")
        data = self.files[path]
        return io.BytesIO(data) if "b" in mode else io.StringIO(data.decode())


class _WriteFile:
    def __init__(self, board, path, binary):
        self.board = board
        self.path = path
        self.binary = binary

    def write(self, data):
        data = bytes(data) if self.binary else data.encode()

        def torn():
            self.board.files[self.path] += data[:self.board.random.randrange(len(data) + 1)]
        self.board.operation(torn)
        self.board.files[self.path] += data
        return len(data)

    def close(self):
        self.board.operation()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Namespace:
    def __init__(self, **names):
        self.__dict__.update(names)


class _SerialPort:
    """The USB serial port: gone (OSError) while the board has no power."""

    def __init__(self, board):
        self.board = board
        self.timeout = 1
        self.in_waiting = 0

    def write(self, data):
        if not self.board.powered:
            raise OSError(5, "EIO")
        return len(data)

    def read(self, limit=1):
        if not self.board.powered:
            raise OSError(5, "EIO")
        return b""


class FakeBoardTransport(Transport):
    """The raw REPL of a board running `board`'s files: code sent is run here,
    with `os` and `open` reaching the in-memory file system."""

    def __init__(self, board):
        self.board = board
        self.serial = _SerialPort(board)
        self.app_started = 0
        output = self.output = io.StringIO()

        def board_print(*values, **options):
            options.pop("file", None)
            print(*values, file=output, **options)

        fake_os = _Namespace(stat=board.stat, mkdir=board.mkdir, rename=board.rename,
                             remove=board.remove, chdir=board.chdir, getcwd=board.getcwd)
        fake_sys = _Namespace(platform="linux",
                              implementation=_Namespace(_mpy=_MPY[0] | _MPY[1] << 8),
                              path=[], modules={})
        modules = {"os": fake_os, "sys": fake_sys, "hashlib": hashlib}

        def board_import(name, *args):
            return modules[name] if name in modules else __import__(name, *args)

        board_builtins = dict(vars(builtins), open=board.open, print=board_print,
                              __import__=board_import)
        self.globals = {"__builtins__": board_builtins}

    def enter_raw_repl(self, soft_reset=True, timeout_overall=None):
        if not self.board.powered:
            raise TransportError("could not enter raw repl")

    def exec(self, command, data_consumer=None):
        if not self.board.powered:
            raise TransportError("no answer")
        self.output.seek(0)
        self.output.truncate()
        try:
            exec(command, self.globals)
        except _PowerGone:
            raise TransportError("the board stopped answering") from None
        except Exception as error:
            raise TransportExecError(b"", "%s: %s" % (type(error).__name__, error)) from None
        return self.output.getvalue().encode()

    def eval(self, expression, parse=True):
        return ast.literal_eval(self.exec("print(repr(%s))" % expression).decode().strip())

    def exec_raw_no_follow(self, command):
        if not self.board.powered:
            raise TransportError("no answer")
        self.app_started += 1

    def close(self):
        pass


def flash_board(board, image):
    """`reslip flash` of `image` to `board`: the real deploy steps over the fake board."""
    transport = FakeBoardTransport(board)
    saved = deploy._open, deploy._checked_image, deploy._STOP_APP_S
    deploy._open = lambda port: transport
    deploy._checked_image = lambda *args: (dict(image), _MPY)
    deploy._STOP_APP_S = 0
    try:
        return deploy.flash("fake-board", progress=lambda line: None)
    finally:
        deploy._open, deploy._checked_image, deploy._STOP_APP_S = saved


def _version(tag, chooser, shared=None):
    """A firmware version: main.py says which folder it booted from."""
    image = {"main.py": b"print('BOOT', __import__('os').getcwd())\n"}
    for name in ("board.mpy", "config.json", "gb2312.bin", "lib/terminal/app.mpy",
                 "lib/terminal/journal.mpy", "lib/terminal/menu.mpy", "lib/norflash.mpy"):
        if shared and name in shared and chooser.randrange(2):
            image[name] = shared[name]  # the same file in both versions
        else:
            size = chooser.choice((10, 700, 1024, 2100, 3000))
            image[name] = (tag.encode() + b":" + name.encode() + b";") * (size // 20 + 1)
    return image


def _slot_files(image, slot):
    return dict((slot + "/" + path, data) for path, data in image.items())


def _start_states(chooser):
    """(name, files on the board before the flash, old image, new image)."""
    v1 = _version("v1", chooser)
    v2 = _version("v2", chooser, v1)
    v3 = _version("v3", chooser, v2)
    flat = {"main.py": b"print('BOOT', 'flat')\n", "lib/terminal/app.mpy": b"old app"}
    a_active = dict(_slot_files(v1, "a"), **{"main.py": deploy.LOADER, "active": b"a\n"})
    b_active = dict(_slot_files(v1, "a"), **_slot_files(v2, "b"))
    b_active.update({"main.py": deploy.LOADER, "active": b"b\n"})
    half = dict(a_active)
    for path, data in list(_slot_files(v2, "b").items())[:3]:
        half[path] = data[:len(data) // 2]
    return [("first flash over the flat layout", flat, None, v1),
            ("update a/ -> b/", a_active, v1, v2),
            ("update b/ -> a/ over an older version", b_active, v2, v3),
            ("update after a cut left b/ half staged", half, v1, v2)]


def _boot_all(boards):
    """Which folder each board's loader boots, by the MicroPython unix port:
    'flat', 'a', 'b' or None, one per board."""
    with tempfile.TemporaryDirectory() as scratch:
        folders = []
        for number, files in enumerate(boards):
            folder = os.path.join(scratch, str(number))
            for path, data in files.items():
                target = os.path.join(folder, path)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as file:
                    file.write(data)
            os.makedirs(folder, exist_ok=True)
            folders.append(folder)
        # Each board runs whatever its root main.py is: the loader, or on the
        # flat layout the old app itself.
        script = os.path.join(scratch, "boot_all.py")
        with open(script, "w") as file:
            file.write("import os, sys\nkept = list(sys.path)\n"
                       "for folder in %r:\n"
                       "    os.chdir(folder)\n"
                       "    sys.path[:] = kept\n"
                       "    try:\n"
                       "        exec(open('main.py').read(), {'__name__': '__main__'})\n"
                       "    except Exception as error:\n"
                       "        print('BOOT FAILED', repr(error))\n"
                       "    print('END')\n" % folders)
        run = subprocess.run([micropython_command(), script], capture_output=True, text=True,
                             timeout=300)
        booted = []
        for part in run.stdout.split("END\n")[:len(boards)]:
            found = None
            for line in part.splitlines():
                if line.startswith("BOOT FAILED"):
                    found = None
                elif line.startswith("BOOT flat"):
                    found = "flat"
                elif line.startswith("BOOT "):
                    found = line.rstrip("/").rsplit("/", 1)[-1]
            booted.append(found)
        if len(booted) != len(boards):
            raise AssertionError("the loader run stopped early: %s%s"
                                 % (run.stdout[-300:], run.stderr[-500:]))
        return booted


def _whole(files, slot, image):
    prefix = "" if slot == "flat" else slot + "/"
    return all(files.get(prefix + path) == data for path, data in image.items())


def deploy_cuts(size, seed=11):
    outcome = Outcome()
    chooser = random.Random(seed)
    while outcome.cases < size:
        for name, start, old, new in _start_states(chooser):
            # The clean flash counts the operations to cut.
            clean = BoardFiles(start)
            flash_board(clean, new)
            operations = clean.operations

            cut_states, again_states, labels = [], [], []
            for cut in range(1, operations + 1):
                board = BoardFiles(start, seed=cut)
                board.cut_at = cut
                try:
                    flash_board(board, new)
                except deploy.DeployError:
                    pass
                else:
                    raise AssertionError("%s: cut %d never happened" % (name, cut))
                cut_states.append(dict(board.files))

                # The power comes back and the flash is run again.
                board.powered, board.cut_at = True, None
                flash_board(board, new)
                again_states.append(dict(board.files))
                labels.append("%s, cut %d of %d" % (name, cut, operations))

            booted = _boot_all(cut_states + again_states)
            count = len(cut_states)
            for index, label in enumerate(labels):
                files, slot = cut_states[index], booted[index]
                if slot is None:
                    failure = "nothing boots"
                elif old is None and slot == "flat":
                    failure = None if files.get("main.py") == start["main.py"] else "flat app torn"
                elif old is not None and _whole(files, slot, old):
                    failure = None
                elif _whole(files, slot, new):
                    failure = None
                else:
                    failure = "boots %s/, a mix of versions" % slot
                again = booted[count + index]
                if failure is None and (again in (None, "flat")
                                        or not _whole(again_states[index], again, new)):
                    failure = "flashing again after the cut did not install the new version"
                outcome.case(failure and label + ": " + failure)
            if outcome.cases >= size:
                break
    return outcome.result()
