# make demo | make test | make bench
#
# Every target creates the virtual environment .venv when it is missing and
# installs zkcheck into it (editable, so benchmarks and tests see the source
# tree) before running. Reinstallation happens when pyproject.toml changes.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test bench lint typecheck unit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/zkcheck demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check zkcheck tests benchmarks
	$(BIN)/ruff format --check zkcheck tests benchmarks

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy zkcheck

unit: $(VENV)/.installed-dev
	$(BIN)/pytest

test: lint typecheck unit

bench: $(VENV)/.installed-dev
	$(BIN)/zkcheck bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
