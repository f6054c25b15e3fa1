# Runs at power-on: the terminal's app on this board's hardware.
import sys

sys.path.append("lib")

import board  # noqa: E402  the board's own module, put in place by `reslip flash`
from terminal import app  # noqa: E402

app.run(board.Board())
