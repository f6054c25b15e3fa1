"""The `reslip` command: one verb per subcommand, one place that reports errors."""

import argparse
import os
import sys

from reslip import boardbox
from reslip.errors import ReslipError


def find_port(given, box=boardbox.DEFAULT_BOX):
    """The port named, else the running board in a box's, else the one USB board attached."""
    if given:
        return given
    state = boardbox.box_state(os.path.abspath(box))
    if state is not None:
        return state["port"]

    from serial.tools import list_ports
    boards = [port.device for port in list_ports.comports() if port.vid is not None]
    if len(boards) == 1:
        return boards[0]
    if not boards:
        raise ReslipError("no board found; attach one, run `reslip board start`, or name the port")
    raise ReslipError("several boards attached (%s); name the port" % ", ".join(boards))


_KEYPAD_KEYS = "0123456789*#ABCD"
_KEY_FILE_HELP = ("the terminal's link key file, from `reslip provision` (default: the file "
                  "$RESLIP_KEY_FILE names; none for a terminal without a key)")

# What the terminal can hold: vouchers are u32 counted from 1, operators 00-99.
VOUCHERS = (1, 0xFFFFFFFF)
OPERATORS = (0, 99)


def in_range(value, bounds, what):
    """value when it lies within bounds (low, high), both included; else a clear error."""
    low, high = bounds
    if not low <= value <= high:
        raise ReslipError("%s %d is out of range; it goes from %d to %d"
                          % (what, value, low, high))
    return value


def not_empty(value, option):
    """value, unless an option was given an empty string (a shell variable left unset)."""
    if value is not None and not value.strip():
        raise ReslipError("%s is empty; give a value or leave the option out" % option)
    return value


def cmd_board(args):
    if args.action == "start":
        state = boardbox.start(args.box, heap=args.heap)
        print("board in a box running in %s" % state["box"])
        print("port: %s" % state["port"])
    elif args.action == "stop":
        print("stopped" if boardbox.stop(args.box) else "not running")
    elif args.action == "status":
        state = _running_box(args.box, required=False)
        print("not running" if state is None else "running, port %s" % state["port"])
        return 0 if state is not None else 1
    elif args.action == "keys":
        _running_box(args.box)
        boardbox.press_keys(args.box, keypad_keys(args.keys))
    elif args.action == "screen":
        _running_box(args.box)
        screen = boardbox.read_screen(args.box)
        if not screen:
            raise ReslipError("the screen is blank: no firmware yet? `reslip flash` deploys it")
        sys.stdout.write(screen)
    elif args.action == "slips":
        from reslip.demo import write_slips
        slips = write_slips(os.path.join(os.path.abspath(args.box), "printer.bin"), args.out)
        print("%d slip(s) written to %s" % (len(slips), os.path.join(args.out, "slips")))
    return 0


def keypad_keys(words):
    """The keys named on the command line: keypad characters, spaces between them ignored."""
    typed = "".join(words).replace(" ", "")
    if not typed:
        raise ReslipError("name the keys to press, e.g. reslip board keys 'A 12*5 # 1 #'")
    keys = typed.upper()  # a..d are the letter keys too
    wrong = sorted(set(char for char in typed if char.upper() not in _KEYPAD_KEYS))
    if wrong:
        raise ReslipError("%s: not on the keypad (its keys are %s); quote the keys, "
                          "the shell takes # and * for itself" % (" ".join(wrong), _KEYPAD_KEYS))
    return keys


def _running_box(box, required=True):
    state = boardbox.box_state(os.path.abspath(box))
    if state is None and required:
        raise ReslipError("the board in a box is not running; `reslip board start` first")
    return state


def cmd_flash(args):
    from reslip.deploy import flash
    not_empty(args.config, "--config")
    port = find_port(args.port, args.box)
    print("flashing %s board on %s" % (args.board, port))
    result = flash(port, args.board, config_path=args.config)
    print(str(result))


def cmd_find(args):
    from reslip import find

    try:
        start = find.parse_time(args.since) if args.since is not None else None
        end = find.parse_time(args.to, end_of_range=True) if args.to is not None else None
        amount_min, amount_max = (find.parse_amount_range(args.amount)
                                  if args.amount is not None else (None, None))
    except ValueError as error:
        raise ReslipError(str(error))
    if start is not None and end is not None and end < start:
        raise ReslipError("--to is before --from; swap them")
    if args.voucher is not None:
        in_range(args.voucher, VOUCHERS, "voucher")
    if args.operator is not None:
        in_range(args.operator, OPERATORS, "operator")
    not_empty(args.terminal, "--terminal")
    if args.limit is not None and args.limit < 1:
        raise ReslipError("--limit %d shows nothing; give 1 or more" % args.limit)
    query = find.Query(start, end, amount_min, amount_max, args.voucher, args.operator,
                       args.terminal, args.events)
    with find.open_store(args.db) as store:
        found = find.find(store, query, limit=args.limit)
    if not found:
        raise ReslipError("no record matches %s in %s" % (find.describe(query), args.db))
    print(find.format_table(found))
    print("%d record(s), newest first" % len(found))
    return 0


