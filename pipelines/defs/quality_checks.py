"""great-expectations suites as Dagster asset checks.

One check per suite in expectations/suites. Error-severity failures block:
downstream assets (and so the publish) do not materialize. Warn-severity
failures are reported with WARN severity and let the run continue.
"""

import dagster as dg

from expectations import load_suites, validate_table
from pipelines.resources import Warehouse


def _suite_check(suite) -> dg.AssetChecksDefinition:
    schema, table = suite.table.split(".", 1)

    @dg.asset_check(
        asset=dg.AssetKey([schema, table]),
        name=f"gx_{table}",
        blocking=True,
        description=f"great-expectations suite for {suite.table}",
    )
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            result = validate_table(con, suite)
        if not result.success:
            severity, passed = dg.AssetCheckSeverity.ERROR, False
        elif result.warnings:
            severity, passed = dg.AssetCheckSeverity.WARN, False
        else:
            severity, passed = dg.AssetCheckSeverity.ERROR, True
        return dg.AssetCheckResult(passed=passed, severity=severity, metadata=result.to_metadata())

    return _check


@dg.definitions
def quality_checks() -> dg.Definitions:
    return dg.Definitions(asset_checks=[_suite_check(s) for s in load_suites().values()])
