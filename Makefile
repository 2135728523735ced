# Two commands from a fresh clone: `make demo` and `make test`.
# Everything lives in .venv; nothing is installed system-wide.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint typecheck pytest docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# One stamp per install flavour; re-run when the dependencies change.
$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev]'
	@touch $@ $(VENV)/.runtime

demo: $(VENV)/.runtime
	$(BIN)/vnsign demo

test: lint typecheck pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests examples bench scripts
	$(BIN)/ruff format --check src tests examples bench scripts

typecheck: $(VENV)/.dev
	$(BIN)/mypy

# -ra lists every skipped interop test with the tool it was missing.
# coverage wraps pytest (rather than pytest-cov) because the vnsign pytest plugin
# imports vnsign before pytest-cov would start measuring.
pytest: $(VENV)/.dev
	$(BIN)/coverage run -m pytest -ra
	$(BIN)/coverage report

docs: $(VENV)/.dev
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

# The figures of docs/performance.md; minutes, and best on an otherwise idle machine.
bench: $(VENV)/.dev
	for b in pdf_bench pdf_deferred_bench xml_bench verify_bench pki_validation_bench; do \
		$(BIN)/python bench/$$b.py || exit 1; done
	$(BIN)/python bench/remote_bench.py --mixed

clean:
	rm -rf $(VENV) docs/_build .pytest_cache .mypy_cache .ruff_cache .coverage
