# The two commands of the README: `make run` (start the app) and `make test` (the whole suite).
# Both create or reuse .venv, install the pinned requirement files and the checkout itself (editable, so that the
# `rnnlab` command, and `dask scheduler`/`dask worker` started from .venv, run this tree without PYTHONPATH).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.rnnlab-installed
PORT ?= 8501

.PHONY: run test venv browser clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --editable .
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m rnnlab.dashboard.server --server.port $(PORT) --server.address 0.0.0.0

browser:
	@bash scripts/ensure-chromium.sh

# Two test processes, each taking whole files: most of a tiny training is single-threaded Python (tracing), so
# two share the two cores.
test: $(STAMP) browser
	$(PY) -m pytest -n 2 --dist loadfile

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
