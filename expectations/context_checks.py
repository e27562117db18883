"""Trustgap's own expectation types: what GX cannot see from one table.

Referential integrity reads another table, the row-count change the previous published
run, freshness the run's reference moment (both from the ``ValidationContext`` the
caller passes). DuckDB computes each figure; GX's ``expect_column_values_to_be_between``
judges it (a ``Judgement`` the runner hands GX with the others of its validation run),
except referential integrity, judged like uniqueness from the orphan count.
"""

import datetime as dt
from typing import Any

import duckdb

from expectations.context import ValidationContext
from expectations.errors import ExpectationTableMissing
from expectations.gx_engine import Judgement
from expectations.outcomes import SAMPLE_SIZE, error_field, mostly_success, outcome, percent
from expectations.results import ExpectationOutcome
from expectations.strategies import FRESHNESS, REFERENTIAL, ROW_COUNT_CHANGE
from expectations.suites import ExpectationSpec, Suite
from expectations.warehouse_sql import Columns, quote, table_columns

_TIME_TYPES = ("TIMESTAMP", "DATE")


def validate_in_context(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    columns: Columns,
    spec: ExpectationSpec,
    row_count: int,
    context: ValidationContext,
) -> ExpectationOutcome | Judgement:
    """One of Trustgap's types: the figure comes from DuckDB, the verdict from GX (the
    ``Judgement`` returned, when there is a figure to judge)."""
    table = f"{quote(suite.schema)}.{quote(suite.name)}"
    try:
        if spec.type == REFERENTIAL:
            return _validate_referential(con, table, columns, spec)
        if spec.type == ROW_COUNT_CHANGE:
            return _validate_row_count_change(con, suite, spec, row_count, context)
        assert spec.type == FRESHNESS, spec.type
        return _validate_freshness(con, table, columns, spec, row_count, context)
    except duckdb.Error as exc:
        # e.g. comparing columns of types DuckDB cannot compare: this check fails alone.
        return outcome(spec, success=False, observed={"error": f"{type(exc).__name__}: {exc}"})


def _validate_referential(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Columns,
    spec: ExpectationSpec,
) -> ExpectationOutcome:
    other_table, other_column = spec.kwargs["other_table"], spec.kwargs["other_column"]
    try:
        other_columns = table_columns(con, other_table)
    except ExpectationTableMissing:
        message = f"other table {other_table} not found"
        return outcome(spec, success=False, observed={"error": message})
    if other_column.lower() not in other_columns:
        message = f"column {other_column!r} not found in {other_table}"
        return outcome(spec, success=False, observed={"error": message})
    other_schema, other_name = other_table.split(".")
    other = f"{quote(other_schema)}.{quote(other_name)}"
    column = quote(columns[spec.kwargs["column"].lower()][0])
    target = quote(other_columns[other_column.lower()][0])
    # Joined against the distinct target values, each row of the table appears once: one
    # pass with a hash table of the (usually small) target; DuckDB spills it if need be.
    ((element_count, considered, orphans, orphan_values),) = con.execute(
        f"select count(*), count(t.{column}), "
        f"count(*) filter (where t.{column} is not null and o.v is null), "
        f"count(distinct t.{column}) filter (where t.{column} is not null and o.v is null) "
        f"from {table} t left join (select distinct {target} as v from {other}) o "
        f"on t.{column} = o.v"
    ).fetchall()
    samples: list[Any] = []
    sample_keys: list[str] = []
    if orphans:
        orphan_rows = (
            f"from {table} t where t.{column} is not null and not exists "
            f"(select 1 from {other} o where o.{target} = t.{column})"
        )
        samples = [
            value
            for value, _ in con.execute(
                f"select cast(t.{column} as varchar) as v, count(*) as n {orphan_rows} "
                f"group by v order by n desc, v limit {SAMPLE_SIZE}"
            ).fetchall()
        ]
        if spec.key_column:
            key = quote(columns[spec.key_column.lower()][0])
            sample_keys = [
                k
                for (k,) in con.execute(
                    f"select cast(t.{key} as varchar) as k {orphan_rows} "
                    f"order by k limit {SAMPLE_SIZE}"
                ).fetchall()
            ]
        else:
            sample_keys = samples
    observed = {
        "element_count": element_count,
        "missing_count": element_count - considered,
        "unexpected_count": orphans,
        "unexpected_percent": percent(orphans, considered),
        "orphan_values": orphan_values,
        "partial_unexpected_list": samples,
    }
    return outcome(
        spec,
        success=mostly_success(considered, orphans, spec.kwargs.get("mostly")),
        observed=observed,
        sample_keys=sample_keys,
    )


