# hbkit: every target creates .venv when it is missing and installs into it.
#   make demo   train HBPO and the comparison runs on hbpo-math, write runs/demo/report.html
#   make test   the test suite (notebooks and the browser test included)
#   make lint   ruff (style, imports, bugs), mypy (types), lint-imports (layers)
#   make lab    JupyterLab on notebooks/
#   make bench  speed and quality benchmarks -> benchmarks/RESULTS.md
#   make html   the executed notebooks as static HTML in build/html/

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.hbkit-installed
# torch (CPU build) must be installed before stable-baselines3, or pip pulls a multi-GB CUDA build.
TORCH  := torch==2.13.0
WHEELS := $(wildcard /opt/wheels)
PIPFLAGS := $(if $(WHEELS),--find-links $(WHEELS),)

.PHONY: install demo test lint lab bench html clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(PIPFLAGS) "$(TORCH)"
	$(BIN)/python -m pip install --quiet $(PIPFLAGS) -e ".[sb3,lab,dev]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/hbkit demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

html: $(STAMP)
	HBKIT_STATIC=1 HBKIT_FAST=$${HBKIT_FAST:-0} $(BIN)/jupyter nbconvert --to html --execute \
		--ExecutePreprocessor.timeout=600 --output-dir build/html notebooks/*.ipynb

clean:
	rm -rf build runs .pytest_cache
