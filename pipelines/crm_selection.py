"""Raw assets of the CRM a run does not read.

Every nightly run materializes every raw asset, so one job serves Salesforce and
HubSpot teams alike; the raw assets of the CRM the run does not read land no
rows. They leave their tables empty rather than untouched: rows from an earlier
run on the other CRM (a demo, a migration) must not reach this run's marts, and
dbt staging always finds the tables it selects from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

import dagster as dg
import pyarrow as pa

from connectors.landing import land_batches, reset_cursors
from pipelines.resources import Warehouse


def leave_empty(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    *,
    crm: str,
    configured: str,
    schema: str,
    tables: Mapping[dg.AssetKey, tuple[str, pa.Schema]],
) -> Iterator[dg.MaterializeResult]:
    """Empty `crm`'s raw tables, forget its sync cursors and report each asset."""
    loaded_at = dt.datetime.now(dt.UTC)
    with warehouse.connect() as con:
        for table, arrow_schema in tables.values():
            land_batches(con, schema, table, arrow_schema, [], loaded_at=loaded_at)
        reset_cursors(con, crm)
    context.log.info(
        f"This run reads {configured}, not {crm}: {schema} tables left empty "
        f"({len(tables)} tables)."
    )
    for key in tables:
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={"rows": dg.MetadataValue.int(0), "skipped": f"the run reads {configured}"},
        )
