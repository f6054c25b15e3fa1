"""`reslip pull`: the terminal's journal into the PC's store.

Every frame of records is stored in its own transaction as soon as it has
arrived and been checked, so a cable pulled mid-way loses nothing: the next
pull starts after the highest voucher the store holds. The terminal's export
mark moves only after it has found, in its own journal, the same records the
store holds (count and CRCs).

Each record carries the journal's link: the hash of the record before it. The
pull follows that chain from the newest record checked by the pull before
(kept in the store) and reports, by voucher, wherever it breaks: a record
changed after it was written, records removed or inserted, a journal formatted
or replaced. The records are stored all the same, and the breaks flagged in
the store; the summary says so and `reslip pull` exits with status 3.
"""

import collections
import termios
import time

import serial

from terminal.journal import NO_LINK, START_LINK, record_hash

from reslip.errors import ReslipError
from reslip.link import ExportRefused, HostLink, LinkError, export_summary
from reslip.store import Store

__all__ = ["pull", "pull_over", "PullError", "PullSummary", "ChainCheck", "CHAIN_BROKEN_STATUS"]

# The exit status of `reslip pull` when the chain is broken: the records are
# stored, but someone must look at the terminal before trusting them.
CHAIN_BROKEN_STATUS = 3

BAUD_RATE = 115200  # a USB CDC port ignores it; a USB serial adapter needs it
_READ_TIMEOUT_S = 0.05


class PullError(ReslipError):
    """The pull could not be done or finished; records stored so far are kept."""


class PullSummary(collections.namedtuple("PullSummary", (
        "terminal", "firmware", "received", "added", "duplicates", "conflicts", "undecodable",
        "missing", "exported_up_to", "export_note", "csv_rows", "seconds", "wire_efficiency",
        "chain"))):
    """What one pull did. missing: vouchers the terminal no longer held when the
    PC asked for them; export_note: why the export mark did not move, or "";
    chain: the ChainCheck of the records received."""

    @property
    def exit_status(self):
        """0, or CHAIN_BROKEN_STATUS when the journal's chain is broken."""
        return CHAIN_BROKEN_STATUS if self.chain.problems else 0

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
        lines.extend(self.chain.report())
        if self.export_note:
            if self.exported_up_to:
                lines.append("export confirmed up to voucher %d, not past it: %s"
                             % (self.exported_up_to, self.export_note))
            else:
                lines.append("export not confirmed: " + self.export_note)
        else:
            lines.append("export confirmed up to voucher %d" % self.exported_up_to)
        if self.csv_rows is not None:
            lines.append("%d row(s) written to CSV" % self.csv_rows)
        return "\n".join(lines)


def pull(port_path, db_path, csv_path=None, jsonl_path=None, timeout_s=1.0, key=None,
         accept_breaks_to=None):
    """Pulls every record the store lacks from the terminal on port_path into
    the SQLite store db_path, confirms the export, and writes CSV / JSON Lines
    of the whole store if asked. key: the terminal's link key (bytes), for a
    terminal that has one. accept_breaks_to: a voucher up to which a person has
    looked at the chain breaks found, so the export may move past them.
    Returns a PullSummary; raises PullError."""
    try:
        port = serial.serial_for_url(port_path, baudrate=BAUD_RATE, timeout=_READ_TIMEOUT_S)
    except (serial.SerialException, ValueError, OSError, termios.error) as error:
        # termios.error: a pseudo-terminal whose other end is already gone.
        raise PullError("cannot open %s: %s" % (port_path, error)) from None
    with port:
        return pull_over(port, db_path, csv_path, jsonl_path, timeout_s, key, accept_breaks_to)


def pull_over(port, db_path, csv_path=None, jsonl_path=None, timeout_s=1.0, key=None,
              accept_breaks_to=None):
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
        chain = ChainCheck(store.chain_head(terminal), identity.oldest)
        behind = chain.behind(identity.newest, start - 1)
        if behind:
            store.add(terminal, [], flags=behind)
        try:
            for batch in link.pull(start):
                if first_seen is None:
                    first_seen = batch[0].voucher
                flags = chain.feed(batch)
                result = store.add(terminal, batch, chain=chain.previous, flags=flags)
                received += len(batch)
                added += result.added
                duplicates += result.duplicates
                undecodable += result.undecodable
                conflicts.extend(result.conflicts)
        except LinkError as error:
            raise PullError("%s; %d record(s) were stored, run pull again to fetch the rest"
                            % (error, added)) from None
        missing = first_seen - start if first_seen is not None and first_seen > start else 0

        if accept_breaks_to is not None:
            store.accept_breaks(terminal, accept_breaks_to)
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
        link.stats["record_bytes"] / wire_in if wire_in else 0.0, chain)


