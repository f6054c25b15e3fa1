# The loader `reslip flash` puts at a board's root, run by the MicroPython unix
# port: a locked terminal's app that dies is started again instead of leaving
# the REPL to whoever is on the console; an unlocked one stops as before.
import json
import os
import subprocess

import pytest

from reslip.boardbox import micropython_command
from reslip.deploy import LOADER

# An app that dies on its first two starts, counting them in ../runs.
DYING_APP = """
try:
    runs = int(open("../runs").read())
except OSError:
    runs = 0
open("../runs", "w").write(str(runs + 1))
if runs < 2:
    raise RuntimeError("app died")
"""


def boot(root, config, changes=None):
    (root / "a").mkdir()
    (root / "a" / "main.py").write_text(DYING_APP)
    (root / "a" / "config.json").write_text(json.dumps(config))
    if changes is not None:
        (root / "reslip-settings.json").write_text(json.dumps(changes))
    (root / "active").write_text("a\n")
    (root / "main.py").write_bytes(LOADER)
    run = subprocess.run([micropython_command(), "main.py"], cwd=str(root),
                         capture_output=True, text=True, timeout=30)
    return run, int((root / "runs").read_text())


@pytest.mark.parametrize("config, changes", [
    ({"link_locked": True}, None),
    ({}, {"link_locked": True}),
    ({"link_locked": False}, {"link_locked": True}),
], ids=["config", "changes", "changes-over-config"])
def test_a_locked_terminals_app_is_started_again(tmp_path, config, changes):
    run, runs = boot(tmp_path, config, changes)
    assert runs == 3
    assert run.returncode == 0 and "Traceback" not in run.stdout + run.stderr


@pytest.mark.parametrize("config, changes", [
    ({}, None),
    ({"link_locked": True}, {"link_locked": False}),
], ids=["never-locked", "unlocked"])
def test_an_unlocked_terminals_app_stops_at_its_error(tmp_path, config, changes):
    run, runs = boot(tmp_path, config, changes)
    assert runs == 1
    assert run.returncode != 0 and "app died" in run.stdout + run.stderr
