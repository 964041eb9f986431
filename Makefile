# sdg: `make demo` runs the quickstart on the embedded model, `make test` runs every test.
# Both create .venv on first use and reinstall only when a pyproject.toml changes.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check
PLUGINS := $(sort $(wildcard plugins/sdg-*))
PLUGIN_EDITABLES := $(foreach p,$(PLUGINS),-e $(p))
# Each plugin's `test` extra holds what its tests need (models, optional libraries).
PLUGIN_TESTABLES := $(foreach p,$(PLUGINS),-e '$(p)[test]')
PROJECTS := pyproject.toml $(foreach p,$(PLUGINS),$(p)/pyproject.toml)

.PHONY: demo test venv docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q hatchling editables

# Core + every plugin + test tools.
$(VENV)/.test-installed: $(BIN)/python $(PROJECTS)
	$(PIP) install -q --no-build-isolation -e '.[test]' $(PLUGIN_TESTABLES)
	@touch $@

# Core + every plugin + the embedded model (llama-cpp-python compiles once, then pip caches it).
$(VENV)/.demo-installed: $(BIN)/python $(PROJECTS)
	$(PIP) install -q --no-build-isolation -e '.[embedded]' $(PLUGIN_EDITABLES)
	@touch $@

venv: $(VENV)/.test-installed

test: $(VENV)/.test-installed
	$(BIN)/python -m pytest

demo: $(VENV)/.demo-installed
	$(BIN)/sdg run examples/quickstart.yaml

# Regenerate docs/config.md from the config classes (a test fails when it is stale).
docs: $(VENV)/.test-installed
	$(BIN)/python -m sdgcore.config.reference > docs/config.md

clean:
	rm -rf $(VENV) runs .pytest_cache
