"""`reslip provision`: give a terminal its service-link key, and lock its
console for production if asked.

The key is 32 random bytes. The PC keeps it in a key file (64 hex digits,
readable by its owner only), one per terminal; the terminal keeps it in its
own settings file at the root of its filesystem (`link_key`), which a deploy
leaves alone. `link_locked` in the same file locks the console: Ctrl-C stops
the app, and the REPL answers, only while the service window is open.

Provisioning goes through the raw REPL with the app stopped, so a terminal
already locked needs its service window opened at the keypad first.
"""

import collections
import os

import serial

from reslip.errors import ReslipError
from reslip.link import HostLink, LinkError, make_key_file, read_key_file

__all__ = ["provision", "Provisioned"]

_BAUD_RATE = 115200
_READ_TIMEOUT_S = 0.05
_START_RETRIES = 20

# Runs on the board from its installed version's folder: the settings go
# through the firmware's own Settings, written whole and renamed.
_SET_ON_BOARD = """
import sys
if 'lib' not in sys.path:
    sys.path.append('lib')
import board
from terminal.settings import Settings
_board = board.Board()
_path = getattr(_board, 'settings_path', None)
if _path is None:
    print('NO-SETTINGS-FILE')
else:
    Settings(_board.settings, _path).update(%(changes)r)
    print('PROVISIONED')
"""


class Provisioned(collections.namedtuple("Provisioned", (
        "terminal", "key_path", "new_key", "locked"))):
    """What provisioning did: new_key is True when the key file was made now."""

    def __str__(self):
        lines = ["terminal %s: link key set from %s%s" % (
            self.terminal, self.key_path, " (a new key, written there now)" if self.new_key
            else "")]
        lines.append("keep that file safe: pull and sale need it (--key-file %s, or "
                     "RESLIP_KEY_FILE=%s)" % (self.key_path, self.key_path))
        if self.locked:
            lines.append("console locked: Ctrl-C and the REPL answer only while the service "
                         "window is open (keypad: admin menu, 8 SERVICE WINDOW)")
        else:
            lines.append("console not locked: Ctrl-C stops the app (reslip provision --lock "
                         "for production)")
        return "\n".join(lines)


def provision(port, key_path, lock=None, timeout_s=1.0):
    """Sets the link key kept in key_path (a new random one when the file does
    not exist) on the terminal on `port`; lock True locks its console, False
    unlocks it, None leaves it as it is. Checks the result over the service
    link with the key; returns a Provisioned."""
    from reslip.deploy import run_on_board

    new_key = not os.path.exists(key_path)
    try:
        key = make_key_file(key_path) if new_key else read_key_file(key_path)
    except LinkError as error:
        raise ReslipError(str(error)) from None

    changes = {"link_key": key.hex()}
    if lock is not None:
        changes["link_locked"] = bool(lock)
    out = run_on_board(port, _SET_ON_BOARD % {"changes": changes})
    if b"NO-SETTINGS-FILE" in out:
        raise ReslipError("this board keeps no settings file of its own: put link_key (and "
                          "link_locked) in its config.json and flash it with --config")
    if b"PROVISIONED" not in out:
        raise ReslipError("the board did not confirm the new settings: %s"
                          % out.decode("utf-8", "replace").strip())

    # The app started again with the new settings: prove the key to it.
    try:
        with serial.serial_for_url(port, baudrate=_BAUD_RATE, timeout=_READ_TIMEOUT_S) as line:
            # The app takes a few seconds to start on a busy or small board.
            link = HostLink(line, timeout_s=timeout_s, retries=_START_RETRIES, key=key)
            identity = link.identify()
            link.end_session()
    except (LinkError, serial.SerialException, OSError) as error:
        raise ReslipError("the key was written, but the terminal's app did not prove it back "
                          "(%s); run provision again" % error) from None
    if not identity.key_set:
        raise ReslipError("the key was written, but the terminal's app runs without one: is "
                          "its firmware older than this tool? run `reslip flash` first")
    return Provisioned(identity.terminal, key_path, new_key, identity.locked)
