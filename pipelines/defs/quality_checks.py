"""great-expectations suites as Dagster asset checks.

One check per suite in expectations/suites, plus a team's own suites from the
folder named by TRUSTGAP_EXPECTATIONS_DIR (same YAML format; expectations for a
table that already has a suite are added to it). Error-severity failures block:
downstream assets (and so the publish) do not materialize. Warn-severity
failures are reported with WARN severity and let the run continue.

Checks read the run's working warehouse. Row-count changes are judged against the
previous published warehouse, attached read-only; freshness against the run's
reference moment with the dbt vars' thresholds, both from pipelines.freshness.
"""

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from expectations import (
    Suite,
    ValidationContext,
    attach_baseline,
    load_suites,
    validate_table,
)
from expectations.strategies import FRESHNESS, ROW_COUNT_CHANGE
from pipelines import freshness
from pipelines.resources import RunParams, Warehouse
from pipelines.settings import Settings


def all_suites() -> dict:
    """Shipped suites merged with the team's extra suites, keyed by table."""
    suites = dict(load_suites())
    extra_dir = Settings.from_env().expectations_dir
    if extra_dir:
        for table, extra in load_suites(extra_dir).items():
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
    def _check(warehouse: Warehouse, run_params: RunParams) -> dg.AssetCheckResult:
        with (
            warehouse.connect(read_only=True) as con,
            _validation_context(con, suite, warehouse, run_params) as validation,
        ):
            result = validate_table(con, suite, context=validation)
        if not result.success:
            severity, passed = dg.AssetCheckSeverity.ERROR, False
        elif result.warnings:
            severity, passed = dg.AssetCheckSeverity.WARN, False
        else:
            severity, passed = dg.AssetCheckSeverity.ERROR, True
        return dg.AssetCheckResult(
            passed=passed,
            severity=severity,
            description=result.describe()[:2000],
            metadata=result.to_metadata(),
        )

    return _check


@contextmanager
def _validation_context(
    con: duckdb.DuckDBPyConnection, suite: Suite, warehouse: Warehouse, run_params: RunParams
) -> Iterator[ValidationContext]:
    """What the suite needs beyond its table: the previous publish, freshness's yardsticks."""
    types = {spec.type for spec in suite.expectations}
    fresh = {}
    if FRESHNESS in types:
        landings = freshness.raw_table_landings(con)
        fresh = {
            "reference_at": freshness.reference_moment(
                landings,
                as_of=run_params.as_of_date(warehouse.published),
                zone=run_params.default_zone(warehouse.published),
            ),
            "last_synced_at": landings.get(suite.table),
            "freshness_hours": freshness.thresholds().by_severity(),
        }
    if ROW_COUNT_CHANGE not in types:
        yield ValidationContext(**fresh)
        return
    with attach_baseline(con, warehouse.published) as (catalog, note):
        yield ValidationContext(baseline_catalog=catalog, baseline_note=note, **fresh)


@dg.definitions
def quality_checks() -> dg.Definitions:
    return dg.Definitions(asset_checks=[_suite_check(s) for s in all_suites().values()])
