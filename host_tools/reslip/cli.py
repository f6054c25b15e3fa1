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
        raise ReslipError("no board found; attach one, start `reslip board start`, or name the port")
    raise ReslipError("several boards attached (%s); name the port" % ", ".join(boards))


def cmd_board(args):
    if args.action == "start":
        state = boardbox.start(args.box, heap=args.heap)
        print("board in a box running in %s" % state["box"])
        print("port: %s" % state["port"])
    elif args.action == "stop":
        print("stopped" if boardbox.stop(args.box) else "not running")
    elif args.action == "status":
        state = boardbox.box_state(os.path.abspath(args.box))
        print("not running" if state is None else "running, port %s" % state["port"])
    elif args.action == "keys":
        if boardbox.box_state(os.path.abspath(args.box)) is None:
            raise ReslipError("the board in a box is not running; `reslip board start` first")
        boardbox.press_keys(args.box, args.keys)
    elif args.action == "screen":
        sys.stdout.write(boardbox.read_screen(args.box))


def cmd_flash(args):
    from reslip.deploy import flash
    port = find_port(args.port, args.box)
    print("flashing %s board on %s" % (args.board, port))
    copied = flash(port, args.board)
    print("%d file(s) copied; app started" % copied)


def cmd_pull(args):
    from reslip.pull import pull
    port = find_port(args.port, args.box)
    summary = pull(port, args.db, csv_path=args.csv)
    print(str(summary))


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
    board.add_argument("action", choices=["start", "stop", "status", "keys", "screen"])
    board.add_argument("keys", nargs="?", default="", help="key characters, with `keys`")
    board.add_argument("--box", default=boardbox.DEFAULT_BOX, help="the box folder")
    board.add_argument("--heap", default="2m", help="MicroPython heap size, e.g. 64k")
    board.set_defaults(run=cmd_board)

    flash = verbs.add_parser("flash", help="compile the firmware and deploy it to a board")
    flash.add_argument("port", nargs="?")
    flash.add_argument("--board", default="unix", help="folder under boards/ (default unix)")
    flash.add_argument("--box", default=boardbox.DEFAULT_BOX, help=argparse.SUPPRESS)
    flash.set_defaults(run=cmd_flash)

    pull = verbs.add_parser("pull", help="download the journal into the PC's store")
    pull.add_argument("port", nargs="?")
    pull.add_argument("--db", default="reslip.sqlite", help="SQLite store (default reslip.sqlite)")
    pull.add_argument("--csv", help="also write the stored records to this CSV file")
    pull.add_argument("--box", default=boardbox.DEFAULT_BOX, help=argparse.SUPPRESS)
    pull.set_defaults(run=cmd_pull)

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
    except ReslipError as error:
        print("reslip: %s: %s" % (args.verb, error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("reslip: %s: interrupted" % args.verb, file=sys.stderr)
        return 130
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
