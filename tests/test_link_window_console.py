# The console's own Ctrl-C (micropython.kbd_intr) on a locked terminal
# follows the service window: on a USB board a 0x03 raises KeyboardInterrupt
# by itself whenever kbd_intr(3) is in force, whether the link reads it or not.
# CPython's micropython stand-in does nothing, so its kbd_intr is watched here.
import time

import micropython

from terminal import link
from terminal.link import ServiceLink, encode_command

from test_link_frames import _Bytes, _Journal

KEY = bytes(range(32))


class _StalledPc:
    """A PC that sends but never reads: every write takes nothing."""

    def write(self, buf):
        return 0


def test_the_console_is_locked_again_when_the_window_ends_while_the_pc_is_stalled(
        monkeypatch):
    ctrl_c = []
    monkeypatch.setattr(micropython, "kbd_intr", ctrl_c.append)
    rx = _Bytes()
    device = ServiceLink(rx, _StalledPc(), _Journal(3), {"terminal": "T1", "firmware": "1.0"},
                         key=KEY, locked=True)
    try:
        assert ctrl_c[-1] == -1
        link.open_service_window(20)
        assert ctrl_c[-1] == 3

        # An answer the PC never takes stays pending: the link reads no more.
        rx.data += encode_command(link.CMD_IDENTIFY, 1)
        device.poll()
        assert device.busy()

        time.sleep(0.05)
        for _ in range(3):
            device.poll()
        assert ctrl_c[-1] == -1, "the window is over, yet a Ctrl-C would still stop the app"
    finally:
        link.close_service_window()
        link.set_locked(False)


def test_an_app_started_again_in_the_same_interpreter_has_its_window_closed():
    # The unix port's loader starts a locked app again in the same
    # interpreter after an error: terminal.link's module state survives that.
    link.open_service_window()
    try:
        ServiceLink(_Bytes(), _Bytes(), _Journal(1), {"terminal": "T1", "firmware": "1.0"},
                    key=KEY, locked=True)
        assert link.service_window_ms() == 0 and not link.ctrl_c_stops_app()
    finally:
        link.close_service_window()
        link.set_locked(False)
