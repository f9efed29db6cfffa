# Quick start: `make demo` and `make test`. Both bootstrap .venv themselves, from the lock files.
#
# requirements/lock.txt (runtime) and requirements/dev.txt (runtime + dev extras) pin every
# package with its hashes for Python 3.11+ on every platform; `make lock` refreshes them from
# pyproject.toml's ranges. .venv is rebuilt from scratch whenever a lock file or pyproject.toml
# changes, so it holds exactly what the lock says.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= demo.duckdb
LOCK := requirements/lock.txt
DEVLOCK := requirements/dev.txt
PIP := $(BIN)/python -m pip --disable-pip-version-check
# Every test and benchmark launches the Chromium this prints (installing one if need be).
CHROMIUM := $(BIN)/python scripts/chromium.py
# `make lock` runs uv from its own small venv (pinned in requirements/tools.txt), so it works
# even when .venv cannot be built because pyproject.toml and the locks disagree.
UV := .venv-lock/bin/uv
TOOLS := requirements/tools.txt
UVC := $(UV) pip compile --universal --generate-hashes --python-version 3.11 \
	--custom-compile-command "make lock" --quiet
COMPILE := $(UVC) pyproject.toml requirements/build.in

# $(call compile,OPTIONS,LOCKFILE): resolve into a copy (uv keeps the pins it finds there unless
# told --upgrade), then move it over LOCKFILE only if it differs.
define compile
	cp $(2) $(2).new
	$(COMPILE) $(1) -o $(2).new
	if cmp -s $(2).new $(2); then rm $(2).new; else mv $(2).new $(2); echo "$(2) updated"; fi
endef

.PHONY: demo test lint unit bench-quick docs golden lock lock-upgrade clean

$(VENV)/.runtime: $(LOCK) $(DEVLOCK) pyproject.toml
	$(PYTHON) -m venv --clear $(VENV)
	$(PIP) install --quiet --require-hashes -r $(LOCK)
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	$(PIP) check
	@touch $@

$(VENV)/.dev: $(DEVLOCK) $(VENV)/.runtime
	$(PIP) install --quiet --require-hashes -r $(DEVLOCK)
	$(PIP) check
	@touch $@

demo: $(VENV)/.runtime
	rm -f $(DB)
	$(BIN)/podreplay ingest sample_logs --db $(DB)
	$(BIN)/podreplay stats --db $(DB)
	$(BIN)/podreplay report --db $(DB) --out report.html
	@echo "open report.html in a browser; try: $(BIN)/podreplay timeline --db $(DB) <pod>"

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy podreplay
	$(BIN)/lint-imports

unit: $(VENV)/.dev
	@chromium=$$($(CHROMIUM)) && echo "browser tests use $$chromium" && \
	  PODREPLAY_CHROMIUM="$$chromium" $(BIN)/pytest -q

test: lint unit

bench-quick: $(VENV)/.dev
	@chromium=$$($(CHROMIUM)) && \
	  PODREPLAY_CHROMIUM="$$chromium" $(BIN)/python bench/run.py --quick

docs: $(VENV)/.dev
	$(BIN)/typer podreplay.cli utils docs --name podreplay --output docs/cli.md

# Rewrite tests/data/golden/ (what tests/test_same_bytes.py compares against) from the code as it
# is: only for an intended change of output, and read the diff before committing it.
golden: $(VENV)/.dev
	$(BIN)/python -m tests.support.golden

$(UV): $(TOOLS)
	$(PYTHON) -m venv --clear .venv-lock
	.venv-lock/bin/python -m pip --disable-pip-version-check install --quiet --require-hashes -r $(TOOLS)
	@touch $@

# Re-resolve after editing pyproject.toml's dependencies, keeping every pin that still fits.
# A lock file is replaced only if its content changes (so .venv is rebuilt only then).
lock: $(UV)
	$(call compile,,$(LOCK))
	$(call compile,--extra dev,$(DEVLOCK))

# Move every pin to the newest release pyproject.toml's ranges allow (uv itself included).
lock-upgrade: $(UV)
	$(call compile,--upgrade,$(LOCK))
	$(call compile,--upgrade --extra dev,$(DEVLOCK))
	cp $(TOOLS) $(TOOLS).new
	$(UVC) --upgrade requirements/tools.in -o $(TOOLS).new
	if cmp -s $(TOOLS).new $(TOOLS); then rm $(TOOLS).new; else mv $(TOOLS).new $(TOOLS); fi

clean:
	rm -rf $(VENV) .venv-lock $(DB) report.html .pytest_cache .mypy_cache .ruff_cache