def _validate_row_count_change(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    spec: ExpectationSpec,
    row_count: int,
    context: ValidationContext,
) -> ExpectationOutcome | Judgement:
    observed: dict[str, Any] = {"current_rows": row_count, "previous_rows": None, "ratio": None}
    catalog = context.baseline_catalog
    if catalog is None:
        return outcome(spec, success=True, observed={**observed, "note": context.baseline_note})
    found = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = ? and lower(table_schema) = lower(?) "
        "and lower(table_name) = lower(?)",
        [catalog, suite.schema, suite.name],
    ).fetchall()
    if not found:
        note = f"{suite.table} is not in the {context.baseline_note}"
        return outcome(spec, success=True, observed={**observed, "note": note})
    ((schema, name),) = found
    ((previous,),) = con.execute(
        f"select count(*) from {quote(catalog)}.{quote(schema)}.{quote(name)}"
    ).fetchall()
    observed |= {"previous_rows": previous, "compared_with": context.baseline_note}
    floor = spec.kwargs.get("min_previous_rows", 1)
    if previous < floor:
        note = f"not compared: fewer than min_previous_rows ({floor}) rows before"
        return outcome(spec, success=True, observed={**observed, "note": note})
    ratio = row_count / previous
    bounds = {"min_value": spec.kwargs.get("min_ratio"), "max_value": spec.kwargs.get("max_ratio")}
    observed["ratio"] = round(ratio, 4)
    return Judgement(spec, float(ratio), bounds, _finish(spec, observed))


def _validate_freshness(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Columns,
    spec: ExpectationSpec,
    row_count: int,
    context: ValidationContext,
) -> ExpectationOutcome | Judgement:
    name, data_type = columns[spec.kwargs["column"].lower()]
    if not data_type.upper().startswith(_TIME_TYPES):
        message = f"column {name!r} is {data_type}; freshness needs a timestamp or date column"
        return outcome(spec, success=False, observed={"error": message})
    if row_count == 0:
        return outcome(spec, success=True, observed={"note": "empty table"})
    max_age_hours = spec.kwargs.get("max_age_hours")
    if max_age_hours is None:
        max_age_hours = (context.freshness_hours or {}).get(spec.severity)
    if max_age_hours is None:
        message = (
            f"no max_age_hours: give it in the suite or pass the {spec.severity} "
            "threshold in ValidationContext.freshness_hours"
        )
        return outcome(spec, success=False, observed={"error": message})
    ((latest,),) = con.execute(f"select max({quote(name)}) from {table}").fetchall()
    reference = context.reference_moment()
    observed: dict[str, Any] = {
        "latest": latest,
        "reference_at": reference,
        "max_age_hours": max_age_hours,
    }
    if context.last_synced_at is not None:
        observed["last_synced_at"] = context.last_synced_at
    if latest is None and context.last_synced_at is None:
        note = f"every {name} is null: the table's age is unknown"
        return outcome(spec, success=False, observed={**observed, "note": note})
    if latest is not None:
        if not isinstance(latest, dt.datetime):
            latest = dt.datetime.combine(latest, dt.time())
        if latest.tzinfo is None:
            latest = latest.replace(tzinfo=dt.UTC)  # naive timestamps in the warehouse are UTC
    # A table synced after its newest row landed was checked and had nothing new.
    latest = max(t for t in (latest, context.last_synced_at) if t is not None)
    age_hours = (reference - latest).total_seconds() / 3600
    observed["age_hours"] = round(age_hours, 2)
    return Judgement(spec, float(age_hours), {"max_value": max_age_hours}, _finish(spec, observed))


def _finish(spec: ExpectationSpec, observed: dict[str, Any]):
    """The outcome once GX has judged the figure: ``observed`` and GX's error if any."""

    def finish(success: bool, error: str | None) -> ExpectationOutcome:
        return outcome(spec, success=success, observed={**observed, **error_field(error)})

    return finish
