# s0repro — every entry point a user needs. `make install && make test` is the whole set-up.
VENV ?= .venv
PY := $(VENV)/bin/python
SCALE ?= auto  # reproduce-*: full where CUDA is present, tiny otherwise; tables: what is on disk
SEEDS ?=

.PHONY: install test test-all lint

install:
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned: the CPU wheel on local disk; an open range would pull CUDA builds.
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[dev]"

test:
	$(PY) -m pytest -q

test-all:
	$(PY) -m pytest -q -m "not gpu"

lint:  # the whole tree: the package, tests, tables, benchmarks, notebooks
	$(PY) -m ruff check .

# Stage-specific targets (bench, tiny-models, reproduce-*, tables) live one file a concern in mk/.
-include mk/*.mk
