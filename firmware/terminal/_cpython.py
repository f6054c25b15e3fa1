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


# Adafruit Blinka installs a `micropython` module of its own for CPython, with
# const() but not the rest; whichever module is there gets the missing names.
try:
    import micropython
except ImportError:
    micropython = types.ModuleType("micropython")
    sys.modules["micropython"] = micropython
for _name, _value in (("const", _const), ("heap_lock", _heap_lock),
                      ("heap_unlock", _heap_unlock), ("kbd_intr", _kbd_intr)):
    if not hasattr(micropython, _name):
        setattr(micropython, _name, _value)

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
