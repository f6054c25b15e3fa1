"""The far end of the board in a box's printer line: a printer that keeps every byte.

Bytes are stored as they arrive, so the slips can be decoded afterwards; status
queries are answered as a printer with paper and its cover closed would.
"""

from reslip.printer_emu import PrinterEmulator


class PrinterLine:
    def __init__(self, path):
        self.file = open(path, "ab")
        self.emulator = PrinterEmulator()

    def receive(self, data):
        """Stores `data`; returns the printer's reply to it (bytes, may be empty)."""
        self.file.write(data)
        self.file.flush()
        self.emulator.write(data)
        return self.emulator.read(self.emulator.any()) or b""

    def close(self):
        self.file.close()
