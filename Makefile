# The two commands a newcomer needs: `make lab` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup lab test bench clean-lab

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("labkit needs Python 3.10 or newer") if sys.version_info < (3, 10) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

test: $(STAMP)
	$(BIN)/ruff check labkit tests bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest tests
	$(BIN)/python tests/nbval_run.py

bench: $(STAMP)
	$(BIN)/python bench/core_scenario.py --max-ratio 1.15 --max-sim-ratio 0.2
	$(BIN)/python bench/sim_memory.py --max-mb 100
	$(BIN)/python bench/first_command.py --max-extra-ms 10
	$(BIN)/python bench/course_nbval.py --max-sim-seconds 60
	$(BIN)/python bench/grade_jobs.py --max-ratio 0.65

clean-lab: $(STAMP)
	$(BIN)/labkit clean
