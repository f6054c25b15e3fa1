# Settings: config.json underneath, the terminal's changes in a file over it,
# written whole then renamed.
import os

from scratch import scratch_path
from terminal.settings import Settings

BASE = {"copies": 2, "merchant_no": "123456789012345", "pins": {"admin": "x"}}


def fresh_path(name):
    path = scratch_path(name)
    for leftover in (path, path + ".new"):
        try:
            os.remove(leftover)
        except OSError:
            pass
    return path


def test_changes_lie_over_the_base_and_survive_a_reload():
    path = fresh_path("settings-a.json")
    settings = Settings(dict(BASE), path)
    assert settings.get("copies") == 2
    settings.set("copies", 3)
    settings.update({"training": True, "density": 4})
    assert settings.get("copies") == 3 and settings.values["training"] is True

    again = Settings(dict(BASE), path)
    assert again.get("copies") == 3
    assert again.get("density") == 4
    assert again.get("merchant_no") == "123456789012345"
    # The new file was renamed over the old one, not left beside it.
    try:
        os.stat(path + ".new")
    except OSError:
        return
    raise AssertionError("the .new file was left behind")


def test_the_base_dict_is_never_written():
    base = dict(BASE)
    settings = Settings(base, fresh_path("settings-b.json"))
    settings.set("copies", 1)
    assert base["copies"] == 2
    assert settings.get("copies") == 1


def test_a_change_back_to_the_base_value_drops_it():
    path = fresh_path("settings-c.json")
    settings = Settings(dict(BASE), path)
    settings.set("copies", 3)
    settings.set("copies", 2)
    assert "copies" not in settings.changes
    with open(path) as file:
        assert "copies" not in file.read()


def test_a_damaged_changes_file_falls_back_to_the_base():
    path = fresh_path("settings-d.json")
    with open(path, "w") as file:
        file.write('{"copies": 3, "trai')
    settings = Settings(dict(BASE), path)
    assert settings.get("copies") == 2
    settings.set("density", 2)
    assert Settings(dict(BASE), path).get("density") == 2


def test_a_cut_between_remove_and_rename_keeps_the_new_file():
    # The changes file is gone and only the whole ".new" one is there.
    path = fresh_path("settings-e.json")
    with open(path + ".new", "w") as file:
        file.write('{"copies": 1}')
    assert Settings(dict(BASE), path).get("copies") == 1


def test_a_half_written_new_file_beside_the_old_one_is_ignored():
    path = fresh_path("settings-f.json")
    Settings(dict(BASE), path).set("copies", 3)
    with open(path + ".new", "w") as file:
        file.write('{"copies": ')
    assert Settings(dict(BASE), path).get("copies") == 3


def test_without_a_path_changes_stay_in_ram():
    settings = Settings(dict(BASE))
    settings.set("copies", 1)
    assert settings.get("copies") == 1
    assert "copies" in settings
    assert settings.get("nothing", "default") == "default"
