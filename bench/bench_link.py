"""The service link and the deploy against the board in a box, side by side with
`mpremote fs cp` on the same board and the same pseudo-terminal.

pull.speedup_vs_mpremote_cp: seconds mpremote takes to copy a file of the
    pulled records' size off the board, over seconds `reslip pull` takes to
    download them (identify, pull, confirm; SQLite storing included).
pull.wire_efficiency: record bytes over every byte on the wire, both ways.
deploy.noop_seconds: `reslip flash` of firmware the board already runs.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

from reslip import boardbox, deploy
from reslip.link import HostLink
from reslip.pull import pull

SALES = 2000


def run(report):
    folder = tempfile.mkdtemp(prefix="bench-link-")
    try:
        state = boardbox.start(folder)
        port = state["port"]
        deploy.flash(port, "unix", progress=lambda line: None)
        boardbox.fill_journal(port, SALES)

        # The deploy first: nothing has changed since the flash above.
        noop = min(deploy.flash(port, "unix", progress=lambda line: None).seconds
                   for _ in range(3))

        # The pull, timed whole, into a fresh store; the app keeps running.
        db_path = os.path.join(folder, "store.sqlite")
        started = time.monotonic()
        summary = pull(port, db_path)
        pull_s = time.monotonic() - started
        record_bytes, wire_bytes = _wire_figures(port)

        # mpremote copying the same number of bytes off the same board.
        deploy.run_on_board(port, _MAKE_FILE % {"size": record_bytes}, start_app=False)
        local = os.path.join(folder, "copy.bin")
        mpremote = os.path.join(os.path.dirname(sys.executable), "mpremote")
        started = time.monotonic()
        subprocess.run([mpremote, "connect", port, "resume", "fs", "cp", ":bench.bin", local],
                       check=True, capture_output=True, timeout=300)
        cp_s = time.monotonic() - started
        if os.path.getsize(local) != record_bytes:
            raise RuntimeError("mpremote copied %d bytes, not %d"
                               % (os.path.getsize(local), record_bytes))
    finally:
        boardbox.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)

    report("pull.speedup_vs_mpremote_cp", cp_s / pull_s, "x", baseline=1.0, bar=10,
           better="higher",
           note="%d sales, %d record bytes: reslip pull %.2f s (%.0f KB/s, store and confirm "
                "included), mpremote fs cp %.2f s (%.0f KB/s)"
                % (summary.received, record_bytes, pull_s, record_bytes / pull_s / 1000, cp_s,
                   record_bytes / cp_s / 1000))
    report("pull.wire_efficiency", record_bytes / wire_bytes, "ratio", bar=0.9, better="higher",
           note="record bytes = each record as the journal stores it (voucher u32, payload, "
                "CRC-32) = payload + 8; wire bytes = every byte both ways of one whole pull "
                "(command lines, frame headers, length fields, frame CRCs)")
    report("deploy.noop_seconds", noop, "s", bar=3, better="lower",
           note="reslip flash of unchanged firmware: compile, hash on the board, start the "
                "app; best of 3")


def _wire_figures(port):
    """(record bytes, wire bytes both ways) of one whole pull from voucher 1."""
    import serial

    with serial.serial_for_url(port, baudrate=115200, timeout=0.05) as line:
        link = HostLink(line)
        identity = link.identify()
        before_in, before_out = link.stats["wire_bytes_in"], link.stats["wire_bytes_out"]
        for _ in link.pull(identity.oldest):
            pass
    wire = link.stats["wire_bytes_in"] - before_in + link.stats["wire_bytes_out"] - before_out
    return link.stats["record_bytes"], wire


# Written in the board's current folder, where the raw REPL stays for mpremote.
_MAKE_FILE = """
_chunk = bytes(range(256)) * 16
with open('bench.bin', 'wb') as _file:
    _left = %(size)d
    while _left:
        _left -= _file.write(_chunk[:min(_left, len(_chunk))])
"""
