# Two entry points for a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint unit dagster bench bench-build clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	# dagster-dbt pulls sqlglot's compiled builds, which sqlmesh cannot import; the pure
	# Python sqlglot serves both (see README, "Why the install removes sqlglotc").
	$(BIN)/pip uninstall --quiet -y sqlglotc sqlglotrs
	$(BIN)/python -c "import sqlmesh, dagster_dbt, dbt.version"
	touch $@

install: $(STAMP)

demo: install
	$(BIN)/nudge demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	NUDGE_WAREHOUSE=:memory: $(BIN)/sqlfluff lint models macros tests/dbt

# whole files to two workers, in the order tests/conftest.py gives them (longest first)
unit: install
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder

test: lint unit

# BENCHMARKS.md: time the generator (CONTACTS=100000 make bench)
CONTACTS ?= 100000
bench: install
	$(BIN)/python -m nudge.generator.bench --contacts $(CONTACTS)

# BENCHMARKS.md "Model build (issue 14)": time the dbt builds on a generated store, cached in
# warehouse/bench (CONTACTS=2000 make bench-build; 10000 unless CONTACTS is given; ARGS=
# "--append BENCHMARKS.md" adds the rows; ARGS="--steps run,increment" times only those)
bench-build: install
	$(BIN)/python -m bench.build --contacts $(if $(filter command line environment,$(origin CONTACTS)),$(CONTACTS),10000) $(ARGS)

# issue 14: every mart of a generated store (with a send history; cached in warehouse/bench)
# built at a git ref and by the working tree, compared row for row; fails on any difference
# (REF=a94a2d6 make bench-marts; HEAD unless REF is given; 2000 contacts unless CONTACTS is)
.PHONY: bench-marts
REF ?= HEAD
bench-marts: install
	$(BIN)/python -m bench.marts compare-ref --ref $(REF) --contacts $(if $(filter command line environment,$(origin CONTACTS)),$(CONTACTS),2000) $(ARGS)

# `nudge dagster` installs orchestration/dagster.yaml (queued warehouse runs) in DAGSTER_HOME
DAGSTER_HOME ?= $(CURDIR)/.dagster_home
dagster: install
	DAGSTER_HOME="$(DAGSTER_HOME)" $(BIN)/nudge dagster

clean:
	rm -rf target logs warehouse .dagster_home
