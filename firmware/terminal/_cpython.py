# The few MicroPython names the firmware uses, for CPython. Never deployed.
import sys
import time
import types


def _const(value):
    return value


def _heap_lock():
    return 0


def _heap_unlock():
    return 0


def _kbd_intr(char):
    pass


micropython = types.ModuleType("micropython")
micropython.const = _const
micropython.heap_lock = _heap_lock
micropython.heap_unlock = _heap_unlock
micropython.kbd_intr = _kbd_intr
sys.modules.setdefault("micropython", micropython)

_TICKS_PERIOD = 1 << 30


def _ticks_ms():
    return int(time.monotonic() * 1000) & (_TICKS_PERIOD - 1)


def _ticks_add(ticks, delta):
    return (ticks + delta) & (_TICKS_PERIOD - 1)


def _ticks_diff(end, start):
    diff = (end - start) & (_TICKS_PERIOD - 1)
    return diff - _TICKS_PERIOD if diff >= _TICKS_PERIOD // 2 else diff


def _sleep_ms(ms):
    time.sleep(ms / 1000)


for _name, _value in (("ticks_ms", _ticks_ms), ("ticks_add", _ticks_add),
                      ("ticks_diff", _ticks_diff), ("sleep_ms", _sleep_ms)):
    if not hasattr(time, _name):
        setattr(time, _name, _value)
