# vpcrawl: every command a newcomer needs. `make demo` and `make test` work on a fresh clone.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint bench clean

$(BIN)/vpcrawl: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $(BIN)/vpcrawl

install: $(BIN)/vpcrawl

demo: install
	$(BIN)/vpcrawl demo --out output/demo.jsonl

test: install
	$(BIN)/ruff check vpcrawl tests benchmarks
	$(BIN)/pytest

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf output .pytest_cache build *.egg-info
