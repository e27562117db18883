"""Raw Salesforce objects: one asset per object, landed in one step.

All objects land in one step because DuckDB allows a single writer per file; the
step still reports each object as its own asset so lineage, freshness and
checks stay per table. Objects sync incrementally unless the run asks for a
full refresh (`--full-refresh`); an object that fails does not stop the others,
but fails the step (so nothing is published), while an expired session or an
exhausted API quota stops the step at once. When the org is unreachable or
failing past the request retries, the step runs again a little later
(pipelines/retries.py) and resumes from the watermarks already committed.
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
from connectors.salesforce.objects import OBJECTS, RAW_SCHEMA
from connectors.salesforce.sync import SalesforceSync
from pipelines.crm_selection import leave_empty
from pipelines.resources import CrmSource, RunParams, Warehouse
from pipelines.retries import retry_transient_failures

SPECS = {
    obj.name: dg.AssetSpec(
        key=[RAW_SCHEMA, obj.table],
        description=f"Salesforce {obj.name} rows as the API returned them (one row per record).",
        group_name="raw_salesforce",
        kinds={"salesforce", "duckdb"},
        metadata={"salesforce_object": obj.name, "optional": obj.optional},
    )
    for obj in OBJECTS
}


@dg.multi_asset(specs=list(SPECS.values()), can_subset=True, name="raw_salesforce")
def raw_salesforce(
    context: dg.AssetExecutionContext, crm: CrmSource, warehouse: Warehouse, run_params: RunParams
):
    """Land every selected Salesforce object into raw_salesforce.* in the working warehouse."""
    # The extract mostly waits on the CRM: load great-expectations meanwhile for the
    # checks that follow (~5 s of CPU they no longer wait for).
    expectations.warm_up()
    with retry_transient_failures(context):
        yield from _land(context, crm, warehouse, run_params)


def _land(
    context: dg.AssetExecutionContext, crm: CrmSource, warehouse: Warehouse, run_params: RunParams
):
    selected = [obj for obj in OBJECTS if SPECS[obj.name].key in context.selected_asset_keys]
    if crm.platform() != "salesforce":
        # A HubSpot run: no Salesforce rows, and none left from an earlier run.
        tables = {SPECS[o.name].key: (o.table, o.arrow_schema) for o in selected}
        yield from leave_empty(
            context,
            warehouse,
            crm="salesforce",
            configured=crm.platform(),
            schema=RAW_SCHEMA,
            tables=tables,
        )
        return
    as_of = run_params.as_of_date()
    progress = _PageLogger(context)
    failures = {}
    with (
        crm.salesforce(as_of, full_refresh=run_params.full_refresh, log=context.log) as (
            api,
            options,
        ),
        warehouse.connect() as con,
    ):
        sync = SalesforceSync(api, options, on_progress=progress)
        reason = sync.prepare(con, loaded_at=progress.loaded_at)
        if reason:
            context.log.info(reason[0].upper() + reason[1:])
        for obj in selected:
            before = api.session.api_usage
            try:
                result = sync.sync_object(con, obj, loaded_at=progress.loaded_at)
            except (CrmAuthError, CrmQuotaError):
                raise
            except (CrmRequestError, SchemaDriftError) as exc:
                context.log.error(f"{obj.name} failed: {exc}")
                failures[obj.name] = exc
                continue
            requests = _used(before, api.session.api_usage)
            context.log.info(
                f"{obj.name}: {result.mode} sync over {result.transport.upper()}, "
                f"{result.rows:,} rows in {result.pages} pages"
                + (f", {result.deleted:,} flagged deleted" if result.deleted else "")
                + (f", {requests} API requests" if requests is not None else "")
            )
            for warning in result.warnings:
                context.log.warning(warning)
            metadata = {
                "rows": dg.MetadataValue.int(result.rows),
                "api_pages": dg.MetadataValue.int(result.pages),
                "sync_mode": result.mode,
                "transport": result.transport,
                "rows_flagged_deleted": dg.MetadataValue.int(result.deleted),
                "source": crm.resolved_source(),
            }
            if requests is not None:
                metadata["api_requests"] = dg.MetadataValue.int(requests)
            if result.watermark:
                metadata["watermark"] = result.watermark
            if result.missing_fields:
                metadata["missing_fields"] = ", ".join(result.missing_fields)
            if result.custom_fields:
                metadata["custom_fields"] = ", ".join(result.custom_fields)
            if result.warning:
                metadata["warning"] = result.warning
            yield dg.MaterializeResult(asset_key=SPECS[obj.name].key, metadata=metadata)
    if failures:
        raise SyncFailed(
            f"{len(failures)} Salesforce object(s) failed; the others landed: "
            + " | ".join(f"{name}: {exc}" for name, exc in failures.items()),
            failures.values(),
        )


def _used(before, after) -> int | None:
    """API requests between two Sforce-Limit-Info readings (None when unknown)."""
    if after is None:
        return None
    return after[0] - (before[0] if before else after[0])


class _PageLogger:
    """Logs progress every ~50k rows so long extracts show they are moving."""

    EVERY = 50_000

    def __init__(self, context: dg.AssetExecutionContext) -> None:
        self.context = context
        self.loaded_at = dt.datetime.now(dt.UTC)
        self._next: dict[str, int] = {}

    def __call__(self, object_name: str, rows: int) -> None:
        threshold = self._next.setdefault(object_name, self.EVERY)
        if rows >= threshold:
            self.context.log.info(f"{object_name}: {rows:,} rows so far")
            self._next[object_name] = (rows // self.EVERY + 1) * self.EVERY
