"""The trust report: HTML pages built from the warehouse each night, right after publishing."""

import dagster as dg

from pipelines.defs.publish import published_warehouse
from pipelines.resources import Warehouse
from pipelines.settings import Settings


@dg.asset(
    key=["trust_report"],
    deps=[published_warehouse],
    group_name="publish",
    kinds={"html"},
    description=(
        "The trust report (TRUSTGAP_REPORT_DIR, default `report/` beside the published "
        "warehouse): `index.html` for the organisation and `directors/<name>.html` for each "
        "Sales Director, self-contained files with charts as inline SVG."
    ),
)
def trust_report(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    # Imported here: altair and vl-convert are only needed by this step.
    from pipelines.report.build import build_report

    settings = Settings.from_env()
    if settings.engine == "spark":
        # The report's queries are DuckDB SQL over the published file, which a Spark
        # run does not write; BI reads the Spark catalog's marts instead.
        context.log.info(
            "Trust report skipped: TRUSTGAP_ENGINE=spark publishes to the Spark catalog, "
            "and the report reads the published DuckDB file."
        )
        return dg.MaterializeResult(metadata={"skipped": "TRUSTGAP_ENGINE=spark"})
    out = settings.report_path(warehouse.published)
    result = build_report(warehouse.published, out)
    context.log.info(
        f"Trust report: {result.index} ({len(result.pages)} pages, "
        f"{sum(result.pages.values()) / 1e6:.1f} MB) in {result.seconds:.1f} s"
    )
    return dg.MaterializeResult(
        metadata={
            "index": dg.MetadataValue.path(str(result.index)),
            "pages": len(result.pages),
            "size_mb": round(sum(result.pages.values()) / 1e6, 2),
            "seconds": round(result.seconds, 2),
            "as_of": result.as_of.isoformat(),
        }
    )
