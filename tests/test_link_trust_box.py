# Who may talk to the terminal, end to end on the board in a box: a key set
# by `reslip provision`, pulls and sales refused without it, a locked console
# that Ctrl-C and `reslip flash` cannot get past until the admin opens the
# service window at the keypad, and locked again after.
import os
import subprocess
import sys
import time

import pytest
import serial

from reslip import boardbox, deploy
from reslip.link import HostLink, NotAuthenticated, read_key_file
from reslip.provision import provision
from reslip.pull import pull

SCREEN_WAIT_S = 15
OPEN_SERVICE_WINDOW = "B 1234 # 8 9999 # 8 #"  # operator PIN, admin, 8, ENTER


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("trustbox"))
    key_file = os.path.join(folder, "terminal.key")
    state = boardbox.start(folder)
    try:
        deploy.flash(state["port"], "unix", progress=lambda line: None)
        done = provision(state["port"], key_file)
        assert done.new_key and not done.locked
        yield dict(state, box=folder, key_file=key_file)
    finally:
        boardbox.stop(folder)


def identity(port_path, key=None):
    with serial.serial_for_url(port_path, baudrate=115200, timeout=0.05) as port:
        return HostLink(port, timeout_s=1.0, retries=4, key=key).identify(
            prove_key=key is not None)


def reslip(*words, env=None):
    return subprocess.run([sys.executable, "-m", "reslip.cli"] + list(words),
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, **(env or {})))


def wait_for_screen(box, text):
    deadline = time.monotonic() + SCREEN_WAIT_S
    while text not in boardbox.read_screen(box["box"]):
        if time.monotonic() > deadline:
            raise AssertionError("the screen never showed %r:\n%s"
                                 % (text, boardbox.read_screen(box["box"])))
        time.sleep(0.02)


def open_service_window(box):
    wait_for_screen(box, "READY")
    boardbox.press_keys(box["box"], OPEN_SERVICE_WINDOW.replace(" ", ""))
    wait_for_screen(box, "SERVICE OPEN")
    boardbox.press_keys(box["box"], "CCC")
    wait_for_screen(box, "READY")


def test_pull_needs_the_provisioned_key(box, tmp_path):
    key = read_key_file(box["key_file"])
    figures = identity(box["port"])
    assert figures.key_set and figures.count == 0 and figures.terminal == "00000001"

    refused = reslip("pull", box["port"], "--db", str(tmp_path / "a.sqlite"),
                     env={"RESLIP_KEY_FILE": ""})
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith(
        "reslip: pull: the terminal refused: not authenticated (wrong or missing key)")

    wrong = tmp_path / "wrong.key"
    wrong.write_text("ab" * 32)
    refused = reslip("pull", box["port"], "--db", str(tmp_path / "a.sqlite"),
                     "--key-file", str(wrong))
    assert "not authenticated (wrong or missing key)" in refused.stderr

    summary = pull(box["port"], str(tmp_path / "b.sqlite"), key=key)
    assert summary.export_note == ""
    pulled = reslip("pull", box["port"], "--db", str(tmp_path / "c.sqlite"),
                    env={"RESLIP_KEY_FILE": box["key_file"]})
    assert pulled.returncode == 0, pulled.stderr

    with pytest.raises(NotAuthenticated):
        with serial.serial_for_url(box["port"], baudrate=115200, timeout=0.05) as port:
            HostLink(port, timeout_s=1.0).status()


def test_a_register_sale_needs_the_key(box):
    refused = reslip("sale", "3.00", box["port"], "--method", "card", "--card",
                     "4111 1111 1111 4242", env={"RESLIP_KEY_FILE": ""})
    assert refused.returncode == 1
    assert "not authenticated (wrong or missing key)" in refused.stderr
    assert "the sale was not recorded" in refused.stderr


def test_locked_console_refuses_ctrl_c_and_flash_until_the_service_window(box):
    port = box["port"]
    key = read_key_file(box["key_file"])
    done = provision(port, box["key_file"], lock=True)
    assert done.locked and not done.new_key

    # Ctrl-C and the REPL's own keys do not stop the app.
    with serial.serial_for_url(port, baudrate=115200, timeout=0.05) as line:
        line.write(b"\r\x03\x03\x01\x02\x03\r\n")
        time.sleep(0.5)
        heard = line.read(4096)
    assert b">>>" not in heard and b"raw REPL" not in heard
    assert identity(port, key).locked

    # flash says what to do, within seconds, and the app keeps running.
    started = time.monotonic()
    failed = reslip("flash", port)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert failed.stderr.startswith("reslip: flash: terminal 00000001 is locked")
    assert "service window" in failed.stderr and "keypad" in failed.stderr
    assert time.monotonic() - started < 15
    assert identity(port, key).locked

    # The admin opens the window at the keypad: now flash gets in.
    open_service_window(box)
    figures = identity(port, key)
    assert figures.locked and figures.service_open
    result = deploy.flash(port, "unix", progress=lambda line: None,
                          extra_files={"stamp.txt": b"flashed in the service window"})
    assert result.switched

    # The app started again is locked, its window closed.
    wait_for_screen(box, "READY")
    figures = identity(port, key)
    assert figures.locked and not figures.service_open
    with pytest.raises(deploy.DeployError, match="is locked"):
        deploy.flash(port, "unix", progress=lambda line: None)

    # Unlocking is provisioning too: it needs the window as well.
    with pytest.raises(deploy.DeployError, match="is locked"):
        provision(port, box["key_file"], lock=False)
    open_service_window(box)
    assert not provision(port, box["key_file"], lock=False).locked
    assert not identity(port, key).locked
    # Unlocked, flash gets in with no window open.
    deploy.flash(port, "unix", progress=lambda line: None)
    wait_for_screen(box, "READY")
    assert not identity(port, key).locked
