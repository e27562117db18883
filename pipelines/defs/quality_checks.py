"""great-expectations suites as Dagster asset checks.

One check per suite in expectations/suites, plus a team's own suites from the
folder named by TRUSTGAP_EXPECTATIONS_DIR (same YAML format; expectations for a
table that already has a suite are added to it); one step per schema runs them.
Error-severity failures block: downstream assets (and so the publish) do not
materialize. Warn-severity failures are reported with WARN severity and let the
run continue.

Checks read the run's working warehouse. Row-count changes are judged against the
previous published warehouse, attached read-only; freshness against the run's
reference moment with the dbt vars' thresholds, both from pipelines.freshness.
"""

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from expectations import (
    ExpectationTableMissing,
    Suite,
    SuiteError,
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


def _layer_checks(schema: str, suites: list[Suite]) -> dg.AssetChecksDefinition:
    """One step validating every suite of a schema's tables, each still its own check.

    A check per table with a step of its own paid, per table, Dagster's step, a DuckDB
    open of the working file, the previous publish attached and the landings read
    again (~0.1-0.2 s each, 35 tables: seconds of a no-change run); here they are paid
    once per schema. Each suite keeps its check (gx_<table>), verdict and blocking: a
    failed error-severity suite fails the step, so nothing downstream materializes.
    """
    keys = {_check_key(suite): suite for suite in suites}
    specs = [
        dg.AssetCheckSpec(
            name=key.name,
            asset=key.asset_key,
            blocking=True,
            description=f"great-expectations suite for {suite.table}",
        )
        for key, suite in keys.items()
    ]

    @dg.multi_asset_check(specs=specs, name=f"gx_{schema}", can_subset=True)
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: Warehouse, run_params: RunParams
    ) -> Iterator[dg.AssetCheckResult]:
        chosen = [s for key, s in keys.items() if key in context.selected_asset_check_keys]
        yield from check_suites(chosen, warehouse, run_params)

    return _check


def _check_key(suite: Suite) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey([suite.schema, suite.name]), f"gx_{suite.name}")


def check_suites(
    suites: list[Suite], warehouse: Warehouse, run_params: RunParams
) -> Iterator[dg.AssetCheckResult]:
    """Each suite's check result, validated on one connection to the run's working file.

    A suite that cannot run (its table missing, a suite GX rejects) raises, as when it
    had a step of its own, but only once the others have given their verdicts.
    """
    errors: list[Exception] = []
    with (
        warehouse.connect(read_only=True) as con,
        _validation_contexts(con, suites, warehouse, run_params) as context_for,
    ):
        for suite in suites:
            try:
                result = validate_table(con, suite, context=context_for(suite))
            except (ExpectationTableMissing, SuiteError) as exc:
                errors.append(exc)
                continue
            yield _check_result(_check_key(suite), result)
    if errors:
        raise errors[0]


def _check_result(key: dg.AssetCheckKey, result) -> dg.AssetCheckResult:
    if not result.success:
        severity, passed = dg.AssetCheckSeverity.ERROR, False
    elif result.warnings:
        severity, passed = dg.AssetCheckSeverity.WARN, False
    else:
        severity, passed = dg.AssetCheckSeverity.ERROR, True
    return dg.AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=passed,
        severity=severity,
        description=result.describe()[:2000],
        metadata=result.to_metadata(),
    )


@contextmanager
def _validation_contexts(
    con: duckdb.DuckDBPyConnection,
    suites: list[Suite],
    warehouse: Warehouse,
    run_params: RunParams,
) -> Iterator[Callable[[Suite], ValidationContext]]:
    """What each suite needs beyond its table: the previous publish, freshness's yardsticks.

    Read once for all `suites`; a suite gets only what its own expectations use.
    """
    types = {spec.type for suite in suites for spec in suite.expectations}
    landings, fresh = {}, {}
    if FRESHNESS in types:
        landings = freshness.raw_table_landings(con)
        fresh = {
            "reference_at": freshness.reference_moment(
                landings,
                as_of=run_params.as_of_date(warehouse.published),
                zone=run_params.default_zone(warehouse.published),
            ),
            "freshness_hours": freshness.thresholds().by_severity(),
        }

    def make(suite: Suite, baseline: dict) -> ValidationContext:
        own = {spec.type for spec in suite.expectations}
        return ValidationContext(
            **(fresh | {"last_synced_at": landings.get(suite.table)} if FRESHNESS in own else {}),
            **(baseline if ROW_COUNT_CHANGE in own else {}),
        )

    if ROW_COUNT_CHANGE not in types:
        yield lambda suite: make(suite, {})
        return
    with attach_baseline(con, warehouse.published) as (catalog, note):
        baseline = {"baseline_catalog": catalog, "baseline_note": note}
        yield lambda suite: make(suite, baseline)


@dg.definitions
def quality_checks() -> dg.Definitions:
    layers: dict[str, list[Suite]] = {}
    for suite in all_suites().values():
        layers.setdefault(suite.schema, []).append(suite)
    return dg.Definitions(
        asset_checks=[_layer_checks(schema, suites) for schema, suites in layers.items()]
    )
