# The two commands a newcomer runs (README): `make demo`, then `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-pg lint i18n console clean

# constraints.txt pins the versions we test with (pyproject.toml keeps the ranges that work).
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/dsr demo

console: $(STAMP)
	$(BIN)/dsr console

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

# The same suite on PostgreSQL: a throwaway database, dropped afterwards.
test-pg: $(STAMP)
	bash .ci/pg-tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

i18n: $(STAMP)
	$(BIN)/python scripts/i18n.py

clean:
	rm -rf $(VENV) data
