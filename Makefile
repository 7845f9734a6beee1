# Quiver: everything a fresh machine with Python 3.11+ and pip needs.
#   make serve   install into .venv and run the server (SQLite + files under ./data)
#   make test    the whole test suite (real pip, uv, twine against a real server)
#   make lint    ruff + mypy --strict
#   make bench   speed and memory benchmarks against a real server

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
STAMP := $(VENV)/.synced

export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
# pip and uv in the bootstrap must not pick up this machine's own index settings
export UV_NO_CONFIG := 1

# twine 6.2 and later allow --skip-existing only for PyPI; the tests check that our 409
# works with the last twine that allows it, kept in a venv of its own.
TWINE_LEGACY := $(VENV)/tools/twine-6.1/bin/twine

.PHONY: install serve test test-fast lint format lock clean bench

install: $(STAMP)

$(TWINE_LEGACY): $(BIN)/uv
	$(BIN)/uv venv --quiet --python $(BIN)/python $(VENV)/tools/twine-6.1
	$(BIN)/uv pip install --quiet --python $(VENV)/tools/twine-6.1/bin/python "twine==6.1.0"

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): $(BIN)/uv pyproject.toml uv.lock
	$(BIN)/uv sync --frozen --inexact --quiet
	@touch $(STAMP)

serve: install
	$(BIN)/quiver serve

test: install $(TWINE_LEGACY)
	$(BIN)/pytest -n 2 --dist loadscope -q

test-fast: install $(TWINE_LEGACY)
	$(BIN)/pytest -q -m "not e2e"

lint: install
	$(BIN)/ruff check src tests bench plugins
	$(BIN)/ruff format --check src tests bench plugins
	$(BIN)/mypy
	$(BIN)/mypy bench/bench.py

format: install
	$(BIN)/ruff check --fix src tests bench plugins
	$(BIN)/ruff format src tests bench plugins

lock: $(BIN)/uv
	$(BIN)/uv lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

bench: install
	$(BIN)/python bench/bench.py
