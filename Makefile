# make demo | make test | make bench | make spec
#
# Every target creates the virtual environment .venv when it is missing and
# installs zkcheck into it (editable, so benchmarks and tests see the source
# tree) before running. Reinstallation happens when pyproject.toml changes.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test bench lint typecheck unit spec clean

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
	$(BIN)/ruff check zkcheck tests benchmarks spec
	$(BIN)/ruff format --check zkcheck tests benchmarks spec

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy zkcheck spec/build.py

unit: $(VENV)/.installed-dev
	$(BIN)/pytest

test: lint typecheck unit

bench: $(VENV)/.installed-dev
	$(BIN)/zkcheck bench

# The specification as one HTML page: spec/build/zkcheck-spec.html.
spec: $(VENV)/.installed-dev
	$(BIN)/python spec/build.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
