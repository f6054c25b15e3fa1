# Key scripts: keypad sessions written down, for tests and demos.
#
#   ; a comment runs from ";" to the end of the line
#   A 12*50 #          keys: 0-9 * # A B C D, whitespace ignored
#   ? 12.50            the screen shows this text somewhere in one line
#   # ? PRINT CASH?    keys, then what the screen shows after them
#   ! wait             a directive for whoever runs the script
#
# An expectation matches a part of one screen line; spaces around the
# expected text and at the ends of the screen lines do not count. A directive
# is a word, optionally followed by arguments; parse() only records it and
# run() hands it to on_directive(text, line_no).

KEYS = "0123456789*#ABCD"


class ScriptMismatch(AssertionError):
    """The screen did not show what the script expected."""


def parse(text):
    """The steps of a script: ("key", k), ("expect", text, line_no),
    ("directive", text, line_no). Raises ValueError naming the line of a
    character that is not a key."""
    steps = []
    line_no = 0
    for line in text.split("\n"):
        line_no += 1
        comment = line.find(";")
        if comment >= 0:
            line = line[:comment]
        line = line.strip()
        if not line:
            continue

        if line[0] == "?":
            _add_expectation(steps, line[1:], line_no)
        elif line[0] == "!":
            directive = line[1:].strip()
            if not directive:
                raise ValueError("line %d: '!' needs a directive" % line_no)
            steps.append(("directive", directive, line_no))
        else:
            # Keys, and after them on the same line perhaps what they lead to.
            expect = line.find("?")
            keys = line if expect < 0 else line[:expect]
            for char in keys:
                if char in KEYS:
                    steps.append(("key", char))
                elif char not in " \t\r":
                    raise ValueError("line %d: %r is not a key" % (line_no, char))
            if expect >= 0:
                _add_expectation(steps, line[expect + 1:], line_no)
    return steps


def _add_expectation(steps, text, line_no):
    expected = text.strip()
    if not expected:
        raise ValueError("line %d: '?' needs the text to expect" % line_no)
    steps.append(("expect", expected, line_no))


def run(steps, menu, on_directive=None):
    """Press the keys on `menu` and check every expectation on the way."""
    for step in steps:
        if step[0] == "key":
            menu.press(step[1])
        elif step[0] == "expect":
            if not shows(menu.lines, step[1]):
                raise ScriptMismatch("line %d: expected %r, screen shows %s" % (
                    step[2], step[1], " | ".join(line.rstrip() for line in menu.lines)))
        elif on_directive is not None:
            on_directive(step[1], step[2])


def shows(lines, expected):
    """True when one of the screen lines holds `expected`."""
    for line in lines:
        if expected in line.rstrip():
            return True
    return False
