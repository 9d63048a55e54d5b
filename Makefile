# The two commands a newcomer needs: `make demo` and `make test`.
# Both do all set-up themselves on a fresh Debian machine with Python >= 3.10.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit ui bench clean postgres chromium packaging pythons

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

## demo: set up, create the demo clinic (synthetic patients only) and start JupyterLab
demo: $(STAMP)
	$(BIN)/kap-notes demo demo-clinic --lab

## test: set up and run every check and test (the browser tests last: their summary ends the run)
test: $(STAMP) lint typecheck packaging pythons unit ui

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks ui-tests
	$(BIN)/ruff format --check src tests benchmarks ui-tests
	$(BIN)/lint-imports
	cd labextension && ../$(BIN)/jlpm lint

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
	$(BIN)/python -m pytest -n auto

## chromium: Debian's browser for the browser tests (never a downloaded one)
chromium:
	@test -x /usr/bin/chromium || \
	  { echo "installing chromium (Debian package)"; \
	    $$([ "$$(id -u)" = 0 ] || echo sudo) apt-get update -qq </dev/null; \
	    $$([ "$$(id -u)" = 0 ] || echo sudo) apt-get install -y chromium </dev/null; }

## ui: browser tests (their own pytest run): real jupyter lab on 127.0.0.1 + headless chromium
ui: $(STAMP) chromium
	$(BIN)/python -m pytest ui-tests

## packaging: sdist and wheel each install without node and pass a smoke test; reproducible wheel
PACKAGING_OUT := $(CURDIR)/build/packaging
packaging: $(STAMP)
	KAP_PACKAGING_OUT=$(PACKAGING_OUT) bash .ci/packaging.sh

## pythons: the unit suite under the oldest and newest Python (3.10, 3.13) against that wheel
pythons: packaging postgres
	KAP_PACKAGING_OUT=$(PACKAGING_OUT) bash .ci/pythons.sh

bench: $(STAMP) chromium postgres
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python benchmarks/vault.py
	$(BIN)/python benchmarks/forms.py
	$(BIN)/python benchmarks/compile.py
	$(BIN)/python benchmarks/pdf.py
	$(BIN)/python benchmarks/lab.py
	$(BIN)/python benchmarks/scale.py

clean:
	rm -rf $(VENV) demo-clinic build dist
