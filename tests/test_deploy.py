# `reslip flash` without a board: what goes into a version, and its refusals.
import json

import pytest

from reslip import deploy


def test_image_holds_firmware_board_and_its_settings(tmp_path):
    image = deploy.build_image("unix", str(tmp_path))
    assert {"main.py", "board.mpy", "config.json", "gb2312.bin",
            "lib/terminal/link.mpy", "lib/norflash.mpy"} <= set(image)
    assert not any(path.endswith("_cpython.mpy") for path in image)
    assert image["lib/terminal/link.mpy"][:1] == b"M"  # a .mpy header

    config = tmp_path / "shop.json"
    config.write_text(json.dumps({"merchant_name": "OTHER SHOP"}))
    image = deploy.build_image("unix", str(tmp_path / "out"), config_path=str(config))
    assert json.loads(image["config.json"])["merchant_name"] == "OTHER SHOP"


def test_bad_settings_and_boards_are_refused_before_any_copy(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(deploy.DeployError, match="not valid JSON"):
        deploy.build_image("unix", str(tmp_path), config_path=str(broken))
    with pytest.raises(deploy.DeployError, match="no board named 'nosuch'"):
        deploy.build_image("nosuch", str(tmp_path))


def test_loader_boots_the_named_version_or_any_whole_one(tmp_path):
    # The loader run by the MicroPython unix port over folders laid out as on a board.
    import os
    import subprocess

    from reslip.boardbox import micropython_command

    (tmp_path / "main.py").write_bytes(deploy.LOADER)
    for slot in ("a", "b"):
        (tmp_path / slot).mkdir()
        (tmp_path / slot / "main.py").write_text("print('running', %r)\n" % slot)

    def boot():
        return subprocess.run([micropython_command(), "main.py"], cwd=tmp_path, capture_output=True,
                              text=True, timeout=30).stdout.strip()

    (tmp_path / "active").write_text("b\n")
    assert boot() == "running b"
    (tmp_path / "active").write_text("\x00garbage")
    assert boot() == "running a"
    os.remove(tmp_path / "a" / "main.py")  # a version cut short while staged
    assert boot() == "running b"
