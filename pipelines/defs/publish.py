"""Publishing: swap the finished working warehouse in for readers, atomically."""

import dagster as dg

from pipelines import warehouse as wh
from pipelines.defs.dbt_models import trustgap_dbt_models
from pipelines.resources import CrmSource, RunParams, Warehouse


@dg.asset(
    key=["published_warehouse"],
    deps=[trustgap_dbt_models],
    group_name="publish",
    kinds={"duckdb"},
    description=(
        "The DuckDB file BI tools and RevOps read. Replaced atomically, and only "
        "when every blocking check of this run passed."
    ),
)
def published_warehouse(
    context: dg.AssetExecutionContext, warehouse: Warehouse, run_params: RunParams, crm: CrmSource
) -> dg.MaterializeResult:
    result = wh.publish(
        warehouse.working,
        warehouse.published,
        run_id=context.run_id,
        as_of=run_params.as_of_date(),
        source=crm.resolved_source(),
    )
    context.log.info(f"Published {result.path} ({result.bytes / 1e6:.1f} MB)")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "size_mb": round(result.bytes / 1e6, 2),
            "as_of": run_params.as_of_date().isoformat(),
        }
    )
