"""great-expectations suites as Dagster asset checks.

One check per suite in expectations/suites, plus a team's own suites from the
folder named by TRUSTGAP_EXPECTATIONS_DIR (same YAML format; expectations for a
table that already has a suite are added to it). Error-severity failures block:
downstream assets (and so the publish) do not materialize. Warn-severity
failures are reported with WARN severity and let the run continue.
"""

import dataclasses
import os
from pathlib import Path

import dagster as dg

from expectations import load_suites, validate_table
from pipelines.resources import Warehouse


def all_suites() -> dict:
    """Shipped suites merged with the team's extra suites, keyed by table."""
    suites = dict(load_suites())
    extra_dir = os.environ.get("TRUSTGAP_EXPECTATIONS_DIR")
    if extra_dir:
        for table, extra in load_suites(Path(extra_dir)).items():
            if table in suites:
                merged = suites[table].expectations + extra.expectations
                extra = dataclasses.replace(suites[table], expectations=merged)
            suites[table] = extra
    return suites


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
    return dg.Definitions(asset_checks=[_suite_check(s) for s in all_suites().values()])
