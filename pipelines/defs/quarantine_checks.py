"""One asset check per quarantine table, all in one step: rows held back warn, too many block.

Quarantined rows are kept out of the marts, so a few are worth a warning and a
look (the check's metadata says how many, why and which ids), while a large share
means something systemic (a renamed stage, a broken date format) and the marts
would silently miss much of the business: above TRUSTGAP_QUARANTINE_MAX_SHARE
(default 5 % of the table's records) the check fails and the run does not publish.
Quarantined users (manager cycles) stay in the metrics, so they only warn, unless
no user at all has a place in the hierarchy.
"""

from collections.abc import Iterator

import dagster as dg

from pipelines import quarantine
from pipelines.resources import Warehouse


def _description(table: str) -> str:
    if table == "users":
        return (
            "Users the manager hierarchy cannot place (cycles, self-managers): warn "
            "when any, fail (no publish) when no user has a place."
        )
    return (
        f"Rows of {table} held back from the metrics: warn when any, fail (no publish) "
        f"above {quarantine.MAX_SHARE_ENV} of all {table}."
    )


def _check_key(table: str) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey([quarantine.SCHEMA, table]), f"quarantined_{table}")


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            name=_check_key(table).name,
            asset=_check_key(table).asset_key,
            blocking=True,
            description=_description(table),
        )
        for table in quarantine.TABLES
    ],
    name="quarantine_checks",
    can_subset=True,
)
def quarantine_tables(
    context: dg.AssetCheckExecutionContext, warehouse: Warehouse
) -> Iterator[dg.AssetCheckResult]:
    """Every quarantine table's check in one step, on one connection: a step each paid
    Dagster's step and a DuckDB open of the working file three times (#17). Each table
    keeps its own check, verdict and blocking."""
    limit = quarantine.max_share()
    chosen = [t for t in quarantine.TABLES if _check_key(t) in context.selected_asset_check_keys]
    with warehouse.connect(read_only=True) as con:
        held = {table: quarantine.count(con, table) for table in chosen}
    for table in chosen:
        yield _check_result(table, held[table], limit)


def _check_result(
    table: str, held: quarantine.QuarantineCount, limit: float
) -> dg.AssetCheckResult:
    key = _check_key(table)
    metadata = {
        "quarantined": dg.MetadataValue.int(held.records),
        "of_total": dg.MetadataValue.int(held.total or 0),
        "share": dg.MetadataValue.float(round(held.share, 6)),
        "max_share": dg.MetadataValue.float(limit),
        "by_reason": dg.MetadataValue.json(held.by_reason),
        "sample_ids": dg.MetadataValue.json(held.sample_ids),
        "query": f"select * from {quarantine.SCHEMA}.{table} order by reason",
    }
    blocking = quarantine.blocking_problem(held, limit)
    if blocking:
        return dg.AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description=blocking,
            metadata=metadata,
        )
    return dg.AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=held.records == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=held.describe() if held.records else f"no {table} quarantined",
        metadata=metadata,
    )


@dg.definitions
def quarantine_checks() -> dg.Definitions:
    return dg.Definitions(asset_checks=[quarantine_tables])
