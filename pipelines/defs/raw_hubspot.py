"""Raw HubSpot tables: one asset per raw_hubspot table, landed in one step.

All tables land together: DuckDB allows a single writer per file, and a deal's
history and associations are committed with the deal's sync cursor. Objects
sync incrementally unless the run asks for a full refresh (`--full-refresh`;
the demo always rebuilds, as its org is generated anew). An object that fails
does not stop the others but fails the step (nothing is published); an
authentication, scope or daily-quota error stops it at once; an unreachable or
failing HubSpot (past the request retries) runs the step again a little later
(pipelines/retries.py), resuming from the committed cursors. On a run that
reads Salesforce the tables are left empty (pipelines/crm_selection.py).
"""

import datetime as dt

import dagster as dg

import expectations
from connectors.errors import (
    CrmAuthError,
    CrmQuotaError,
    CrmRequestError,
    SchemaDriftError,
    SyncFailed,
)
from connectors.hubspot.objects import CRM_OBJECTS, RAW_SCHEMA, SOURCE, TABLES, TABLES_BY_NAME
from connectors.hubspot.sync import HubSpotSync
from pipelines.crm_selection import leave_empty
from pipelines.resources import CrmSource, RunParams, Warehouse
from pipelines.retries import retry_transient_failures

SPECS = {
    table.name: dg.AssetSpec(
        key=[RAW_SCHEMA, table.name],
        description=f"HubSpot {table.name}: {table.description}",
        group_name="raw_hubspot",
        kinds={"hubspot", "duckdb"},
        metadata={"upsert_key": table.key},
    )
    for table in TABLES
}
LOG_EVERY = 50_000


@dg.multi_asset(specs=list(SPECS.values()), name="raw_hubspot")
def raw_hubspot(
    context: dg.AssetExecutionContext, crm: CrmSource, warehouse: Warehouse, run_params: RunParams
):
    """Land owners, pipelines, deals (with history) and engagements into raw_hubspot.*."""
    # The extract mostly waits on the CRM: load great-expectations meanwhile for the
    # checks that follow (~5 s of CPU they no longer wait for).
    expectations.warm_up()
    with retry_transient_failures(context):
        yield from _land(context, crm, warehouse, run_params)


def _land(
    context: dg.AssetExecutionContext, crm: CrmSource, warehouse: Warehouse, run_params: RunParams
):
    if crm.platform() != SOURCE:
        tables = {
            spec.key: (name, TABLES_BY_NAME[name].arrow_schema) for name, spec in SPECS.items()
        }
        yield from leave_empty(
            context,
            warehouse,
            crm=SOURCE,
            configured=crm.platform(),
            schema=RAW_SCHEMA,
            tables=tables,
        )
        return
    loaded_at = dt.datetime.now(dt.UTC)
    failures = {}
    next_log = {}

    def progress(table: str, rows: int) -> None:
        if rows >= next_log.setdefault(table, LOG_EVERY):
            context.log.info(f"{table}: {rows:,} rows so far")
            next_log[table] = (rows // LOG_EVERY + 1) * LOG_EVERY

    with (
        crm.hubspot(run_params.as_of_date(), log=context.log) as connection,
        warehouse.connect() as con,
    ):
        sync = HubSpotSync(
            connection.api,
            con,
            loaded_at=loaded_at,
            full_refresh=run_params.full_refresh or connection.is_demo,
            on_progress=progress,
        )
        sync.sync_owners()
        sync.sync_pipelines()
        for obj in CRM_OBJECTS:
            try:
                sync.sync_object(obj)
            except (CrmAuthError, CrmQuotaError):
                raise
            except (CrmRequestError, SchemaDriftError) as exc:
                context.log.error(f"{obj.name} failed: {exc}")
                failures[obj.name] = exc
        requests = dict(connection.api.requests)
        context.log.info(
            f"HubSpot API: {sum(requests.values()):,} requests "
            f"({', '.join(f'{k} {v:,}' for k, v in sorted(requests.items()))}); "
            f"paced {connection.api.limiter.waited_s:.1f} s"
        )
        if connection.fake is not None:
            peak = connection.fake.peak_requests(10.0)
            context.log.info(f"Fake HubSpot saw at most {peak} requests in any 10 s")
    if failures:
        raise SyncFailed(
            "HubSpot objects failed (the others landed): "
            + "; ".join(f"{name}: {exc}" for name, exc in failures.items()),
            failures.values(),
        )
    for name, spec in SPECS.items():
        result = sync.results.get(name)
        yield dg.MaterializeResult(
            asset_key=spec.key,
            metadata={
                "rows_landed": dg.MetadataValue.int(result.rows if result else 0),
                "api_requests": dg.MetadataValue.int(sum(requests.values())),
                "source": crm.resolved_source(),
            },
        )
