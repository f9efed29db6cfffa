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
COMPILE := $(BIN)/uv pip compile pyproject.toml requirements/build.in --universal \
	--generate-hashes --python-version 3.11 --custom-compile-command "make lock" --quiet

.PHONY: demo test lint unit bench-quick docs lock lock-upgrade clean

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

# Re-resolve after editing pyproject.toml's dependencies, keeping every pin that still fits.
lock: $(VENV)/.dev
	$(COMPILE) -o $(LOCK)
	$(COMPILE) --extra dev -o $(DEVLOCK)

# Move every pin to the newest release pyproject.toml's ranges allow.
lock-upgrade: $(VENV)/.dev
	$(COMPILE) --upgrade -o $(LOCK)
	$(COMPILE) --upgrade --extra dev -o $(DEVLOCK)

clean:
	rm -rf $(VENV) $(DB) report.html .pytest_cache .mypy_cache .ruff_cache
