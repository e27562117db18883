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

A run reads one CRM and empties the other's raw tables (pipelines/raw_landing.py).
Those suites are not validated: each check passes saying the table is another CRM's
and empty (`not_validated` in its metadata), unless the table holds rows, which are
then validated as on any run.
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
    read_table,
    validate_tables,
)
from expectations.strategies import FRESHNESS, ROW_COUNT_CHANGE
from expectations.warehouse_sql import quote
from pipelines import freshness
from pipelines.raw_landing import RAW_SCHEMAS
from pipelines.resources import CrmSource, RunParams, Warehouse
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
        context: dg.AssetCheckExecutionContext,
        warehouse: Warehouse,
        run_params: RunParams,
        crm: CrmSource,
    ) -> Iterator[dg.AssetCheckResult]:
        chosen = [s for key, s in keys.items() if key in context.selected_asset_check_keys]
        yield from check_suites(chosen, warehouse, run_params, platform=crm.platform())

    return _check


def _check_key(suite: Suite) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey([suite.schema, suite.name]), f"gx_{suite.name}")


def check_suites(
    suites: list[Suite],
    warehouse: Warehouse,
    run_params: RunParams,
    *,
    platform: str | None = None,
) -> Iterator[dg.AssetCheckResult]:
    """Each suite's check result, validated on one connection to the run's working file.

    ``platform`` is the CRM the run reads: the other CRM's raw tables, which the run
    emptied, are reported as not validated (``_other_crms_empty_tables``); None
    validates every suite. A suite that cannot run (its table missing, a suite GX
    rejects) raises, as when it had a step of its own, but only once the others have
    given their verdicts.
    """
    errors: list[Exception] = []
    with warehouse.connect(read_only=True) as con:
        emptied = _other_crms_empty_tables(con, suites, platform)
        for suite in suites:
            if suite.table in emptied:
                yield _not_validated(_check_key(suite), suite, platform)
        validated = [suite for suite in suites if suite.table not in emptied]
        if validated:
            yield from _validate_suites(con, validated, warehouse, run_params, errors)
    if errors:
        raise errors[0]


def _validate_suites(
    con: duckdb.DuckDBPyConnection,
    suites: list[Suite],
    warehouse: Warehouse,
    run_params: RunParams,
    errors: list[Exception],
) -> Iterator[dg.AssetCheckResult]:
    """Each suite's result; GX judges the suites' single figures in one validation."""
    reads = []
    with _validation_contexts(con, suites, warehouse, run_params) as context_for:
        for suite in suites:
            try:
                reads.append(read_table(con, suite, context=context_for(suite)))
            except (ExpectationTableMissing, SuiteError) as exc:
                errors.append(exc)
    for read, result in zip(reads, validate_tables(reads), strict=True):
        yield _check_result(_check_key(read.suite), result)


def _other_crms_empty_tables(
    con: duckdb.DuckDBPyConnection, suites: list[Suite], platform: str | None
) -> set[str]:
    """The tables of ``suites`` in another CRM's raw schema than ``platform``'s that hold
    no rows: the run's raw step emptied them, so there is nothing to validate. A table
    that holds rows all the same is left out, and is validated."""
    if platform is None:
        return set()
    others = {schema for crm, schema in RAW_SCHEMAS.items() if crm != platform}
    candidates = [s for s in suites if s.schema in others]
    if not candidates:
        return set()
    empty = set()
    for suite in candidates:
        table = f"{quote(suite.schema)}.{quote(suite.name)}"
        try:
            if con.execute(f"select not exists (select 1 from {table})").fetchone()[0]:
                empty.add(suite.table)
        except duckdb.CatalogException:
            continue  # validated, so that the missing table fails its check as it should
    return empty


def _not_validated(
    key: dg.AssetCheckKey, suite: Suite, platform: str | None
) -> dg.AssetCheckResult:
    reason = (
        f"Not validated: this run reads {platform}, and {suite.table} is another CRM's "
        "raw table, which the run emptied (0 rows)."
    )
    return dg.AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=True,
        severity=dg.AssetCheckSeverity.ERROR,
        description=reason,
        metadata={
            "table": suite.table,
            "rows": 0,
            "not_validated": reason,
            "run_crm": platform,
            "expectations_evaluated": 0,
        },
    )


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
