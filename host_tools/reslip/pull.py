"""`reslip pull`: the terminal's journal into the PC's store.

Every frame of records is stored in its own transaction as soon as it has
arrived and been checked, so a cable pulled mid-way loses nothing: the next
pull starts after the highest voucher the store holds. The terminal's export
mark moves only after it has found, in its own journal, the same records the
store holds (count and CRCs).
"""

import collections
import termios
import time

import serial

from reslip.errors import ReslipError
from reslip.link import ExportRefused, HostLink, LinkError, export_summary
from reslip.store import Store

__all__ = ["pull", "pull_over", "PullError", "PullSummary"]

BAUD_RATE = 115200  # a USB CDC port ignores it; a USB serial adapter needs it
_READ_TIMEOUT_S = 0.05


class PullError(ReslipError):
    """The pull could not be done or finished; records stored so far are kept."""


class PullSummary(collections.namedtuple("PullSummary", (
        "terminal", "firmware", "received", "added", "duplicates", "conflicts", "undecodable",
        "missing", "exported_up_to", "export_note", "csv_rows", "seconds", "wire_efficiency"))):
    """What one pull did. missing: vouchers the terminal no longer held when the
    PC asked for them; export_note: why the export mark did not move, or ""."""

    def __str__(self):
        lines = ["terminal %s (firmware %s): %d record(s) received, %d new, %d already stored"
                 % (self.terminal, self.firmware, self.received, self.added, self.duplicates)]
        if self.conflicts:
            lines.append("warning: %d voucher(s) differ from the stored ones (kept both, "
                         "see the store's conflicts table): %s"
                         % (len(self.conflicts),
                            ", ".join(str(voucher) for _, voucher in self.conflicts[:10])))
        if self.undecodable:
            lines.append("warning: %d record(s) stored raw, not readable by this version"
                         % self.undecodable)
        if self.missing:
            lines.append("warning: %d voucher(s) were gone from the terminal before this pull"
                         % self.missing)
        if self.export_note:
            lines.append("export not confirmed: " + self.export_note)
        else:
            lines.append("export confirmed up to voucher %d" % self.exported_up_to)
        if self.csv_rows is not None:
            lines.append("%d row(s) written to CSV" % self.csv_rows)
        return "\n".join(lines)


def pull(port_path, db_path, csv_path=None, jsonl_path=None, timeout_s=1.0, key=None):
    """Pulls every record the store lacks from the terminal on port_path into
    the SQLite store db_path, confirms the export, and writes CSV / JSON Lines
    of the whole store if asked. key: the terminal's link key (bytes), for a
    terminal that has one. Returns a PullSummary; raises PullError."""
    try:
        port = serial.serial_for_url(port_path, baudrate=BAUD_RATE, timeout=_READ_TIMEOUT_S)
    except (serial.SerialException, ValueError, OSError, termios.error) as error:
        # termios.error: a pseudo-terminal whose other end is already gone.
        raise PullError("cannot open %s: %s" % (port_path, error)) from None
    with port:
        return pull_over(port, db_path, csv_path, jsonl_path, timeout_s, key)


def pull_over(port, db_path, csv_path=None, jsonl_path=None, timeout_s=1.0, key=None):
    """pull() over a port already open (anything with read, write, in_waiting)."""
    started = time.monotonic()
    with Store(db_path) as store:
        link = HostLink(port, timeout_s=timeout_s, key=key)
        try:
            identity = link.identify()
        except LinkError as error:
            raise PullError(str(error)) from None
        terminal = identity.terminal

        # Resume after what the store holds; the terminal starts at its oldest
        # record if the ones asked for were already erased.
        start = store.highest_voucher(terminal) + 1
        received = added = duplicates = undecodable = 0
        conflicts = []
        first_seen = None
        try:
            for batch in link.pull(start):
                if first_seen is None:
                    first_seen = batch[0].voucher
                result = store.add(terminal, batch)
                received += len(batch)
                added += result.added
                duplicates += result.duplicates
                undecodable += result.undecodable
                conflicts.extend(result.conflicts)
        except LinkError as error:
            raise PullError("%s; %d record(s) were stored, run pull again to fetch the rest"
                            % (error, added)) from None
        missing = first_seen - start if first_seen is not None and first_seen > start else 0

        exported_up_to, export_note = _confirm(link, store, identity, conflicts)
        link.end_session()  # whoever plugs in next proves the key again

        csv_rows = None
        try:
            if csv_path is not None:
                csv_rows = store.export_csv(csv_path)
            if jsonl_path is not None:
                store.export_jsonl(jsonl_path)
        except OSError as error:
            raise PullError("the records are stored, but the export could not be written "
                            "(%s: %s); pull again with another path"
                            % (error.filename, error.strerror)) from None

    wire_in = link.stats["wire_bytes_in"]
    return PullSummary(
        terminal, identity.firmware, received, added, duplicates, conflicts, undecodable, missing,
        exported_up_to, export_note, csv_rows, time.monotonic() - started,
        link.stats["record_bytes"] / wire_in if wire_in else 0.0)


def _confirm(link, store, identity, conflicts):
    """Asks the terminal to move its export mark over what the store now holds:
    (export mark, "") or (old mark, why not)."""
    if conflicts:
        return identity.exported_up_to, "the terminal's records differ from the stored ones"
    first = identity.exported_up_to + 1
    last = store.highest_voucher(identity.terminal)
    if last < first:
        return identity.exported_up_to, ""

    count, chain = export_summary(store.payloads(identity.terminal, first, last))
    try:
        return link.confirm_export(first, last, count, chain), ""
    except ExportRefused as refusal:
        return identity.exported_up_to, refusal.reason
    except LinkError as error:
        return identity.exported_up_to, "%s (the records are stored; pull again to retry)" % error
