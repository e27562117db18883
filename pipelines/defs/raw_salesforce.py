"""Raw Salesforce objects: one asset per object, landed in one step.

All objects land in one step because DuckDB allows a single writer per file; the
step still reports each object as its own asset, so lineage, freshness and
checks stay per table. The loop and its error policy are the connector's
(connectors/salesforce/sync.py); this asset wires it in (pipelines/raw_landing.py).
"""

import dagster as dg

from connectors.salesforce.objects import OBJECTS, RAW_SCHEMA
from connectors.salesforce.sync import sync_salesforce
from pipelines.raw_landing import land_crm
from pipelines.resources import CrmSource, RunParams, Warehouse

BY_TABLE = {obj.table: obj for obj in OBJECTS}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=[RAW_SCHEMA, obj.table],
            description=f"Salesforce {obj.name} rows as the API returned them (one per record).",
            group_name="raw_salesforce",
            kinds={"salesforce", "duckdb"},
            metadata={"salesforce_object": obj.name, "optional": obj.optional},
        )
        for obj in OBJECTS
    ],
    can_subset=True,
    name="raw_salesforce",
)
def raw_salesforce(
    context: dg.AssetExecutionContext, crm: CrmSource, warehouse: Warehouse, run_params: RunParams
):
    """Land every selected Salesforce object into raw_salesforce.* in the working warehouse."""

    def sync(connection, con, tables, **kwargs):
        return sync_salesforce(connection, con, objects=[BY_TABLE[t] for t in tables], **kwargs)

    yield from land_crm(
        context,
        crm_name="salesforce",
        schema=RAW_SCHEMA,
        tables={obj.table: obj.arrow_schema for obj in OBJECTS},
        sync=sync,
        crm=crm,
        warehouse=warehouse,
        run_params=run_params,
    )
