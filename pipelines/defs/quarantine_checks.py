"""One asset check per quarantine table: rows held back warn, too many block.

Quarantined rows are kept out of the marts, so a few are worth a warning and a
look (the check's metadata says how many, why and which ids), while a large share
means something systemic (a renamed stage, a broken date format) and the marts
would silently miss much of the business: above TRUSTGAP_QUARANTINE_MAX_SHARE
(default 5 % of the table's records) the check fails and the run does not publish.
Quarantined users (manager cycles) stay in the metrics, so they only warn, unless
no user at all has a place in the hierarchy.
"""

import dagster as dg

from pipelines import quarantine
from pipelines.resources import Warehouse


def _quarantine_check(table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey([quarantine.SCHEMA, table]),
        name=f"quarantined_{table}",
        blocking=True,
        description=(
            f"Rows of {table} held back from the metrics: warn when any, fail (no publish) "
            f"above {quarantine.MAX_SHARE_ENV} of all {table}."
            if table != "users"
            else "Users the manager hierarchy cannot place (cycles, self-managers): warn "
            "when any, fail (no publish) when no user has a place."
        ),
    )
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        limit = quarantine.max_share()
        with warehouse.connect(read_only=True) as con:
            held = quarantine.count(con, table)
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
                passed=False,
                severity=dg.AssetCheckSeverity.ERROR,
                description=blocking,
                metadata=metadata,
            )
        return dg.AssetCheckResult(
            passed=held.records == 0,
            severity=dg.AssetCheckSeverity.WARN,
            description=held.describe() if held.records else f"no {table} quarantined",
            metadata=metadata,
        )

    return _check


@dg.definitions
def quarantine_checks() -> dg.Definitions:
    return dg.Definitions(asset_checks=[_quarantine_check(t) for t in quarantine.TABLES])
