# Fault campaigns: each family injects one kind of fault at every place it can
# land (or over many seeds) and counts the cases that lost or corrupted
# anything. A family is a function family(size) -> (cases_run, cases_lost,
# details), `size` being how many cases to aim for; `details` is a short list
# of what went wrong (empty when nothing did) plus notes on what ran.
#
# tests/test_campaigns.py runs a bounded slice of every family under pytest;
# `make campaigns` (tests/campaigns/run.py) runs them whole and writes the
# counts into docs/reliability.md.
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
for _folder in ("firmware", os.path.join("boards", "pc"), os.path.join("tests", "both"),
                "tests"):
    _path = os.path.join(ROOT, _folder)
    if _path not in sys.path:
        sys.path.insert(0, _path)


class Family:
    """One row of the table: the campaign, its sizes, and how to read it."""

    def __init__(self, name, run, ci_size, full_size, injected, lost_means):
        self.name = name
        self.run = run
        self.ci_size = ci_size
        self.full_size = full_size
        self.injected = injected
        self.lost_means = lost_means


class Outcome:
    """Counts cases and keeps the first few failures, named."""

    def __init__(self, keep=20):
        self.cases = 0
        self.lost = 0
        self.details = []
        self.notes = []  # what ran, for the report: not failures
        self.keep = keep

    def case(self, failure=None):
        self.cases += 1
        if failure:
            self.lost += 1
            if len(self.details) < self.keep:
                self.details.append(failure)

    def check(self, run_case, name):
        """Runs one case; an AssertionError (or any exception) is a loss named `name`."""
        try:
            run_case()
        except Exception as error:  # a campaign counts every failure, whatever its kind
            self.case("%s: %s: %s" % (name, type(error).__name__, error))
        else:
            self.case()

    def result(self):
        return self.cases, self.lost, self.details + self.notes
