# The README's two commands are `make demo` and `make test`; both set up the
# virtual environment first, so a fresh clone needs nothing installed by hand.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
DEMO_OUT ?= demo-output
POWERCUT_OPERATIONS ?= 20000

.PHONY: demo test bench powercut campaigns clean setup

setup: $(READY)

$(READY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(READY)

demo: $(READY)
	$(BIN)/reslip demo --out $(DEMO_OUT)

test: $(READY)
	$(BIN)/pytest -q

bench: $(READY)
	$(BIN)/python bench/run.py --out bench/results.json

# The whole power-cut campaign on the journal (the test suite runs a slice of it).
powercut: $(READY)
	$(BIN)/python tests/test_journal_powercut.py --operations $(POWERCUT_OPERATIONS)

# Every fault campaign at full size (the test suite runs a slice of each); the
# counts go into the table of docs/reliability.md.
campaigns: $(READY)
	$(BIN)/python tests/campaigns/run.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .hypothesis
