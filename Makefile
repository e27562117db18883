# Two commands matter: `make demo` and `make test`. Both install what they need.
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
RUN := $(UV) run --frozen --no-sync
SIZE ?= small
# pytest workers for `make test` (pytest-xdist; each test module stays on one worker, so
# a module's shared fixtures are built once). Two fit the 2-core CI machine: three took
# 16 min against 15 (session 17; the suite is CPU-bound, the Spark JVM then short of it).
TEST_WORKERS ?= 2

export GX_ANALYTICS_ENABLED := False
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := False

.PHONY: install browser java demo test lint format dev dev-demo clean

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

# The dbt manifest is part of the install: Dagster loads dbt assets from it.
# Bytecode is compiled once here: uv does not by default, and where Python may not write
# it (PYTHONDONTWRITEBYTECODE, a read-only venv) every run, and every dbt process in it,
# compiled Dagster, dbt and great-expectations again: ~6 s of CPU per nightly run.
$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	@echo "Installing Trustgap's Python environment (.venv) and parsing the dbt project..."
	@$(UV) sync --frozen --quiet --compile-bytecode
	@$(RUN) trustgap prepare
	@touch $@

install: $(VENV)/.installed

# Debian's chromium for the real-browser tests (tests/browser.py drives it through Playwright,
# whose own browser downloads are never used): nothing when it is there, about 20 s and 414 MB
# when not. CI must have it; elsewhere, without root or sudo, the browser tests skip and say so.
APT_INSTALL_CHROMIUM := apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install \
	-y -qq --no-install-recommends -o DPkg::Lock::Timeout=120 chromium fonts-dejavu-core
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then sh -c '$(APT_INSTALL_CHROMIUM)'; \
	  elif sudo -n true 2>/dev/null; then sudo -n sh -c '$(APT_INSTALL_CHROMIUM)'; \
	  else false; fi && command -v chromium >/dev/null; \
	} || { \
	  echo "make browser: apt-get could not install chromium (it needs root or sudo)" >&2; \
	  [ -z "$$CI" ] && echo "make browser: the browser tests will skip" >&2; \
	}

# Debian's Java 17 for the Spark tests (PySpark's local session runs in a JVM; pyspark itself
# comes from uv.lock): nothing when `java` is there. CI must have it; elsewhere, without root
# or sudo, the Spark tests skip and say so (tests/spark.py).
APT_INSTALL_JAVA := apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install \
	-y -qq --no-install-recommends -o DPkg::Lock::Timeout=120 openjdk-17-jre-headless
java:
	@command -v java >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then sh -c '$(APT_INSTALL_JAVA)'; \
	  elif sudo -n true 2>/dev/null; then sudo -n sh -c '$(APT_INSTALL_JAVA)'; \
	  else false; fi && command -v java >/dev/null; \
	} || { \
	  echo "make java: apt-get could not install openjdk-17-jre-headless (it needs root or sudo)" >&2; \
	  [ -z "$$CI" ] && echo "make java: the Spark tests will skip" >&2; \
	}

# DEMO="--verbose" prints every step, check and dbt node (the run's log file has them anyway).
demo: install
	@$(RUN) trustgap demo --size $(SIZE) $(DEMO)

test: install browser java
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports
	$(RUN) sqlfluff lint dbt_project/models dbt_project/macros --processes 2
	$(RUN) pytest -n $(TEST_WORKERS) --dist loadfile

# The README's report screenshots (docs/images): the demo's nightly run into its own warehouse,
# 13 weeks of history backfilled (so the trends have a line), its report, and the
# organisation page and one director page photographed offline. The
# as-of date is pinned, so the images change only when the report does.
SCREENSHOTS := data/screenshots
.PHONY: screenshots
screenshots: install browser
	$(RUN) trustgap demo --size $(SIZE) --as-of 2026-11-27 --warehouse $(SCREENSHOTS)/trustgap.duckdb
	$(RUN) trustgap backfill --from 2026-08-28 --to 2026-11-20 --every week --warehouse $(SCREENSHOTS)/trustgap.duckdb
	$(RUN) trustgap report --warehouse $(SCREENSHOTS)/trustgap.duckdb --out $(SCREENSHOTS)/report
	$(RUN) python -m tests.report_screenshots $(SCREENSHOTS)/report --out docs/images

# The benchmark (minutes; not part of `make test`; see benchmarks/README.md): every part, or
# one of them: make bench-nightly BENCH="--sizes S --latency-ms 150", make bench-peers
# BENCH_PEERS="--sizes S --rounds 1", make bench-hubspot BENCH_HUBSPOT="--tier professional".
.PHONY: bench bench-nightly bench-peers bench-hubspot
BENCH ?= --sizes S,M --incremental
BENCH_PEERS ?= --sizes S,M --rounds 3
BENCH_HUBSPOT ?= --sizes S
bench: bench-nightly bench-peers bench-hubspot
bench-nightly: install
	$(RUN) python -m benchmarks.run $(BENCH)
# The dlt arms run in .bench/dlt-venv, created here on first use (not in .venv).
bench-peers: install
	$(RUN) python -m benchmarks.peers --crm both --sizes S,M --rounds 3 $(BENCH_PEERS)
bench-hubspot: install
	$(RUN) python -m benchmarks.hubspot_api $(BENCH_HUBSPOT)

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports
	$(RUN) sqlfluff lint dbt_project/models dbt_project/macros --processes 2

format: install
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

# The UI and the daemon (schedule, run retries) on the code location `trustgap`: `dg dev`
# names it from [tool.dg.project], as workspace.yaml does for `dagster dev -w workspace.yaml`,
# so runs, schedule state and `trustgap run`'s runs are the same whichever starts it.
DAGSTER_ENV := DAGSTER_HOME=$(CURDIR)/data/dagster_home
dev: install
	@$(DAGSTER_ENV) $(RUN) trustgap prepare
	$(DAGSTER_ENV) $(RUN) dg dev

# The same definitions with the embedded demo CRM as `crm` (no credentials needed), under
# the same location name (another would repeat a name-mismatch warning every load).
dev-demo: install
	@$(DAGSTER_ENV) $(RUN) trustgap prepare
	$(DAGSTER_ENV) $(RUN) dagster dev -w demo/workspace.yaml

# Turn the nightly schedule on (or off: make schedule-off). The state is kept in
# data/dagster_home under the location's name, so it holds for `make dev` and `dagster dev`
# alike; the schedule fires while one of them (its daemon) runs.
.PHONY: schedule-on schedule-off
schedule-on: install
	$(DAGSTER_ENV) $(RUN) dagster schedule start nightly_schedule -w workspace.yaml
schedule-off: install
	$(DAGSTER_ENV) $(RUN) dagster schedule stop nightly_schedule -w workspace.yaml

# dbt docs with a full catalog: generated against a copy of the published warehouse (the
# default profile points at an empty file) into their own target folder, so the nightly's
# parse state in dbt_project/target is left alone; then served on http://localhost:8080.
DOCS := data/dbt_docs
.PHONY: docs
docs: install
	@$(RUN) python -m pipelines.dbt_docs $(DOCS)
	$(RUN) dbt docs serve --project-dir dbt_project --profiles-dir dbt_project \
	  --target-path $(CURDIR)/$(DOCS)/target --port 8080

clean:
	rm -rf $(VENV) $(TOOLS) dbt_project/target dbt_project/logs data
