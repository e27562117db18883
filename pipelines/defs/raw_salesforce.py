"""Raw Salesforce objects: one asset per object, landed in one step.

All objects land in one step because DuckDB allows a single writer per file; the
step still reports each object as its own asset so lineage, freshness and
checks stay per table.
"""

import dagster as dg

from connectors.salesforce.objects import OBJECTS, RAW_SCHEMA
from connectors.salesforce.sync import SalesforceSync
from pipelines.resources import CrmSource, RunParams, Warehouse

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
    selected = [obj for obj in OBJECTS if SPECS[obj.name].key in context.selected_asset_keys]
    as_of = run_params.as_of_date()
    progress = _PageLogger(context)
    with (
        crm.salesforce(as_of, log=context.log) as sf,
        warehouse.connect() as con,
    ):
        sync = SalesforceSync(sf, on_progress=progress)
        for obj in selected:
            result = sync.sync_object(con, obj, loaded_at=progress.loaded_at)
            context.log.info(f"{obj.name}: landed {result.rows:,} rows in {result.pages} pages")
            metadata = {
                "rows": dg.MetadataValue.int(result.rows),
                "api_pages": dg.MetadataValue.int(result.pages),
                "source": crm.resolved_source(),
            }
            if result.missing_fields:
                metadata["missing_fields"] = ", ".join(result.missing_fields)
            if result.warning:
                metadata["warning"] = result.warning
            yield dg.MaterializeResult(asset_key=SPECS[obj.name].key, metadata=metadata)


class _PageLogger:
    """Logs progress every ~50k rows so long extracts show they are moving."""

    EVERY = 50_000

    def __init__(self, context: dg.AssetExecutionContext) -> None:
        import datetime as dt

        self.context = context
        self.loaded_at = dt.datetime.now(dt.UTC)
        self._next: dict[str, int] = {}

    def __call__(self, object_name: str, rows: int) -> None:
        threshold = self._next.setdefault(object_name, self.EVERY)
        if rows >= threshold:
            self.context.log.info(f"{object_name}: {rows:,} rows so far")
            self._next[object_name] = (rows // self.EVERY + 1) * self.EVERY