def cmd_reprint(args):
    from reslip import reprint

    in_range(args.voucher, VOUCHERS, "voucher")
    not_empty(args.terminal, "--terminal")
    not_empty(args.config, "--config")
    if args.baud < 1:
        raise ReslipError("--baud %d is not a speed; the printer's is usually 9600" % args.baud)
    settings = reprint.load_settings(args.board, args.config, merchant_name=args.merchant_name,
                                     merchant_no=args.merchant_no)
    lp = None
    if args.lp is not None:
        lp = args.lp if args.lp != "-" else ""
    made = reprint.reprint(args.db, args.voucher, terminal=args.terminal, settings=settings,
                           png=args.png, pdf=args.pdf, lp=lp, serial_port=args.serial,
                           baud=args.baud)
    where = [path for path in (args.png, args.pdf) if path]
    if lp is not None:
        where.append("lp" + (" " + lp if lp else ""))
    if args.serial:
        where.append("the printer on %s" % args.serial)
    # The terminal never learns of a PC reprint: its own count, which decides
    # when a reprint needs the supervisor, stays apart.
    print("PC reprint #%d of voucher %06d (terminal %s) sent to %s; the slip is marked "
          "reprint #%d (%d made on the terminal, as last pulled)"
          % (made.pc_count, args.voucher, made.terminal, ", ".join(where), made.count,
             made.count - made.pc_count))


def cmd_sale(args):
    from reslip.sale import record_sale
    from terminal.money import parse_amount

    try:
        cents = parse_amount(args.amount)
    except ValueError as error:
        raise ReslipError("%r is not an amount (%s); write 12.50" % (args.amount, error))
    key = link_key(args)
    port = find_port(args.port, args.box)
    voucher = record_sale(port, cents, args.method, card=args.card or "",
                          reference=args.reference or "", key=key)
    print("recorded as voucher %06d" % voucher)


def cmd_pull(args):
    from reslip.pull import pull
    if args.accept_break is not None:
        in_range(args.accept_break, VOUCHERS, "voucher")
    key = link_key(args)
    port = find_port(args.port, args.box)
    summary = pull(port, args.db, csv_path=args.csv, key=key,
                   accept_breaks_to=args.accept_break)
    print(str(summary))
    return summary.exit_status


def link_key(args):
    """The link key from --key-file, else from $RESLIP_KEY_FILE, else None."""
    from reslip.link import LinkError, key_from_environment

    not_empty(args.key_file, "--key-file")
    try:
        return key_from_environment(args.key_file)
    except LinkError as error:
        raise ReslipError(str(error)) from None


def cmd_provision(args):
    from reslip.provision import provision

    not_empty(args.key_file, "--key-file")
    port = find_port(args.port, args.box)
    print(str(provision(port, args.key_file, lock=args.lock)))


def cmd_sim(args):
    from reslip.sim import run_sim
    return run_sim(script=args.script, box=args.state)


def cmd_demo(args):
    from reslip.demo import run_demo
    run_demo(args.out)


