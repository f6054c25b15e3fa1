"""Carving on the MicroPython unix port: littlefs over an emulated NOR flash.

The checks live in tests/both/carve_fs_checks.py and need MicroPython's vfs,
which CPython lacks; each becomes one test here."""
import os
import re
import subprocess
import tempfile

import pytest

from conftest import ROOT, micropython_command, parse_runner_output

_CHECKS = os.path.join(ROOT, "tests", "both", "carve_fs_checks.py")
with open(_CHECKS) as _file:
    _NAMES = re.findall(r"^def (test_\w+)\(", _file.read(), re.M)


@pytest.fixture(scope="module")
def outcomes():
    command = micropython_command()
    if command is None:
        pytest.fail("the MicroPython unix port is not installed")
    with tempfile.TemporaryDirectory() as scratch:
        run = subprocess.run(
            [command, "-X", "heapsize=8m", os.path.join(ROOT, "tests", "mpy_runner.py"), ROOT,
             "carve_fs_checks"],
            capture_output=True, text=True, timeout=600, env=dict(os.environ,
                                                                  RESLIP_SCRATCH=scratch))
    assert "DONE" in run.stdout, run.stdout[-4000:] + run.stderr[-4000:]
    return parse_runner_output(run.stdout)


@pytest.mark.parametrize("name", _NAMES)
def test_on_micropython(outcomes, name):
    assert name in outcomes, "did not run"
    assert outcomes[name] is None, outcomes[name]
