"""The PC's store of pulled records: one SQLite file, no server.

A record is keyed by (terminal, voucher). Its payload is kept exactly as the
terminal sent it, with its link in the journal's hash chain, beside decoded
columns for searching. Storing a record that is already there changes nothing;
a different payload under a key already taken is a conflict: it is set aside
in its own table and reported, never written over the first.

Per terminal the store also keeps the hash of the newest record whose chain
was checked (so the next pull checks on from it) and every place the chain
was found broken, by voucher.
"""

import collections
import csv
import json
import sqlite3
import time

from terminal.record import (
    KIND_NAMES, METHOD_NAMES, REFUND, REPRINT, SALE, TRAINING_SALE, VOID, Record,
)
from terminal.record import mask_card  # the slip's mask, for every PC output

from reslip.errors import ReslipError

__all__ = ["Store", "StoreError", "AddResult", "format_amount", "mask_card", "format_time",
           "TRANSACTION_KINDS"]

# Columns added since the first stores were made: (name, type), added to an
# older store when it is opened.
_ADDED_COLUMNS = (("link", "BLOB"),)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    terminal     TEXT    NOT NULL,
    voucher      INTEGER NOT NULL,
    payload      BLOB    NOT NULL,
    crc          INTEGER NOT NULL,
    pulled_at    INTEGER NOT NULL,
    kind         INTEGER,
    amount_cents INTEGER,
    currency     TEXT,
    method       INTEGER,
    operator     INTEGER,
    card_last4   TEXT,
    reference    TEXT,
    timestamp    INTEGER,
    clock_valid  INTEGER,
    batch        INTEGER,
    refers_to    INTEGER,
    link         BLOB,
    PRIMARY KEY (terminal, voucher)
);
CREATE TABLE IF NOT EXISTS conflicts (
    terminal  TEXT    NOT NULL,
    voucher   INTEGER NOT NULL,
    payload   BLOB    NOT NULL,
    seen_at   INTEGER NOT NULL,
    UNIQUE (terminal, voucher, payload)
);
CREATE INDEX IF NOT EXISTS records_by_time ON records (timestamp);
CREATE TABLE IF NOT EXISTS chain (
    terminal   TEXT    PRIMARY KEY,
    voucher    INTEGER NOT NULL,
    hash       BLOB    NOT NULL
);
CREATE TABLE IF NOT EXISTS chain_flags (
    terminal   TEXT    NOT NULL,
    voucher    INTEGER NOT NULL,
    problem    TEXT    NOT NULL,
    seen_at    INTEGER NOT NULL,
    UNIQUE (terminal, voucher, problem)
);
CREATE TABLE IF NOT EXISTS chain_accepted (
    terminal   TEXT    PRIMARY KEY,
    up_to      INTEGER NOT NULL,
    accepted_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pc_reprints (
    terminal   TEXT    NOT NULL,
    voucher    INTEGER NOT NULL,
    printed_at INTEGER NOT NULL,
    target     TEXT    NOT NULL
);
"""

_DECODED = ("kind", "amount_cents", "currency", "method", "operator", "card_last4", "reference",
            "timestamp", "clock_valid", "batch", "refers_to")

CSV_COLUMNS = ("terminal", "voucher", "time_utc", "kind", "amount", "currency", "method",
               "operator", "card", "reference", "batch", "refers_to", "clock_valid")


# The kinds a record query shows unless asked for events too (reprints, clock sets).
TRANSACTION_KINDS = (SALE, VOID, REFUND, TRAINING_SALE)


class StoreError(ReslipError):
    """The store file cannot be opened or written."""


# added: new records stored; duplicates: already there, identical;
# conflicts: [(terminal, voucher)] whose payload differs from the stored one;
# undecodable: stored raw, but record.py could not read them.
AddResult = collections.namedtuple(
    "AddResult", ("added", "duplicates", "conflicts", "undecodable"))


def format_amount(cents):
    """Integer cents as a plain decimal string: -1250 -> "-12.50" (no float involved)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return "%s%d.%02d" % (sign, cents // 100, cents % 100)


def format_time(unix_seconds):
    """'2026-12-03 16:42:05', UTC, like the slip."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(unix_seconds))


class Store:
    """A SQLite file of records; use as a context manager or call close()."""

    def __init__(self, path):
        self.path = path
        try:
            self._db = sqlite3.connect(path)
            self._db.executescript(_SCHEMA)
            columns = [row[1] for row in self._db.execute("PRAGMA table_info(records)")]
            with self._db:
                for name, kind in _ADDED_COLUMNS:
                    if name not in columns:
                        self._db.execute("ALTER TABLE records ADD COLUMN %s %s" % (name, kind))
        except sqlite3.Error as error:
            raise StoreError("cannot open the store %s: %s" % (path, error)) from None

    def close(self):
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def add(self, terminal, records, chain=None, flags=()):
        """Stores (voucher, payload, crc, link) records of one terminal in one
        transaction (link may be left out). chain: (voucher, hash) of the
        newest record checked, kept for the next pull; flags: (voucher,
        problem) places where the chain was found broken. All or nothing."""
        added = duplicates = undecodable = 0
        conflicts = []
        now = int(time.time())
        try:
            with self._db:
                for record in records:
                    voucher, payload, crc = record[:3]
                    link = bytes(record[3]) if len(record) > 3 else None
                    payload = bytes(payload)
                    stored = self._db.execute(
                        "SELECT payload FROM records WHERE terminal = ? AND voucher = ?",
                        (terminal, voucher)).fetchone()
                    if stored is not None:
                        if stored[0] == payload:
                            duplicates += 1
                        else:
                            conflicts.append((terminal, voucher))
                            self._db.execute(
                                "INSERT OR IGNORE INTO conflicts VALUES (?, ?, ?, ?)",
                                (terminal, voucher, payload, now))
                        continue
                    decoded = _decoded_columns(payload, voucher)
                    if decoded is None:
                        undecodable += 1
                        decoded = (None,) * len(_DECODED)
                    self._db.execute(
                        "INSERT INTO records (terminal, voucher, payload, crc, pulled_at, %s, link)"
                        " VALUES (?, ?, ?, ?, ?, %s, ?)"
                        % (", ".join(_DECODED), ", ".join("?" * len(_DECODED))),
                        (terminal, voucher, payload, crc, now) + decoded + (link,))
                    added += 1
                if chain is not None:
                    self._db.execute("INSERT OR REPLACE INTO chain VALUES (?, ?, ?)",
                                     (terminal, chain[0], bytes(chain[1])))
                for voucher, problem in flags:
                    self._db.execute("INSERT OR IGNORE INTO chain_flags VALUES (?, ?, ?, ?)",
                                     (terminal, voucher, problem, now))
        except sqlite3.Error as error:
            raise StoreError("cannot write the store %s: %s" % (self.path, error)) from None
        return AddResult(added, duplicates, conflicts, undecodable)

    def _query(self, query, arguments):
        """Every row the query gives; a store that cannot be read (locked by
        another program, damaged) is a StoreError, not a traceback."""
        try:
            return self._db.execute(query, arguments).fetchall()
        except sqlite3.Error as error:
            raise StoreError("cannot read the store %s: %s" % (self.path, error)) from None

    def chain_head(self, terminal):
        """(voucher, hash) of the newest record of terminal whose link was
        checked, or None before the first pull."""
        rows = self._query("SELECT voucher, hash FROM chain WHERE terminal = ?", (terminal,))
        return (rows[0][0], bytes(rows[0][1])) if rows else None

    def chain_flags(self, terminal=None):
        """(terminal, voucher, problem) of every break found in a chain, in order."""
        query = "SELECT terminal, voucher, problem FROM chain_flags"
        arguments = ()
        if terminal is not None:
            query += " WHERE terminal = ?"
            arguments = (terminal,)
        return self._query(query + " ORDER BY terminal, voucher", arguments)

    def first_open_break(self, terminal):
        """The lowest voucher of terminal where a chain break was found and
        not yet accepted (accept_breaks), or None."""
        rows = self._query(
            "SELECT MIN(voucher) FROM chain_flags WHERE terminal = ? AND voucher > "
            "COALESCE((SELECT up_to FROM chain_accepted WHERE terminal = ?), 0)",
            (terminal, terminal))
        return rows[0][0]

    def accept_breaks(self, terminal, up_to):
        """Records that a person has looked at the chain breaks of terminal up
        to voucher up_to; returns how many breaks that covers."""
        try:
            with self._db:
                self._db.execute(
                    "INSERT INTO chain_accepted VALUES (?, ?, ?) ON CONFLICT (terminal) DO "
                    "UPDATE SET up_to = MAX(up_to, excluded.up_to), "
                    "accepted_at = excluded.accepted_at", (terminal, up_to, int(time.time())))
        except sqlite3.Error as error:
            raise StoreError("cannot write the store %s: %s" % (self.path, error)) from None
        rows = self._query("SELECT COUNT(*) FROM chain_flags WHERE terminal = ? AND voucher <= ?",
                           (terminal, up_to))
        return rows[0][0]

    def highest_voucher(self, terminal):
        """The highest voucher stored for terminal, 0 when none."""
        rows = self._query("SELECT MAX(voucher) FROM records WHERE terminal = ?", (terminal,))
        return rows[0][0] or 0

    def payloads(self, terminal, first, last):
        """(voucher, payload) of terminal with first <= voucher <= last, in order."""
        return [(voucher, bytes(payload)) for voucher, payload in self._query(
            "SELECT voucher, payload FROM records WHERE terminal = ? AND voucher BETWEEN ? AND ?"
            " ORDER BY voucher", (terminal, first, last))]

    def count(self, terminal=None):
        if terminal is None:
            return self._db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM records WHERE terminal = ?",
                                (terminal,)).fetchone()[0]

    def conflicts(self):
        """(terminal, voucher, payload) of every conflicting payload seen."""
        return [(terminal, voucher, bytes(payload)) for terminal, voucher, payload in
                self._db.execute("SELECT terminal, voucher, payload FROM conflicts "
                                 "ORDER BY terminal, voucher")]

    def records(self, terminal=None):
        """Every stored Record, by terminal then voucher, as (terminal, Record or None)."""
        query = "SELECT terminal, voucher, payload FROM records"
        arguments = ()
        if terminal is not None:
            query += " WHERE terminal = ?"
            arguments = (terminal,)
        for row_terminal, voucher, payload in self._db.execute(
                query + " ORDER BY terminal, voucher", arguments):
            try:
                yield row_terminal, Record.decode(bytes(payload), voucher)
            except ValueError:
                yield row_terminal, None

    def find(self, start=None, end=None, amount_min=None, amount_max=None, voucher=None,
             operator=None, terminal=None, kinds=TRANSACTION_KINDS, limit=None):
        """(terminal, Record) of every stored record matching all the conditions
        given, newest first. start and end are Unix seconds, both inclusive;
        amounts are integer cents, both inclusive; kinds None means every kind."""
        conditions = []
        arguments = []
        for column, test, value in (
                ("timestamp", ">=", start), ("timestamp", "<=", end),
                ("amount_cents", ">=", amount_min), ("amount_cents", "<=", amount_max),
                ("voucher", "=", voucher), ("operator", "=", operator),
                ("terminal", "=", terminal)):
            if value is not None:
                conditions.append("%s %s ?" % (column, test))
                arguments.append(value)
        if kinds is not None:
            conditions.append("kind IN (%s)" % ", ".join("?" * len(kinds)))
            arguments.extend(kinds)
        query = "SELECT terminal, voucher, payload FROM records"
        if conditions:
            query += " WHERE " + " AND ".join(conditions)
        query += " ORDER BY timestamp DESC, voucher DESC"
        if limit is not None:
            query += " LIMIT %d" % int(limit)

        found = []
        for row_terminal, row_voucher, payload in self._db.execute(query, arguments):
            try:
                found.append((row_terminal, Record.decode(bytes(payload), row_voucher)))
            except ValueError:
                continue  # stored raw: its columns are empty, so no condition matched it
        return found

    def terminals_holding(self, voucher):
        """The terminals whose records include `voucher`, sorted."""
        return [row[0] for row in self._db.execute(
            "SELECT terminal FROM records WHERE voucher = ? ORDER BY terminal", (voucher,))]

    def record(self, terminal, voucher):
        """The stored Record, None when absent; raises StoreError when unreadable."""
        row = self._db.execute("SELECT payload FROM records WHERE terminal = ? AND voucher = ?",
                               (terminal, voucher)).fetchone()
        if row is None:
            return None
        try:
            return Record.decode(bytes(row[0]), voucher)
        except ValueError as error:
            raise StoreError("voucher %d of terminal %s is stored but unreadable by this "
                             "version (%s); update reslip" % (voucher, terminal, error)) from None

    def reprint_count(self, terminal, voucher):
        """Reprints made so far: on the terminal (its REPRINT events) and from this PC."""
        on_terminal = self._db.execute(
            "SELECT COUNT(*) FROM records WHERE terminal = ? AND kind = ? AND refers_to = ?",
            (terminal, REPRINT, voucher)).fetchone()[0]
        return on_terminal + self.pc_reprint_count(terminal, voucher)

    def pc_reprint_count(self, terminal, voucher):
        return self._db.execute(
            "SELECT COUNT(*) FROM pc_reprints WHERE terminal = ? AND voucher = ?",
            (terminal, voucher)).fetchone()[0]

    def add_pc_reprint(self, terminal, voucher, printed_at, target):
        """Counts one reprint made from this PC (target: where it went, e.g. 'png')."""
        try:
            with self._db:
                self._db.execute("INSERT INTO pc_reprints VALUES (?, ?, ?, ?)",
                                 (terminal, voucher, int(printed_at), target))
        except sqlite3.Error as error:
            raise StoreError("cannot write the store %s: %s" % (self.path, error)) from None

    def export_csv(self, path, terminal=None):
        """Writes the records as CSV, UTF-8 with a BOM so spreadsheets read
        Chinese text; returns the number of rows written."""
        rows = 0
        with open(path, "w", encoding="utf-8-sig", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(CSV_COLUMNS)
            for row in self._rows(terminal):
                writer.writerow([row[name] for name in CSV_COLUMNS])
                rows += 1
        return rows

    def export_jsonl(self, path, terminal=None):
        """Writes one JSON object per record (amount as a decimal string, payload
        as hex); returns the number of lines written."""
        lines = 0
        with open(path, "w", encoding="utf-8") as file:
            for row in self._rows(terminal, with_payload=True):
                file.write(json.dumps(row, ensure_ascii=False) + "\n")
                lines += 1
        return lines

    def _rows(self, terminal, with_payload=False):
        for row_terminal, voucher, payload in self._db.execute(
                "SELECT terminal, voucher, payload FROM records"
                + (" WHERE terminal = ?" if terminal is not None else "")
                + " ORDER BY terminal, voucher", (terminal,) if terminal is not None else ()):
            row = {"terminal": row_terminal, "voucher": voucher}
            try:
                record = Record.decode(bytes(payload), voucher)
            except ValueError:
                record = None
            if record is None:
                row.update((name, "") for name in CSV_COLUMNS[2:])
                row["kind"] = "UNREADABLE"
            else:
                row.update({
                    "time_utc": format_time(record.timestamp),
                    "kind": KIND_NAMES.get(record.kind, str(record.kind)),
                    "amount": format_amount(record.amount),
                    "currency": record.currency,
                    "method": METHOD_NAMES.get(record.method, str(record.method)),
                    "operator": record.operator,
                    "card": mask_card(record.card_last4),
                    "reference": record.reference,
                    "batch": record.batch,
                    "refers_to": record.refers_to or "",
                    "clock_valid": "yes" if record.clock_valid else "no",
                })
            if with_payload:
                row["payload"] = bytes(payload).hex()
            yield row


def _decoded_columns(payload, voucher):
    try:
        record = Record.decode(payload, voucher)
    except ValueError:
        return None
    return (record.kind, record.amount, record.currency, record.method, record.operator,
            record.card_last4, record.reference, record.timestamp, int(record.clock_valid),
            record.batch, record.refers_to)
