# Every target creates .venv and installs what it needs on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

export RUNTIME__DLTHUB_TELEMETRY ?= false
# dbt (analytics/) must not reach the internet
export DBT_SEND_ANONYMOUS_USAGE_STATS ?= false
export DBT_VERSION_CHECK ?= false

.PHONY: install demo test lint format bench soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,dbt,emulator]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/intercom-sync demo
	$(VENV)/bin/intercom-sync report --duckdb-file intercom-demo.duckdb --build-models --output intercom-demo-report.html

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Tests run in parallel (pytest-xdist); an idle worker takes queued tests from a busy one
# (worksteal), so a few long tests do not leave one core idle. One worker more than there are
# cores: about a fifth of a test's time is spent waiting (on subprocesses, sockets, retry and
# rate-limit clocks), and the extra worker runs while another waits (docs/testing.md).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN) + 1 )))

# The tests' files go to tmpfs when it has room: dlt and DuckDB fsync what they write, which a
# disk makes slow. Removed after a passing run (kept after a failure, to look at).
TEST_TMP ?= $(shell avail=$$(df --output=avail -BG /dev/shm 2>/dev/null | tail -1 | tr -dc 0-9); \
	[ "$${avail:-0}" -ge 8 ] && echo /dev/shm/intercom-sync-tests-$$(id -u))

test: lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal $(if $(TEST_TMP),--basetemp=$(TEST_TMP)) $(PYTEST_ARGS)
	$(if $(TEST_TMP),rm -rf $(TEST_TMP))

bench: $(STAMP)
	$(PY) -m bench.run $(BENCH_ARGS)

# Nightly: the convergence scenario for 200+ rounds (SOAK_ARGS="--rounds 500 --seeds 1,2,3").
soak: $(STAMP)
	$(PY) -m tests.convergence.soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.duckdb .intercom-demo intercom-demo-report.html
