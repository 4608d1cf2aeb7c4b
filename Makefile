# The README's two commands: `make run` and `make test`. Both bootstrap .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench chaos lint format install clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "mjrelay needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/mjrelay up

# Two pytest workers (pytest-xdist), each with its own embedded PostgreSQL: most integration
# tests wait on sockets and timers, so two cores run the suite in about half the time.
TEST_WORKERS ?= 2

test: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

# Benchmarks beside their baselines (pgqueuer, procrastinate): rewrites docs/benchmarks.md.
$(VENV)/.installed-bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

# The http scenario drives the web process with wrk (Debian's `wrk`), installed here when missing.
bench: $(VENV)/.installed-bench
	@command -v wrk >/dev/null || ! command -v apt-get >/dev/null || \
		{ apt-get install -y -qq wrk >/dev/null 2>&1 || sudo -n apt-get install -y -qq wrk; } || \
		echo "bench: wrk not installed; the http scenario will be skipped"
	$(BIN)/python -m bench

# kill -9 of worker and web processes during 1,000 tasks: rewrites docs/reliability.md.
chaos: $(VENV)/.installed-bench
	$(BIN)/python -m bench.chaos

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache --no-logo

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
