# Two commands matter: `make demo` and `make test`. Both install what they need.
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
RUN := $(UV) run --frozen --no-sync
SIZE ?= small

export GX_ANALYTICS_ENABLED := False
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := False

.PHONY: install demo test lint format dev dev-demo clean

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

# The dbt manifest is part of the install: Dagster loads dbt assets from it.
$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	$(RUN) trustgap prepare
	touch $@

install: $(VENV)/.installed

demo: install
	$(RUN) trustgap demo --size $(SIZE)

test: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports
	$(RUN) sqlfluff lint dbt_project/models dbt_project/macros --processes 2
	$(RUN) pytest

# The benchmark (minutes; not part of `make test`): make bench BENCH="--sizes S --latency-ms 150"
.PHONY: bench
bench: BENCH ?= --sizes S,M --incremental
bench: install
	$(RUN) python -m benchmarks.run $(BENCH)

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports
	$(RUN) sqlfluff lint dbt_project/models dbt_project/macros --processes 2

format: install
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

dev: install
	DAGSTER_HOME=$(CURDIR)/data/dagster_home $(RUN) trustgap prepare
	DAGSTER_HOME=$(CURDIR)/data/dagster_home $(RUN) dagster dev -w workspace.yaml

# The same code location with the embedded demo CRM as `crm` (no credentials needed).
dev-demo: install
	DAGSTER_HOME=$(CURDIR)/data/dagster_home $(RUN) trustgap prepare
	DAGSTER_HOME=$(CURDIR)/data/dagster_home $(RUN) dagster dev -m demo.definitions

clean:
	rm -rf $(VENV) $(TOOLS) dbt_project/target dbt_project/logs data
