# The README's quick start: `make render` (set up + render the dev stack offline), `make test`.
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: setup render test lint bench

# The stamp is rebuilt whenever a requirements file changes, so `make` after a pin bump upgrades.
$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

render: $(STAMP)
	$(VENV)/bin/python -m fhir_apps render --environment dev --stack dev

test: $(STAMP)
	$(VENV)/bin/python -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(VENV)/bin/python -m benchmarks.scale --cli --repeat 3 --startup-repeat 9
