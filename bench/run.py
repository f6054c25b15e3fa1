"""`make bench`: measures the project against its baselines, side by side in one run.

Each module bench/bench_<section>.py has `run(report)` and calls
`report(name, value, unit, baseline=None, bar=None, better="lower", note="")`
once per metric. `bar` is the target; `better` says which side of it passes.
Everything lands in bench/results.json, one entry per metric.
"""

import argparse
import importlib
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

SECTIONS = sorted(name[len("bench_"):-len(".py")] for name in os.listdir(HERE)
                  if name.startswith("bench_") and name.endswith(".py"))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=os.path.join(HERE, "results.json"))
    parser.add_argument("--only", help="comma-separated sections to run")
    args = parser.parse_args()
    wanted = args.only.split(",") if args.only else SECTIONS

    metrics = {}

    def report(name, value, unit, baseline=None, bar=None, better="lower", note=""):
        passed = None
        if bar is not None:
            passed = value <= bar if better == "lower" else value >= bar
        metrics[name] = {"value": value, "unit": unit, "baseline": baseline, "bar": bar,
                         "better": better, "pass": passed, "note": note}
        mark = "" if passed is None else ("  ok" if passed else "  MISSES BAR")
        print("%-48s %12s %-10s baseline %-10s bar %s%s" % (
            name, _show(value), unit, _show(baseline), _show(bar), mark))

    for section in wanted:
        started = time.monotonic()
        importlib.import_module("bench_" + section).run(report)
        print("  (%s: %.1f s)" % (section, time.monotonic() - started))

    results = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.platform(),
               "cpus": os.cpu_count(), "metrics": metrics}
    with open(args.out, "w") as file:
        json.dump(results, file, indent=2)
        file.write("\n")
    print("written to %s" % args.out)
    missed = [name for name, metric in metrics.items() if metric["pass"] is False]
    if missed:
        print("metrics that miss their bar: %s" % ", ".join(missed))


def _show(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return "%.3g" % value
    return str(value)


if __name__ == "__main__":
    main()
