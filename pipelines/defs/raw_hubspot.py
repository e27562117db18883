"""Raw HubSpot tables: one asset per raw_hubspot table, landed in one step.

All tables land together: DuckDB allows a single writer per file, and a deal's
history and associations are committed with the deal's sync cursor, so the
tables of one object cannot be landed apart (the asset is not subsettable). The
loop and its error policy are the connector's (connectors/hubspot/sync.py); this
asset wires it in (pipelines/raw_landing.py).
"""

import dagster as dg

from connectors.hubspot.objects import RAW_SCHEMA, TABLES
from connectors.hubspot.sync import sync_hubspot
from pipelines.raw_landing import land_crm
from pipelines.resources import CrmSource, RunParams, Warehouse


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=[RAW_SCHEMA, table.name],
            description=f"HubSpot {table.name}: {table.description}",
            group_name="raw_hubspot",
            kinds={"hubspot", "duckdb"},
            metadata={"upsert_key": table.key},
        )
        for table in TABLES
    ],
    name="raw_hubspot",
)
def raw_hubspot(
    context: dg.AssetExecutionContext, crm: CrmSource, warehouse: Warehouse, run_params: RunParams
):
    """Land owners, pipelines, deals (with history) and engagements into raw_hubspot.*."""

    def sync(connection, con, _tables, **kwargs):
        return sync_hubspot(connection, con, **kwargs)

    yield from land_crm(
        context,
        crm_name="hubspot",
        schema=RAW_SCHEMA,
        tables={table.name: table.arrow_schema for table in TABLES},
        sync=sync,
        crm=crm,
        warehouse=warehouse,
        run_params=run_params,
    )
