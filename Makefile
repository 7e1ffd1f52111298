# One command for the main job, one for the tests; both create .venv and install on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
# The suite on every core (pytest-xdist); a test module's tests stay on one worker, so its module fixtures
# (trained models, demo outputs) are built once; modules run in the order tests/conftest.py gives them (the
# longest first) instead of xdist's most-tests-first.
PYTEST_ARGS ?= -n auto --dist loadfile --no-loadscope-reorder
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install demo test bench experiments clean tfx

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

# TFX retraining pipeline (tfx_pipeline/README.md): sample data on first use, then one run. Natively where
# `import tfx` works, else in a cached Debian 13 root (needs root; ~5 min the first time).
TFX_WORK ?= tfx_work
TFX_DATA ?= $(TFX_WORK)/data
TFX_SERVING ?= $(TFX_WORK)/serving
TFX_ARGS ?=
tfx: $(STAMP)
	test -d $(TFX_DATA) || $(PY) -m tfx_pipeline.sample_data $(TFX_DATA)
	if $(PY) -c "import tfx" 2>/dev/null; then RUN="$(PY) -m tfx_pipeline.local_runner"; \
	else RUN="bash tfx_pipeline/run_in_debian13.sh run"; fi; \
	UPCONV_TFX_BIND="$(abspath $(TFX_WORK)):$(abspath $(TFX_DATA)):$(abspath $(TFX_SERVING))" $$RUN \
	    --data-root $(TFX_DATA) --output-root $(TFX_WORK) --serving-root $(TFX_SERVING) $(TFX_ARGS)

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

# The paper's experiments on the bundled photos (default CPU budget, ~40-50 min on 2 cores), then docs/RESULTS.md.
experiments: $(STAMP)
	$(PY) experiments/run_all.py

clean:
	rm -rf demo_output .pytest_cache
