# The two commands a newcomer needs: `make lab` and `make test`. Each sets itself up.
PYTHON    ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
# `make lab` installs what the course needs to run (labkit, JupyterLab, widgets …); `make test` adds the test
# tools (pytest, nbval, ruff, Playwright, repo2docker …: the `test` extra of pyproject.toml). The venv holds no pip
# and no setuptools of its own (24 MiB the course never runs) when this machine's pip can install into it from
# outside (pip 22.3 or newer: `pip --python`); otherwise it gets its own pip, upgraded only when too old for an
# editable install of a pyproject.toml project, and no setuptools (builds are isolated). `make lab`'s install skips
# compiling every module up front: Python compiles what it imports, on first use (bench/setup_cost.py measures the
# venv and the time to a first JupyterLab).
# This machine's pip when it can serve the venv from outside (and the venv has none of its own), else the venv's.
HOST_PIP  := $(shell $(PYTHON) -m pip --version 2>/dev/null | awk '{split($$2, v, "."); if (v[1] > 22 || (v[1] == 22 && v[2] >= 3)) print "yes"}')
PIP       := $(if $(wildcard $(BIN)/pip)$(if $(HOST_PIP),,no),$(BIN)/python -m pip,$(PYTHON) -m pip --python $(BIN)/python)
RUNTIME   := $(VENV)/.installed
TESTING   := $(VENV)/.installed-test
WORKSPACE ?= workspace
# JupyterLab refuses to start as root unless told; say so only when running as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: setup lab test bench clean-lab

setup: $(RUNTIME)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("labkit needs Python 3.10 or newer") if sys.version_info < (3, 10) else None'
ifeq ($(PIP),$(BIN)/python -m pip)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet 'pip>=23'
	$(PIP) uninstall --quiet --yes setuptools 2>/dev/null || true
else
	$(PYTHON) -m venv --without-pip $(VENV)
endif

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(PIP) install --quiet --no-compile -e .
	@touch $(RUNTIME)

$(TESTING): pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib >/dev/null  # the suite starts hundreds of Pythons: none compiles again
	@touch $(RUNTIME) $(TESTING)

# Your workspace (git-ignored): the course without its outputs, made once and never overwritten; see README.
# `labkit lab` starts JupyterLab there, its terminals and notebooks on the same engine (labkit/admin/launch.py).
lab: $(RUNTIME)
	$(BIN)/labkit workspace --path $(WORKSPACE)
	$(BIN)/labkit lab --path $(WORKSPACE) -- $(ALLOW_ROOT)

test: $(TESTING)
	$(BIN)/ruff check labkit tests bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest tests --durations=25  # the slowest, for the CI budget
	$(BIN)/python tests/nbval_run.py

bench: $(TESTING)
	$(BIN)/python bench/core_scenario.py --max-ratio 1.15 --max-sim-ratio 0.2
	$(BIN)/python bench/sim_memory.py --max-mb 100
	$(BIN)/python bench/first_command.py --max-extra-ms 10
	$(BIN)/python bench/course_nbval.py --max-sim-seconds 60
	$(BIN)/python bench/grade_jobs.py --max-ratio 0.65
	$(BIN)/python bench/grade_cluster.py --min-ratio 1.7
	$(BIN)/python bench/setup_cost.py --max-mb 350 --max-seconds 60

clean-lab: $(RUNTIME)
	$(BIN)/labkit clean
