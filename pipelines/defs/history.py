"""History as Dagster daily partitions on the as-of date, and the backfill job.

Every metric is computed as of a date from the CRM's own change history, so a
past date needs no new API call: `history_backfill` rebuilds only the dbt models
the history needs (dbt_project/models/history and what they read) as of each
partition's date, from the raw tables the last nightly run landed, and adds those
dates to the published history. The marts BI tools read stay as the last nightly
run published them. The nightly run records its own date as a materialized
partition (pipelines/defs/publish.py), so the UI shows which dates are missing;
selecting a range there and launching a backfill runs this job once for the range.
"""

import datetime as dt
import time
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines import history
from pipelines import warehouse as wh
from pipelines.calendar import build_calendar, recorded_calendar
from pipelines.defs.dbt_models import dbt_environment, keep_parse_state, recorded_org_chart
from pipelines.engine.spark import refuse_on_spark
from pipelines.project import DBT_PROJECT_DIR
from pipelines.resources import Warehouse
from pipelines.settings import Settings

SETTINGS = Settings.from_env()

HISTORY_KEY = dg.AssetKey(["history", "metric_history"])
# The views each build adds to history: dbt_project/models/history/history_<table>.sql,
# each aliased <table> (tests/golden/asset_graph.json holds the keys).
HISTORY_VIEWS = sorted(
    model.stem.removeprefix("history_")
    for model in (DBT_PROJECT_DIR / "models" / "history").glob("history_*.sql")
)

# One partition per as-of date, up to today in the configured zone.
as_of_dates = dg.DailyPartitionsDefinition(
    start_date=SETTINGS.history_start,
    timezone=SETTINGS.timezone,
    end_offset=1,
)

# Only the models the history views read. The marts' contract constraints (not
# null, ranges, value sets) still guard every date; the data tests (keys,
# relationships) ran in the nightly build on the same raw tables, and running them
# again for each past date would cost a third of its time. --quiet: the Dagster
# log gets this job's own line per date, and dbt's errors.
HISTORY_BUILD = ["--quiet", "run", "--select", "+path:models/history"]


@dg.asset(
    key=HISTORY_KEY,
    deps=[dg.AssetKey([history.RUN_SCHEMA, view]) for view in HISTORY_VIEWS],
    partitions_def=as_of_dates,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="publish",
    kinds={"duckdb"},
    description=(
        "The published history (schema `history`): one snapshot per as-of date of "
        "rep hygiene, the current quarter's team scorecard, the catalog's org values "
        "and per-director trends. Nightly runs add their date; backfills add past dates."
    ),
)
def metric_history(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse
) -> dg.MaterializeResult:
    # A backfill launched from the UI on Spark: the same typed refusal as the CLI's.
    refuse_on_spark(Settings.from_env().engine, "backfill")
    window = context.partition_time_window
    dates = [
        window.start.date() + dt.timedelta(days=offset)
        for offset in range((window.end.date() - window.start.date()).days)
    ]
    org_chart = recorded_org_chart(warehouse.working)
    with warehouse.connect() as con:
        history.clear_pending(con)
        # Past dates are cut with the calendar the last nightly build used.
        chosen = recorded_calendar(con)
    if chosen is None:
        chosen = build_calendar(
            warehouse.working,
            timezone_setting=SETTINGS.timezone if SETTINGS.timezone_set else "",
            project_yml=DBT_PROJECT_DIR / "dbt_project.yml",
        )
    context.log.info(f"Calendar: {chosen.describe()}")
    started = time.perf_counter()
    for position, as_of in enumerate(dates, start=1):
        date_started = time.perf_counter()
        with dbt_environment(warehouse.working, as_of, org_chart, chosen):
            invocation = dbt.cli(HISTORY_BUILD, raise_on_error=True)
            invocation.wait()
        keep_parse_state(Path(invocation.target_path))
        with warehouse.connect() as con:
            rows = history.keep_pending(con, as_of)
        context.log.info(
            f"[{position}/{len(dates)}] as of {as_of}: {rows:,} history rows "
            f"in {time.perf_counter() - date_started:.1f} s"
        )
    result = wh.publish_history(
        warehouse.working, warehouse.published, run_id=context.run_id, dates=dates
    )
    with warehouse.connect() as con:
        history.clear_pending(con)
    context.log.info(
        f"Added {len(dates)} as-of date(s) to the history in {result.path} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return dg.MaterializeResult(
        metadata={
            "as_of_dates": len(dates),
            **{f"{table}_rows": rows for table, rows in result.history_rows.items()},
            "size_mb": round(result.bytes / 1e6, 2),
        }
    )


history_backfill = dg.define_asset_job(
    "history_backfill",
    selection=dg.AssetSelection.assets(HISTORY_KEY),
    partitions_def=as_of_dates,
    # The same single writer as the nightly job: one process, one working file.
    executor_def=dg.in_process_executor,
    tags={wh.WAREHOUSE_TAG: str(wh.published_path())},
    description=(
        "Compute past as-of dates from the CRM history already landed "
        "and add them to the published history."
    ),
)
