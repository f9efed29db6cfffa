# Quick start: `make demo` and `make test`. Both bootstrap .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= demo.duckdb

.PHONY: demo test lint unit bench-quick docs clean

$(BIN)/podreplay: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

demo: $(BIN)/podreplay
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
	$(BIN)/pytest -q

test: lint unit

bench-quick: $(VENV)/.dev
	$(BIN)/python bench/run.py --quick

docs: $(VENV)/.dev
	$(BIN)/typer podreplay.cli utils docs --name podreplay --output docs/cli.md

clean:
	rm -rf $(VENV) $(DB) report.html .pytest_cache .mypy_cache .ruff_cache
