"""The dbt project as Dagster assets: `dbt build` runs models and data tests together.

dbt tests become asset checks; an error-severity test fails the step, which
stops the publish. Asset keys are `[layer, model]` (e.g. marts/fct_deals) and
dbt sources point at the raw assets through `meta.dagster.asset_key`.
"""

import datetime as dt
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines import warehouse as wh
from pipelines.calendar import Calendar, build_calendar, record_calendar
from pipelines.duckdb_settings import DuckDBSettings
from pipelines.engine import spark_steps
from pipelines.project import dbt_project, ensure_manifest, scoped_environment
from pipelines.report.warm_up import warm_up as report_warm_up
from pipelines.resources import CrmSource, RunParams, Warehouse
from pipelines.settings import Settings


class TrustgapDbtTranslator(DagsterDbtTranslator):
    """Keys and groups by dbt layer (staging, intermediate, quarantine, marts, seeds).

    A key names the table a model builds (its alias), so quarantine_deals, built as
    quarantine.deals, is the asset quarantine/deals.
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            table = dbt_resource_props.get("alias") or dbt_resource_props["name"]
            return dg.AssetKey([_layer(dbt_resource_props), table])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return _layer(dbt_resource_props)
        return super().get_group_name(dbt_resource_props)

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        """dbt tests as checks, each with a description (the test's own, else what it tests)."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        test = manifest["nodes"][unique_id]
        description = test.get("description") or describe_test(test, asset_spec.key)
        return dg.AssetCheckSpec(
            name=spec.name,
            asset=spec.asset_key,
            description=description,
            additional_deps=spec.additional_deps,
            metadata=spec.metadata,
            blocking=spec.blocking,
        )


def describe_test(test: Mapping[str, Any], asset: dg.AssetKey) -> str:
    """`not_null on marts/fct_deals.deal_id (error)`: a dbt test in one line."""
    generic = test.get("test_metadata") or {}
    kind = generic.get("name") or "singular test " + test["name"]
    column = test.get("column_name")
    where = asset.to_user_string() + (f".{column}" if column else "")
    arguments = {
        name: value
        for name, value in (generic.get("kwargs") or {}).items()
        if name not in ("column_name", "model")
    }
    shown = "".join(f", {name}={value}" for name, value in arguments.items())
    severity = (test.get("config") or {}).get("severity", "error").lower()
    return f"dbt {kind} on {where}{shown} ({severity})"[:500]


# The job whose runs end with the trust report (pipelines/defs/nightly.py).
REPORTING_JOB = "nightly"


def _layer(props: Mapping[str, Any]) -> str:
    return props.get("config", {}).get("schema") or props["resource_type"] + "s"


ensure_manifest()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TrustgapDbtTranslator(),
)
def trustgap_dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: Warehouse,
    run_params: RunParams,
    crm: CrmSource,
):
    """Build staging, intermediate and marts as of the run's date, with their tests."""
    org_chart = str(crm.org_chart() or run_params.org_chart_path())
    record_org_chart(warehouse.working, org_chart)
    chosen = build_calendar(
        warehouse.working,
        timezone_setting=run_params.configured_timezone(),
        project_yml=Path(dbt_project.project_dir) / "dbt_project.yml",
        fiscal_setting=crm.fiscal_year_start_month(),
    )
    with wh.connect(warehouse.working) as con:
        record_calendar(con, chosen)
    context.log.info(f"Calendar: {chosen.describe()}")
    if chosen.warning:
        context.log.warning(chosen.warning)
    # Unit tests pin formulas on hand-made rows: they belong to CI (`make test`
    # builds the project with them), not to every night, where they were about a
    # third of the dbt step whatever the org's size (benchmarks/RESULTS.md).
    settings = Settings.from_env()
    on_spark = settings.engine == "spark"
    engine_env = {}
    if on_spark:
        engine_env = spark_steps.prepare_build(
            context.log,
            warehouse.working,
            warehouse.published,
            settings,
            manifest=dbt_project.manifest_path,
            run_id=context.run_id,
        )
    args = ["build", "--exclude-resource-type", "unit_test"]
    # Spark rebuilds every model as a table (incremental_materialization()).
    rebuild = None
    if not on_spark:
        rebuild = full_rebuild_reason(
            warehouse.working,
            full_refresh=run_params.full_refresh,
            every_days=settings.full_rebuild_days,
            now=dt.datetime.now(dt.UTC),
        )
    if rebuild:
        context.log.info(f"Incremental models rebuilt in full: {rebuild}")
        args.append("--full-refresh")
    if not on_spark and context.job_name == REPORTING_JOB:
        # The dbt process spends its first seconds starting up while this one waits:
        # the report step's fixed costs are paid meanwhile (pipelines/report/warm_up.py).
        report_warm_up()
    with (
        dbt_environment(
            warehouse.working, run_params.as_of_date(warehouse.published), org_chart, chosen
        ),
        # checked by Settings; the incremental models' macros read it from here
        scoped_environment(
            engine_env | {"TRUSTGAP_INCREMENTAL_KEY_LIMIT": str(settings.incremental_key_limit)}
        ),
    ):
        invocation = dbt.cli(args, context=context)
        yield from invocation.stream()
    keep_parse_state(Path(invocation.target_path))
    if on_spark:
        spark_steps.read_marts_back(
            context.log,
            warehouse.working,
            settings.spark_dir(warehouse.published),
            run_id=context.run_id,
        )


