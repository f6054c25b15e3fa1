# Every module in tests/both runs twice: collected by pytest under CPython as
# usual, and run inside the real MicroPython unix port, one pytest item per
# test function, marked "[micropython]" in the report.
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "tests", "both"), os.path.join(ROOT, "boards", "pc")]

# The GB2312 table is built on the PC, as for a deploy, before the MicroPython
# runs below need it at collection time.
from reslip.tables import DEFAULT_GB2312_TABLE, ensure_gb2312_table  # noqa: E402

ensure_gb2312_table(DEFAULT_GB2312_TABLE)


def micropython_command():
    """The unix port installed beside this Python, or the one on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), "micropython")
    return beside if os.path.exists(beside) else shutil.which("micropython")


class MicroPythonModule(pytest.File):
    def collect(self):
        command = micropython_command()
        if command is None:
            raise pytest.UsageError("the MicroPython unix port is not installed")
        module = self.path.stem
        with tempfile.TemporaryDirectory() as scratch:
            env = dict(os.environ, RESLIP_SCRATCH=scratch)
            run = subprocess.run(
                [command, "-X", "heapsize=8m", os.path.join(ROOT, "tests", "mpy_runner.py"),
                 ROOT, module],
                capture_output=True, text=True, timeout=600, env=env)
        outcomes = parse_runner_output(run.stdout)
        if "DONE" not in run.stdout:
            outcomes["<module>"] = "runner stopped early (exit %d):\n%s%s" % (
                run.returncode, run.stdout[-4000:], run.stderr[-4000:])
        for name, failure in outcomes.items():
            yield MicroPythonTest.from_parent(self, name=name + "[micropython]",
                                              failure=failure)


class MicroPythonTest(pytest.Item):
    def __init__(self, *, failure, **kwargs):
        super().__init__(**kwargs)
        self.failure = failure

    def runtest(self):
        if self.failure is not None:
            raise MicroPythonFailure(self.failure)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, MicroPythonFailure):
            return "failed under MicroPython:\n" + str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, "micropython: " + self.name


class MicroPythonFailure(Exception):
    pass


def parse_runner_output(stdout):
    outcomes = {}
    current = None
    for line in stdout.splitlines():
        if line.startswith("PASS "):
            outcomes[line[5:]] = None
            current = None
        elif line.startswith("FAIL "):
            current = line[5:]
            outcomes[current] = ""
        elif line == "DONE":
            current = None
        elif current is not None:
            outcomes[current] += line + "\n"
    return outcomes


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".py" and file_path.name.startswith("test_") \
            and file_path.parent.name == "both":
        return MicroPythonModule.from_parent(parent, path=file_path)
    return None


def pytest_terminal_summary(terminalreporter):
    """A line saying how many of the tests ran inside the MicroPython unix port."""
    counts = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") == "call" and "[micropython]" in report.nodeid:
                counts[outcome] = counts.get(outcome, 0) + 1
    if counts:
        terminalreporter.write_line("under the MicroPython unix port: " + ", ".join(
            "%d %s" % (count, outcome) for outcome, count in sorted(counts.items())))
