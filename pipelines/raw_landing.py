"""What every raw CRM asset does: connect, sync, report each table as it lands.

The connector's sync loop owns the per-object work and its error policy; this
module only wires it into Dagster: the connection from the `crm` resource, the
working warehouse, progress in the run log, one `MaterializeResult` per raw
table with the same metadata for both CRMs, and step retries for transient
failures (pipelines/retries.py). A run that reads the other CRM empties these
tables instead (connectors/sync_report.py: `leave_empty`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping

import dagster as dg
import pyarrow as pa

import expectations
from connectors.hubspot.objects import RAW_SCHEMA as HUBSPOT_SCHEMA
from connectors.salesforce.objects import RAW_SCHEMA as SALESFORCE_SCHEMA
from connectors.sync_report import TableReport, leave_empty
from pipelines.resources import CrmSource, RunParams, Warehouse
from pipelines.retries import retry_transient_failures

# (connection, con, tables selected, loaded_at, on_progress, logger) -> reports
Sync = Callable[..., Iterator[TableReport]]
LOG_EVERY_ROWS = 50_000
# Each CRM's raw schema: a run lands its own CRM's and empties the others'.
RAW_SCHEMAS = {"salesforce": SALESFORCE_SCHEMA, "hubspot": HUBSPOT_SCHEMA}


def land_crm(
    context: dg.AssetExecutionContext,
    *,
    crm_name: str,
    schema: str,
    tables: Mapping[str, pa.Schema],
    sync: Sync,
    crm: CrmSource,
    warehouse: Warehouse,
    run_params: RunParams,
) -> Iterator[dg.MaterializeResult]:
    """Land `crm_name`'s selected raw tables (`schema.<table>`), or empty them all."""
    # The extract mostly waits on the CRM: load great-expectations meanwhile for the
    # checks that follow (~5 s of CPU they no longer wait for).
    expectations.warm_up()
    selected = [t for t in tables if dg.AssetKey([schema, t]) in context.selected_asset_keys]
    loaded_at = dt.datetime.now(dt.UTC)
    with retry_transient_failures(context):
        if crm.platform() != crm_name:
            with warehouse.connect() as con:
                reports = leave_empty(
                    con, crm_name, schema, [(t, tables[t]) for t in selected], loaded_at=loaded_at
                )
            context.log.info(
                f"This run reads {crm.platform()}, not {crm_name}: {schema} tables left empty "
                f"({len(reports)} tables)."
            )
            for report in reports:
                yield _materialization(schema, report, crm.label())
            return
        with (
            crm.connect(
                run_params.as_of_date(warehouse.published),
                full_refresh=run_params.full_refresh,
                log=context.log,
            ) as connection,
            warehouse.connect() as con,
        ):
            for report in sync(
                connection,
                con,
                selected,
                loaded_at=loaded_at,
                on_progress=ProgressLog(context),
                logger=context.log,
            ):
                yield _materialization(schema, report, crm.label())


def _materialization(schema: str, report: TableReport, source: str) -> dg.MaterializeResult:
    metadata: dict[str, object] = {
        "rows": dg.MetadataValue.int(report.rows),
        "sync_mode": report.mode,
        "source": source,
    }
    for name, value in report.details.items():
        metadata[name] = dg.MetadataValue.int(value) if isinstance(value, int) else value
    if report.warning:
        metadata["warning"] = report.warning
    return dg.MaterializeResult(asset_key=[schema, report.table], metadata=metadata)


class ProgressLog:
    """Logs a table's row count every ~50k rows, so long extracts show they are moving."""

    def __init__(self, context: dg.AssetExecutionContext) -> None:
        self.context = context
        self._next: dict[str, int] = {}

    def __call__(self, table: str, rows: int) -> None:
        if rows >= self._next.setdefault(table, LOG_EVERY_ROWS):
            self.context.log.info(f"{table}: {rows:,} rows so far")
            self._next[table] = (rows // LOG_EVERY_ROWS + 1) * LOG_EVERY_ROWS
