# The REPL's serial port (USB CDC on the Pico, UART0 on the ESP32, stdin and
# stdout on the unix port) as the service link's console.
#
# The link's module is loaded only once the PC has sent something, so a
# terminal nobody talks to keeps that RAM for printing.

import select
import sys


class StdioConsole:
    def __init__(self):
        self._input = select.poll()
        self._input.register(sys.stdin, select.POLLIN)
        self._pair = None

    def waiting(self, timeout_ms=0):
        """True when the PC has sent bytes nobody has read; waits up to timeout_ms."""
        return bool(self._input.poll(timeout_ms))

    def pair(self):
        """(reader, writer) for the service link, made on first use."""
        if self._pair is None:
            from terminal.link import PollingReader, PollingWriter

            self._pair = (PollingReader(sys.stdin.buffer), PollingWriter(sys.stdout.buffer))
        return self._pair
