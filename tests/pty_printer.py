# A thermal printer behind a USB serial adapter, for tests: the printer
# emulator serving the far end of a pseudo-terminal from a thread.
import os
import pty
import select
import threading
import tty

from reslip.printer_emu import PrinterEmulator


class PrinterOnPty:
    def __init__(self, paper_out=False):
        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.emulator = PrinterEmulator()
        self.emulator.paper_out = paper_out
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            if select.select([self.master], [], [], 0.02)[0]:
                self.emulator.write(os.read(self.master, 4096))
                reply = self.emulator.read(64)
                if reply:
                    os.write(self.master, reply)

    def close(self):
        self.stop.set()
        self.thread.join()
        os.close(self.master)
        os.close(self.slave)
