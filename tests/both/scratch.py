# A place for test files that works under both runtimes.
import os

_counter = [0]


def scratch_path(name):
    """A fresh path inside the run's scratch folder (RESLIP_SCRATCH, or /tmp)."""
    _counter[0] += 1
    folder = os.getenv("RESLIP_SCRATCH") or "/tmp"
    path = "%s/%d-%s" % (folder, _counter[0], name)
    try:
        os.remove(path)
    except OSError:
        pass
    return path
