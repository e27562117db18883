"""The nightly job and its schedule."""

import dagster as dg

from pipelines.defs.dbt_models import REPORTING_JOB
from pipelines.defs.history import HISTORY_KEY
from pipelines.settings import Settings
from pipelines.warehouse import WAREHOUSE_TAG, published_path

SETTINGS = Settings.from_env()

# One process runs every step: all steps write or read the same DuckDB working
# file, and DuckDB allows a single writing process per file.
nightly = dg.define_asset_job(
    REPORTING_JOB,
    # Everything but the partitioned history: publishing adds the run's date to it.
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(HISTORY_KEY),
    executor_def=dg.in_process_executor,
    tags={
        # The run queue's one-run-per-warehouse key (dagster.yaml); the CLI tags its
        # runs with the warehouse it was given.
        WAREHOUSE_TAG: str(published_path()),
        # Run retries (enabled in the dagster.yaml Trustgap writes) are for runs whose
        # process died or never started. A failed step is not run again: transient
        # CRM errors were already retried inside the run (pipelines/retries.py), and
        # a failed check or a refused token would fail the same way. A retried run
        # starts over: publishing needs every check of its own run, and an
        # incremental extract only re-reads what changed.
        "dagster/retry_on_asset_or_op_failure": "false",
        "dagster/retry_strategy": "ALL_STEPS",
    },
    description="Extract the CRM, build the metrics, check them, publish the warehouse.",
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_schedule",
    job=nightly,
    cron_schedule=SETTINGS.schedule_cron,
    execution_timezone=SETTINGS.timezone,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description=(
        f"The nightly run at {SETTINGS.schedule_cron} ({SETTINGS.timezone}; "
        "TRUSTGAP_SCHEDULE_CRON, TRUSTGAP_TIMEZONE). Off until turned on: "
        "`make schedule-on`, or the toggle here; it fires while `make dev` runs."
    ),
    tags={"owner": "team:data-engineering"},
)
