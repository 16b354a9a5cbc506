# All set-up happens here: `make train` and `make test` create/refresh .venv themselves.
VENV ?= .venv
PY := $(VENV)/bin/python
ARGS ?=

.PHONY: train test test-slow bench sysdeps clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

sysdeps:
	@scripts/install-sysdeps.sh

train: $(VENV)/.installed
	$(PY) -m hwmodel train --mode both $(ARGS)

test: $(VENV)/.installed sysdeps
	$(PY) -m pytest -q $(ARGS)

test-slow: $(VENV)/.installed sysdeps
	$(PY) -m pytest -q -m slow $(ARGS)

bench: $(VENV)/.installed
	$(PY) bench/bench_model.py

clean:
	rm -rf $(VENV) sim_build runs .pytest_cache
