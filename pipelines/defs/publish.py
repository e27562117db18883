"""Publishing: swap the finished working warehouse in for readers, atomically."""

import datetime as dt
from pathlib import Path

import dagster as dg

from pipelines import freshness, history, run_ledger
from pipelines import warehouse as wh
from pipelines.defs.dbt_models import trustgap_dbt_models
from pipelines.defs.history import HISTORY_KEY, as_of_dates
from pipelines.engine import spark_steps
from pipelines.resources import CrmSource, RunParams, Warehouse
from pipelines.settings import Settings

# What the published file holds (the lineage shows these, not all ~90 dbt assets).
PUBLISHED_LAYERS = ("marts", "quarantine", history.RUN_SCHEMA)
DESCRIPTION = (
    "The DuckDB file BI tools and RevOps read. Replaced atomically, and only "
    "when every blocking check of this run passed. With TRUSTGAP_PARQUET_DIR set, "
    "the marts are also exported there as Parquet (read `current/<table>.parquet`). "
    "Holds marts, history, quarantine and run metadata; raw CRM tables stay in "
    "the working file."
)


def last_publish(published: Path) -> tuple[str, dict[str, str]]:
    """The description and metadata that say when `published` was last replaced.

    Read when the code location loads: after a failed run the catalog shows red
    steps, and this says the file BI reads is still the last good one.
    """
    last = next((r for r in run_ledger.history(published, 200) if r.status == "published"), None)
    if last is None:
        return f"{DESCRIPTION}\n\nNot published yet.", {}
    when = f"{last.finished_at} (run {last.run_id[:8]}), as of {last.as_of}"
    return f"{DESCRIPTION}\n\nLast published {when}.", {
        "last_published_at": last.finished_at,
        "last_published_as_of": str(last.as_of),
        "last_published_run": last.run_id,
    }


_description, _metadata = last_publish(wh.published_path())


@dg.asset(
    key=["published_warehouse"],
    deps=[key for key in trustgap_dbt_models.keys if key.path[0] in PUBLISHED_LAYERS],
    group_name="publish",
    kinds={"duckdb"},
    description=_description,
    metadata={"path": dg.MetadataValue.path(str(wh.published_path())), **_metadata},
)
def published_warehouse(
    context: dg.AssetExecutionContext, warehouse: Warehouse, run_params: RunParams, crm: CrmSource
) -> dg.MaterializeResult:
    as_of = run_params.as_of_date(warehouse.published)
    checks = run_check_outcomes(context)
    with warehouse.connect() as con:
        freshness.record_landings(con)
    if Settings.from_env().engine == "spark":
        return publish_on_spark(context, warehouse, as_of, crm.label(), checks)
    result = wh.publish(
        warehouse.working,
        warehouse.published,
        run_id=context.run_id,
        as_of=as_of,
        source=crm.label(),
        checks=checks,
    )
    context.log.info(
        f"Published {result.path} ({result.bytes / 1e6:.1f} MB); history as of {as_of}: "
        + ", ".join(f"{table} {rows:,} rows" for table, rows in result.history_rows.items())
    )
    metadata = {
        "checks_passed": sum(c.passed for c in checks),
        "checks_failed": sum(not c.passed for c in checks),
        "path": dg.MetadataValue.path(str(result.path)),
        "size_mb": round(result.bytes / 1e6, 2),
        "as_of": as_of.isoformat(),
        "published_at": dg.MetadataValue.timestamp(dt.datetime.now(dt.UTC)),
        **{f"history_{table}_rows": rows for table, rows in result.history_rows.items()},
    }
    parquet_dir = Settings.from_env().parquet_dir
    if parquet_dir:
        link = wh.export_parquet(result.path, Path(parquet_dir), run_id=context.run_id)
        context.log.info(f"Exported marts as Parquet to {link}")
        metadata["parquet"] = dg.MetadataValue.path(str(link))
    _record_published(warehouse, context.run_id, as_of, crm.label())
    _record_history_partition(context, as_of)
    return dg.MaterializeResult(metadata=metadata)


def _record_published(warehouse: Warehouse, run_id: str, as_of: dt.date, source: str) -> None:
    """The run ledger's line for a run whose marts readers now see."""
    run_ledger.record(
        warehouse.published,
        run_ledger.RunRecord(
            run_id=run_id,
            status="published",
            finished_at=run_ledger.now_iso(),
            as_of=as_of.isoformat(),
            source=source,
        ),
    )


def publish_on_spark(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    as_of: dt.date,
    source: str,
    checks: list[wh.CheckOutcome],
) -> dg.MaterializeResult:
    """Swap the Spark catalog's published views to this run's build (pipelines/engine/)."""
    spark_dir = Settings.from_env().spark_dir(warehouse.published)
    result = spark_steps.publish(
        spark_dir,
        run_id=context.run_id,
        as_of=as_of.isoformat(),
        source=source,
        checks=checks,
        working=warehouse.working,
    )
    context.log.info(
        f"Published {len(result['tables'])} tables on Spark as version {result['version']} "
        f"(views in schemas marts, quarantine, history; catalog in {spark_dir}); "
        f"history as of {as_of}: "
        + ", ".join(f"{table} {rows:,} rows" for table, rows in result["history"].items())
    )
    _record_published(warehouse, context.run_id, as_of, source)
    _record_history_partition(context, as_of)
    return dg.MaterializeResult(
        metadata={
            "engine": "spark",
            "version": result["version"],
            "tables": len(result["tables"]),
            "spark_dir": dg.MetadataValue.path(str(spark_dir)),
            "checks_passed": sum(c.passed for c in checks),
            "checks_failed": sum(not c.passed for c in checks),
            "as_of": as_of.isoformat(),
            **{f"history_{table}_rows": rows for table, rows in result["history"].items()},
        }
    )


def _record_history_partition(context: dg.AssetExecutionContext, as_of: dt.date) -> None:
    """The history's partition of `as_of` shows as done in the UI's partition view."""
    if as_of.isoformat() in as_of_dates.get_partition_keys():
        context.log_event(
            dg.AssetMaterialization(
                asset_key=HISTORY_KEY,
                partition=as_of.isoformat(),
                description="Added by the nightly run that published this date.",
            )
        )


def run_check_outcomes(context: dg.AssetExecutionContext) -> list[wh.CheckOutcome]:
    """Every asset check evaluated so far in this run (dbt tests and GX suites)."""
    records = context.instance.get_records_for_run(
        run_id=context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=100_000
    ).records
    outcomes = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        outcomes.append(
            wh.CheckOutcome(
                asset=evaluation.asset_key.to_user_string(),
                check_name=evaluation.check_name,
                passed=evaluation.passed,
                severity=evaluation.severity.value,
                description=str(evaluation.description or ""),
            )
        )
    return outcomes