def _confirm(link, store, identity, conflicts):
    """Asks the terminal to move its export mark over what the store now holds:
    (export mark, "") or (old mark, why not).

    The mark stops before a chain break nobody has accepted yet: the
    terminal keeps those records (a ring set to overwrite would otherwise
    recycle them) until a technician has looked and runs pull with
    --accept-break."""
    if conflicts:
        return identity.exported_up_to, "the terminal's records differ from the stored ones"
    first = identity.exported_up_to + 1
    last = store.highest_voucher(identity.terminal)
    held_note = ""
    open_break = store.first_open_break(identity.terminal)
    if open_break is not None and open_break <= last:
        last = open_break - 1
        held_note = ("the terminal keeps voucher %06d on, where the journal's chain is broken; "
                     "once you have checked the terminal, run pull again with --accept-break %d"
                     % (open_break, open_break))
    if last < first:
        return identity.exported_up_to, held_note

    count, chain = export_summary(store.payloads(identity.terminal, first, last))
    try:
        return link.confirm_export(first, last, count, chain), held_note
    except ExportRefused as refusal:
        return identity.exported_up_to, refusal.reason
    except LinkError as error:
        return identity.exported_up_to, "%s (the records are stored; pull again to retry)" % error


class ChainCheck:
    """Follows the journal's hash chain over one terminal's records as they
    arrive in voucher order.

    head: (voucher, hash) of the newest record checked before (Store.chain_head),
    None at a terminal's first pull. oldest_held: the terminal's oldest voucher
    when the pull began: records before it were dropped by the terminal, so a
    link into them cannot be checked and is not a break."""

    def __init__(self, head, oldest_held):
        self.previous = head
        self._oldest_held = oldest_held
        self.checked = []  # [first, last] voucher of the records whose link matched
        self.problems = []  # (voucher, text) of every break
        self.notes = []
        self.unlinked = 0  # records of journal format 2, which have no link

    def behind(self, newest, highest_stored):
        """The break, as [(voucher, text)], when the terminal's newest voucher
        is below the highest this PC already stored from it: its new records
        would hide under vouchers already stored, so the chain never meets
        them. An empty journal (newest 0) is no break: a format keeps the
        voucher numbers going, and its next record shows where the chain
        starts again."""
        if not 0 < newest < highest_stored:
            return []
        found = [(newest, "the terminal's newest record is voucher %06d, but this store "
                  "already holds up to voucher %06d from it: its journal lost its newest records "
                  "(flash damage), was put back to an older copy, erased or replaced, or "
                  "another terminal uses its number"
                  % (newest, highest_stored))]
        self.problems.extend(found)
        return found

    def feed(self, records):
        """Checks records (with voucher, payload, link) that follow the ones fed
        before; returns the breaks among them as (voucher, text)."""
        found = []
        for record in records:
            voucher = record.voucher
            problem = self._check(voucher, bytes(record.link))
            if problem is not None:
                found.append((voucher, problem))
            self.previous = (voucher, record_hash(voucher, record.link, bytes(record.payload)))
        self.problems.extend(found)
        return found

    def _check(self, voucher, link):
        # A break's text, or None; notes what is unusual but no break.
        if link == NO_LINK:
            self.unlinked += 1
            return None
        if self.previous is None:
            if link != START_LINK:
                self.notes.append("voucher %06d is the oldest the terminal holds: its link to "
                                  "the records it dropped before cannot be checked" % voucher)
            self._matched(voucher)
            return None

        before, expected = self.previous
        if link == expected:
            if voucher > before + 1:
                self.notes.append("voucher(s) %s were never written (numbers skipped after a "
                                  "power cut); the chain runs on unbroken" % _span(before + 1,
                                                                                voucher - 1))
            self._matched(voucher)
            return None
        if link == START_LINK:
            return ("the chain starts again here: the terminal's journal was formatted or "
                    "replaced after voucher %06d" % before)
        if voucher > before + 1 and voucher == self._oldest_held:
            self.notes.append("voucher(s) %s were dropped by the terminal before this PC "
                              "pulled them: the chain is checked from voucher %06d on"
                              % (_span(before + 1, voucher - 1), voucher))
            self._matched(voucher)
            return None
        if voucher == before + 1:
            return ("its link does not match voucher %06d: %06d was changed after it was "
                    "written, or a record was removed or inserted between them" % (before, before))
        return ("voucher(s) %s are missing and its link does not match voucher %06d: records "
                "were removed, or lost to flash damage" % (_span(before + 1, voucher - 1), before))

    def _matched(self, voucher):
        if not self.checked:
            self.checked = [voucher, voucher]
        self.checked[1] = voucher

    def report(self):
        """Lines for the pull's summary."""
        lines = ["warning: journal chain broken at voucher %06d: %s" % problem
                 for problem in self.problems]
        if self.problems:
            lines.append("warning: the records are stored, and flagged in the store's "
                         "chain_flags table: check the terminal before trusting them")
        elif self.checked:
            first, last = self.checked
            lines.append("journal chain intact at voucher %06d" % first if first == last
                         else "journal chain intact over vouchers %06d..%06d" % (first, last))
        lines.extend("note: " + note for note in self.notes)
        if self.unlinked:
            lines.append("note: %d record(s) written by an older journal format carry no link"
                         % self.unlinked)
        return lines


def _span(first, last):
    return "%06d" % first if first == last else "%06d..%06d" % (first, last)
