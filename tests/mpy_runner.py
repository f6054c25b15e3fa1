# Runs the test functions of one module under the MicroPython unix port.
#
#   micropython tests/mpy_runner.py ROOT MODULE
#
# Prints one line per test, "PASS name" or "FAIL name" followed by the
# traceback, then "DONE". The pytest plugin in conftest.py reads these lines.
import io
import sys

root = sys.argv[1]
sys.path[:0] = [root + "/tests/both", root + "/firmware", root + "/boards/pc"]
module = __import__(sys.argv[2])

for name in sorted(dir(module)):
    test = getattr(module, name)
    if not name.startswith("test_") or not callable(test):
        continue
    try:
        test()
    except Exception as error:
        trace = io.StringIO()
        sys.print_exception(error, trace)
        print("FAIL", name)
        print(trace.getvalue())
    else:
        print("PASS", name)
print("DONE")