def keep_parse_state(
    run_target: Path, *, project_target: Path | None = None, keep_runs: int = 3
) -> None:
    """Let the next run start from this run's parse, and drop old runs' dbt output.

    dagster-dbt gives every run its own target folder, seeded with the project's
    target/partial_parse.msgpack. That file comes from `trustgap prepare`, parsed
    with another profile (database path), so dbt would re-parse everything each
    night; this run's copy matches the next night's run on the same warehouse.
    Run folders (compiled SQL, logs, ~15 MB each) would otherwise pile up.
    """
    if project_target is None:
        project_target = Path(dbt_project.project_dir).joinpath(dbt_project.target_path)
    parsed = run_target / "partial_parse.msgpack"
    if parsed.exists():
        pending = project_target / f".partial_parse.{os.getpid()}.tmp"
        shutil.copyfile(parsed, pending)
        os.replace(pending, project_target / "partial_parse.msgpack")
    runs = sorted(
        (p for p in project_target.glob(f"{run_target.name.split('-')[0]}-*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
    )
    for old in runs[:-keep_runs]:
        if old != run_target:
            shutil.rmtree(old, ignore_errors=True)


# Written by the incremental models' post-hooks (dbt_project/macros/incremental.sql).
INCREMENTAL_STATE = "trustgap_build.incremental_models"


def full_rebuild_reason(
    working: Path, *, full_refresh: bool, every_days: int, now: dt.datetime
) -> str | None:
    """Why this run's dbt build gets --full-refresh (None: the incremental models update).

    A full-refresh landing replaces the raw tables, so rows a deleted record took
    with it have no newer _loaded_at to point at them; the periodic rebuild is the
    safety net against anything else an incremental build could miss. Everything
    the models can see themselves (a changed model, time zone or reference table,
    a replaced raw table) they handle in dbt (macros/incremental.sql).
    """
    if full_refresh:
        return "full-refresh run (the raw tables are re-read from scratch)"
    if every_days == 0:
        return "TRUSTGAP_FULL_REBUILD_DAYS=0 (every run)"
    if not working.exists():
        return None
    with wh.connect(working, read_only=True) as con:
        if not wh.has_table(con, *INCREMENTAL_STATE.split(".")):
            return None
        (last,) = con.execute(f"select min(full_built_at) from {INCREMENTAL_STATE}").fetchone()
    if last is not None and now - last >= dt.timedelta(days=every_days):
        return f"last full build {last:%Y-%m-%d %H:%M} UTC, over {every_days} days ago"
    return None


BUILD_INPUTS = "trustgap_meta.build_inputs"


def record_org_chart(working: Path, org_chart: str) -> None:
    """Keep the hierarchy file the marts are built with, for backfills to build with."""
    with wh.connect(working) as con:
        con.execute("create schema if not exists trustgap_meta")
        con.execute(f"create or replace table {BUILD_INPUTS} (name varchar, value varchar)")
        con.execute(f"insert into {BUILD_INPUTS} values ('org_chart', ?)", [org_chart])


def recorded_org_chart(working: Path) -> str:
    """The hierarchy file the last build used ("" for the org_chart seed)."""
    if not working.exists():
        raise wh.NothingPublishedError(
            f"No working warehouse at {working}: run the nightly job once first."
        )
    with wh.connect(working, read_only=True) as con:
        if not wh.has_table(con, *BUILD_INPUTS.split(".")):
            raise wh.NothingPublishedError(
                f"{working} was not built by a nightly run yet: run it once first."
            )
        row = con.execute(f"select value from {BUILD_INPUTS} where name = 'org_chart'").fetchone()
    return row[0] if row else ""


@contextmanager
def dbt_environment(
    working: Path, as_of: dt.date, org_chart: str, chosen: Calendar
) -> Iterator[None]:
    """What the dbt process reads from its environment, for the length of a build.

    profiles.yml reads the working file, and macros/as_of.sql the date, from the
    environment the dbt process inherits; not --vars, which would make dbt
    re-parse the whole project whenever the date changes. The hierarchy file
    (macros/hubspot.sql) is the CRM's own (the HubSpot demo writes one), else the
    run's (--org-chart, TRUSTGAP_ORG_CHART), else ("") the org_chart seed. The
    fiscal calendar and time zone are `chosen`'s (pipelines/calendar.py).

    dbt's own log file (the run's target folder) keeps info-level events unless
    DBT_LOG_LEVEL_FILE says otherwise: at debug, its default, it serialised every SQL
    statement and connection event of every node, ~9 MB of JSON a run.
    """
    with scoped_environment(
        {
            "TRUSTGAP_WORKING_DB": str(working),
            "TRUSTGAP_AS_OF": as_of.isoformat(),
            "TRUSTGAP_ORG_CHART": org_chart,
            "DBT_LOG_LEVEL_FILE": os.environ.get("DBT_LOG_LEVEL_FILE") or "info",
            **chosen.environment(),
            # Memory limit, threads and spill folder: the same as every other connection.
            **DuckDBSettings.from_env().environment(),
        }
    ):
        yield
