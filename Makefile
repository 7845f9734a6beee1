# Quiver: everything a fresh machine with Python 3.11+ and pip needs.
#   make serve   install into .venv and run the server (SQLite + files under ./data)
#   make test    the whole test suite (real pip, uv, twine against a real server, and the web
#                pages in a real Chromium: installed from Debian's packages when missing)
#   make lint    ruff + mypy --strict
#   make corpus  fetch the real-world corpus the tests publish (tests/realworld/README.md)
#   make bench   speed and memory benchmarks against a real server
#   make docs    regenerate docs/cli.md and docs/settings.md from the code

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
# Poetry for the end-to-end tests (a source added with `poetry source add`, then `poetry add`),
# kept out of the project's own environment.
POETRY_VERSION := 2.5.1
POETRY := $(VENV)/tools/poetry-$(POETRY_VERSION)/bin/poetry

# A wheelhouse for the tests, which install from it into fresh venvs offline: keyring and its
# dependencies pinned by uv.lock (hashes checked; fetched again only when uv.lock changes) and
# the quiver-keyring wheel (rebuilt whenever the plugin changes).
WHEELHOUSE := $(VENV)/tools/wheelhouse
WHEELHOUSE_DEPS := $(WHEELHOUSE)/requirements.txt
WHEELHOUSE_PLUGIN := $(WHEELHOUSE)/.quiver-keyring-built
KEYRING_PLUGIN := plugins/quiver-keyring
KEYRING_PLUGIN_SOURCES := $(KEYRING_PLUGIN)/pyproject.toml $(KEYRING_PLUGIN)/README.md \
	$(wildcard $(KEYRING_PLUGIN)/src/quiver_keyring/*.py)

# The real-world corpus: real distribution files from the public index, pinned by sha256 in
# tests/realworld/corpus.csv and fetched once into a cache outside the repository (the script
# checks every cached file's hash and downloads only what is missing or wrong). The stamp is
# older than the cache directory whenever a file in it was added or removed, or the directory
# itself was removed: then the fetch runs again, as it does when the list changes.
CORPUS_CSV := tests/realworld/corpus.csv
CORPUS_DIR := $(or $(QUIVER_CORPUS_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/quiver/corpus)
CORPUS_STAMP := $(VENV)/tools/corpus-fetched

# The browser tests (tests/browser) drive Debian's Chromium through Playwright, never a browser
# build of Playwright's own (`playwright install` downloads one: it must not run). Installed
# only when missing; when it cannot be installed, `make test` stops here with the reason.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install serve test test-fast lint format lock clean bench wheelhouse corpus docs chromium

install: $(STAMP)

$(TWINE_LEGACY): $(BIN)/uv
	$(BIN)/uv venv --quiet --python $(BIN)/python $(VENV)/tools/twine-6.1
	$(BIN)/uv pip install --quiet --python $(VENV)/tools/twine-6.1/bin/python "twine==6.1.0"

$(POETRY): $(BIN)/uv
	$(BIN)/uv venv --quiet --python $(BIN)/python $(VENV)/tools/poetry-$(POETRY_VERSION)
	$(BIN)/uv pip install --quiet --python $(VENV)/tools/poetry-$(POETRY_VERSION)/bin/python \
		"poetry==$(POETRY_VERSION)"

wheelhouse: $(WHEELHOUSE_DEPS) $(WHEELHOUSE_PLUGIN)

$(WHEELHOUSE_DEPS): uv.lock | $(STAMP)
	@mkdir -p $(WHEELHOUSE)
	$(BIN)/uv export --quiet --frozen --package quiver-keyring --no-emit-workspace --no-dev \
		--output-file $@.tmp
	PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= $(BIN)/python -m pip download --quiet \
		--disable-pip-version-check --no-deps --only-binary=:all: --require-hashes \
		--requirement $@.tmp --dest $(WHEELHOUSE)
	@mv $@.tmp $@

$(WHEELHOUSE_PLUGIN): $(KEYRING_PLUGIN_SOURCES) | $(STAMP)
	@mkdir -p $(WHEELHOUSE)
	rm -f $(WHEELHOUSE)/quiver_keyring-*.whl
	$(BIN)/uv build --quiet --wheel $(KEYRING_PLUGIN) --out-dir $(WHEELHOUSE)
	@touch $@

corpus: $(CORPUS_STAMP)

$(CORPUS_STAMP): $(CORPUS_CSV) tests/realworld/corpus.py $(CORPUS_DIR) | $(STAMP)
	$(BIN)/python tests/realworld/corpus.py fetch --dest "$(CORPUS_DIR)"
	@mkdir -p $(dir $@)
	@touch $@

$(CORPUS_DIR):
	@mkdir -p "$@"

chromium: $(CHROMIUM)

$(CHROMIUM):
	@command -v apt-get >/dev/null || { \
		echo "make: $@ is missing and there is no apt-get here: install Chromium at $@" >&2; \
		exit 1; }
	$(SUDO) apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
	@test -x $@ || { echo "make: apt-get installed chromium but $@ is not there" >&2; exit 1; }

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): $(BIN)/uv pyproject.toml uv.lock
	$(BIN)/uv sync --frozen --inexact --quiet
	@touch $(STAMP)

serve: install
	$(BIN)/quiver serve

test: install $(TWINE_LEGACY) $(POETRY) $(WHEELHOUSE_DEPS) $(WHEELHOUSE_PLUGIN) corpus \
		$(CHROMIUM)
	$(BIN)/pytest -n 2 --dist loadscope -q

test-fast: install $(TWINE_LEGACY)
	$(BIN)/pytest -q -m "not e2e"

lint: install
	$(BIN)/ruff check src tests bench plugins
	$(BIN)/ruff format --check src tests bench plugins
	$(BIN)/mypy
	$(BIN)/mypy bench/bench.py bench/pages.py

format: install
	$(BIN)/ruff check --fix src tests bench plugins
	$(BIN)/ruff format src tests bench plugins

lock: $(BIN)/uv
	$(BIN)/uv lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

bench: install
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/pages.py

docs: install
	$(BIN)/python scripts/gen_docs.py
