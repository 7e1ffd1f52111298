# One command for the main job, one for the tests; both create .venv and install on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
PYTEST_ARGS ?=
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install demo test bench experiments clean

$(PY):
	$(PYTHON) -m venv $(VENV) || { $(PYTHON) -m pip install --user virtualenv && $(PYTHON) -m virtualenv $(VENV); }
	$(PY) -m pip install --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/upconv-tf demo --out demo_output

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS) tests

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

# The paper's experiments on the bundled photos (default CPU budget, ~15-25 min on 2 cores), then docs/RESULTS.md.
experiments: $(STAMP)
	$(PY) experiments/run_all.py

clean:
	rm -rf demo_output .pytest_cache
