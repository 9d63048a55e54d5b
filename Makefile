# The two commands a newcomer needs: `make demo` and `make test`.
# Both do all set-up themselves on a fresh Debian machine with Python >= 3.10.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench clean postgres

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

## demo: set up, create the demo clinic (synthetic patients only) and start JupyterLab
demo: $(STAMP)
	$(BIN)/kap-notes demo demo-clinic --lab

## test: set up and run every check and test
test: $(STAMP) lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

## postgres: the PostgreSQL server package the vault tests start a throwaway cluster from
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
	  { echo "installing PostgreSQL (Debian package)"; \
	    $$([ "$$(id -u)" = 0 ] || echo sudo) apt-get update -qq </dev/null; \
	    $$([ "$$(id -u)" = 0 ] || echo sudo) apt-get install -y postgresql </dev/null; }

unit: $(STAMP) postgres
	cd labextension && ../$(BIN)/jlpm test
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/vault.py

clean:
	rm -rf $(VENV) demo-clinic build dist
