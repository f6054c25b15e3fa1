# The terminal's firmware: the same modules run on a board, inside the
# MicroPython unix port, and under CPython for simulation and tests.
import sys

if sys.implementation.name != "micropython":
    from terminal import _cpython  # noqa: F401  gives CPython the MicroPython names we use
