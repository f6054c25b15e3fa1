# `reslip flash` against the board in a box when it fails: what can be checked
# on the PC fails before the port is touched, and a failure or a Ctrl-C after
# the app was stopped leaves the app running again on the active version.
import os
import subprocess
import sys
import time

import pytest
import serial

from reslip import boardbox, deploy
from reslip.link import HostLink


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("flashbox"))
    state = boardbox.start(folder)
    try:
        deploy.flash(state["port"], "unix", progress=lambda line: None)
        yield dict(state, box=folder)
    finally:
        boardbox.stop(folder)


def identify(port_path):
    """The terminal's identity through its service link: only a running app answers."""
    with serial.serial_for_url(port_path, baudrate=115200, timeout=0.2) as port:
        return HostLink(port, timeout_s=1.0, retries=3).identify()


def active_version(box):
    with open(os.path.join(box["box"], "fs", "active")) as file:
        return file.read().strip()


def test_broken_settings_fail_before_the_port_is_opened(box, tmp_path, monkeypatch):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    opened = []
    monkeypatch.setattr(deploy, "_open", lambda port: opened.append(port))

    with pytest.raises(deploy.DeployError, match="not valid JSON"):
        deploy.flash(box["port"], "unix", progress=lambda line: None,
                     config_path=str(broken))
    with pytest.raises(deploy.DeployError, match="not a board that can be flashed"):
        deploy.flash(box["port"], "sim", progress=lambda line: None)
    assert opened == []
    assert identify(box["port"]).terminal


def test_cli_broken_settings_leave_the_app_running(box, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    run = subprocess.run([sys.executable, "-m", "reslip.cli", "flash", box["port"],
                          "--config", str(broken)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.startswith("reslip: flash: ") and "not valid JSON" in run.stderr
    assert "Traceback" not in run.stderr
    assert identify(box["port"]).terminal


def test_failure_after_the_app_stopped_starts_it_again_on_the_old_version(box, monkeypatch):
    before = active_version(box)

    def refuse(transport, path, data):
        raise deploy.DeployError("cannot rename %s" % path)

    # A new file to stage, so that the flash reaches the switch and fails there.
    monkeypatch.setattr(deploy, "_write_and_rename", refuse)
    with pytest.raises(deploy.DeployError) as failure:
        deploy.flash(box["port"], "unix", progress=lambda line: None,
                     extra_files={"stamp.txt": b"never booted"})
    assert str(failure.value).startswith("cannot rename ")
    assert str(failure.value).endswith(
        "; the terminal's app was started again on the old version")
    assert active_version(box) == before
    assert identify(box["port"]).terminal


def test_ctrl_c_while_the_board_is_busy_starts_the_app_again(box, monkeypatch):
    before = active_version(box)

    def interrupted_write(self, path, data, chunk_size=256, progress_callback=None):
        # Ctrl-C comes while the board is still busy writing a file. (The unix
        # port reads Ctrl-C from a raw pty only between commands, so the write
        # is one that ends by itself.)
        self.exec_raw_no_follow("import time\n_f = open(%r, 'wb')\n_f.write(%r)\n"
                                "time.sleep_ms(500)\n_f.close()\n" % (path, data[:100]))
        raise KeyboardInterrupt

    from mpremote.transport_serial import SerialTransport
    monkeypatch.setattr(SerialTransport, "fs_writefile", interrupted_write)
    with pytest.raises(KeyboardInterrupt) as interrupt:
        deploy.flash(box["port"], "unix", progress=lambda line: None,
                     extra_files={"stamp.txt": b"interrupted"})
    assert str(interrupt.value) == (
        "interrupted; the terminal's app was started again on the old version")
    assert active_version(box) == before
    assert identify(box["port"]).terminal


def test_unexpected_fault_after_the_app_stopped_still_starts_it_again(box, monkeypatch):
    def broken_state(transport, paths):
        raise RuntimeError("a fault of the tool")

    monkeypatch.setattr(deploy, "_board_state", broken_state)
    with pytest.raises(RuntimeError, match="a fault of the tool"):
        deploy.flash(box["port"], "unix", progress=lambda line: None)
    assert identify(box["port"]).terminal


def test_a_flash_after_the_failures_still_installs(box):
    result = deploy.flash(box["port"], "unix", progress=lambda line: None,
                          extra_files={"stamp.txt": b"installed"})
    assert result.switched
    with open(os.path.join(box["box"], "fs", result.slot, "stamp.txt"), "rb") as file:
        assert file.read() == b"installed"
    assert identify(box["port"]).terminal


def test_flash_file_of_the_wrong_size_stops_the_app_at_start_with_the_reason(tmp_path):
    import select

    folder = str(tmp_path / "box")
    state = boardbox.start(folder)
    try:
        deploy.flash(state["port"], "unix", progress=lambda line: None)
        assert identify(state["port"]).terminal  # the app runs: its flash.bin is made
    finally:
        boardbox.stop(folder)

    # The journal's file cut short, as a full disk or a bad copy leaves it.
    flash_file = os.path.join(folder, "flash.bin")
    with open(flash_file, "r+b") as file:
        file.truncate(4096)

    state = boardbox.start(folder)
    try:
        # Read the console as the PC would, without flushing what the board
        # printed at power-on.
        console = os.open(state["port"], os.O_RDWR | os.O_NOCTTY)
        printed = b""
        try:
            deadline = time.monotonic() + 15
            while b"1048576" not in printed and time.monotonic() < deadline:
                if select.select([console], [], [], 0.1)[0]:
                    printed += os.read(console, 4096)
        finally:
            os.close(console)
        text = printed.decode("utf-8", "replace")
        assert "flash.bin is 4096 bytes, not 1048576" in text, text
        with pytest.raises(Exception):
            identify(state["port"])
    finally:
        boardbox.stop(folder)
    assert os.path.getsize(flash_file) == 4096