def parser():
    top = argparse.ArgumentParser(prog="reslip", description=__doc__)
    verbs = top.add_subparsers(dest="verb", required=True)

    board = verbs.add_parser("board", help="start, stop or use the board in a box")
    board.add_argument("action", choices=["start", "stop", "status", "keys", "screen", "slips"])
    board.add_argument("keys", nargs="*", default=[],
                       help="with `keys`: keypad characters, quoted (e.g. 'A 12*5 # 1 #')")
    board.add_argument("--out", default="box-slips",
                       help="with `slips`: where to write the decoded slips")
    board.add_argument("--box", default=boardbox.DEFAULT_BOX, help="the box folder")
    board.add_argument("--heap", default="2m", help="MicroPython heap size, e.g. 64k")
    board.set_defaults(run=cmd_board)

    flash = verbs.add_parser("flash", help="compile the firmware and deploy it to a board")
    flash.add_argument("port", nargs="?")
    flash.add_argument("--board", default="unix", help="folder under boards/ (default unix)")
    flash.add_argument("--config", help="the board's settings file (default "
                       "boards/BOARD/config.json)")
    flash.add_argument("--box", default=boardbox.DEFAULT_BOX, help=argparse.SUPPRESS)
    flash.set_defaults(run=cmd_flash)

    pull = verbs.add_parser("pull", help="download the journal into the PC's store")
    pull.add_argument("port", nargs="?")
    pull.add_argument("--db", default="reslip.sqlite", help="SQLite store (default reslip.sqlite)")
    pull.add_argument("--csv", help="also write the stored records to this CSV file")
    pull.add_argument("--key-file", help=_KEY_FILE_HELP)
    pull.add_argument("--accept-break", type=int, metavar="VOUCHER",
                      help="you have checked the terminal about the journal chain breaks up "
                           "to this voucher: let the export mark move past them")
    pull.add_argument("--box", default=boardbox.DEFAULT_BOX, help=argparse.SUPPRESS)
    pull.set_defaults(run=cmd_pull)

    find = verbs.add_parser("find", help="find stored records (交易记录查询), newest first")
    find.add_argument("--from", dest="since", metavar="TIME",
                      help="from this time (UTC): 2026-03-01 or '2026-03-01 09:30'")
    find.add_argument("--to", metavar="TIME", help="up to this time; a day counts whole")
    find.add_argument("--amount", help="exact (12.50) or a range (10..20, 100.., ..5)")
    find.add_argument("--voucher", type=int)
    find.add_argument("--operator", type=int)
    find.add_argument("--terminal")
    find.add_argument("--events", action="store_true",
                      help="also show reprint and clock-set events")
    find.add_argument("--limit", type=int, help="show at most this many")
    find.add_argument("--db", default="reslip.sqlite", help="SQLite store (default reslip.sqlite)")
    find.set_defaults(run=cmd_find)

    again = verbs.add_parser(
        "reprint", help="a stored slip again, marked as a reprint",
        description="Prints a stored slip again, marked REPRINT. Reprints made here are "
        "counted in the PC's store, apart from the terminal's own reprint count: they "
        "cannot reach the terminal's journal, so the terminal's free reprints before it "
        "asks for the supervisor do not count them.")
    again.add_argument("voucher", type=int)
    again.add_argument("--terminal", help="needed when several terminals have this voucher")
    again.add_argument("--png", metavar="FILE", help="write a picture, 384 dots wide")
    again.add_argument("--pdf", metavar="FILE", help="write a PDF 58 mm wide")
    again.add_argument("--lp", nargs="?", const="-", metavar="PRINTER",
                       help="print through lp (its default printer, or PRINTER)")
    again.add_argument("--serial", metavar="PORT",
                       help="print on a TTL thermal printer behind this USB serial adapter")
    again.add_argument("--baud", type=int, default=9600, help="the printer's (default 9600)")
    again.add_argument("--board", default="unix", help="settings from boards/BOARD/config.json")
    again.add_argument("--config", help="settings from this file instead")
    again.add_argument("--merchant-name")
    again.add_argument("--merchant-no")
    again.add_argument("--db", default="reslip.sqlite", help="SQLite store (default reslip.sqlite)")
    again.set_defaults(run=cmd_reprint)

    sale = verbs.add_parser("sale", help="record a sale on the terminal as a cash register does")
    sale.add_argument("amount", help="e.g. 12.50")
    sale.add_argument("port", nargs="?")
    sale.add_argument("--method", choices=["cash", "card", "qr"], default="cash")
    sale.add_argument("--card", help="the card number; only its last 4 digits leave this PC")
    sale.add_argument("--reference", help="the register's reference, at most 40 bytes")
    sale.add_argument("--key-file", help=_KEY_FILE_HELP)
    sale.add_argument("--box", default=boardbox.DEFAULT_BOX, help=argparse.SUPPRESS)
    sale.set_defaults(run=cmd_sale)

    setup = verbs.add_parser(
        "provision", help="give a terminal its service-link key; lock its console",
        description="Sets the terminal's service-link key from KEY_FILE (made with a new "
        "random key when it does not exist; keep it: pull and sale need it). --lock locks "
        "the console for production: Ctrl-C no longer stops the app and the REPL does not "
        "answer, except for a few minutes after the admin opens the service window at the "
        "keypad (admin menu, 8). A locked terminal needs that window open for flash and for "
        "provision itself.")
    setup.add_argument("port", nargs="?")
    setup.add_argument("--key-file", required=True, help="the terminal's key file")
    locking = setup.add_mutually_exclusive_group()
    locking.add_argument("--lock", dest="lock", action="store_const", const=True,
                         help="lock the console (production)")
    locking.add_argument("--unlock", dest="lock", action="store_const", const=False,
                         help="unlock the console")
    setup.add_argument("--box", default=boardbox.DEFAULT_BOX, help=argparse.SUPPRESS)
    setup.set_defaults(run=cmd_provision, lock=None)

    sim = verbs.add_parser("sim", help="the terminal in this window")
    sim.add_argument("--script", help="a key script to run instead of the keyboard")
    sim.add_argument("--state", default=".sim", help="folder for the simulated flash and slips")
    sim.set_defaults(run=cmd_sim)

    demo = verbs.add_parser("demo", help="the whole terminal end to end on the board in a box")
    demo.add_argument("--out", default="demo-output")
    demo.set_defaults(run=cmd_demo)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        status = args.run(args)
        sys.stdout.flush()
    except ReslipError as error:
        print("reslip: %s: %s" % (args.verb, error), file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`reslip find | head -1`): nothing left to say.
        # stdout points at devnull so that Python's own flush at exit is quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt as interrupt:
        print("reslip: %s: %s" % (args.verb, str(interrupt) or "interrupted"), file=sys.stderr)
        return 130
    except OSError as error:
        # A file or device the command was pointed at cannot be used.
        print("reslip: %s: %s" % (args.verb, describe_os_error(error)), file=sys.stderr)
        return 1
    return status or 0


def describe_os_error(error):
    """'cannot use /proc/x: No such file or directory' from an OSError."""
    reason = error.strerror or str(error)
    if error.filename is not None:
        return "cannot use %s: %s" % (error.filename, reason)
    return reason


if __name__ == "__main__":
    sys.exit(main())
