"""Whole-table expectations: schema checks on column names, aggregates computed in DuckDB.

DuckDB computes each aggregate in one pass over the table; GX judges the small result
(``expectations.strategies`` says which aggregate stands for which expectation).
Uniqueness is judged here from duplicate groups, so no table is ever held in memory.
"""

import duckdb
import pandas as pd

from expectations.gx_engine import (
    Judgement,
    exception_message,
    gx_validate,
    outcome_from_gx,
    result_index,
    tagged,
)
from expectations.outcomes import SAMPLE_SIZE, mostly_success, outcome, percent
from expectations.results import ExpectationOutcome, to_jsonable
from expectations.strategies import (
    BOUNDS_ON_AGGREGATE,
    DISTINCT_VALUES,
    SAME_ON_AGGREGATE,
    UNIQUENESS,
)
from expectations.suites import ExpectationSpec
from expectations.warehouse_sql import Columns, quote, select_expr, value_expr


def validate_schema(
    specs: dict[int, ExpectationSpec], column_names: list[str]
) -> dict[int, ExpectationOutcome]:
    """Schema expectations, run on an empty frame with the table's columns."""
    if not specs:
        return {}
    frame = pd.DataFrame({name: pd.Series(dtype="object") for name in column_names})
    results = gx_validate(frame, [tagged(spec, i) for i, spec in specs.items()])
    outcomes = {}
    for er in results:
        index = result_index(er)
        outcomes[index] = outcome_from_gx(specs[index], er)
    return outcomes


def validate_aggregate(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Columns,
    spec: ExpectationSpec,
) -> ExpectationOutcome | Judgement:
    """One aggregate expectation of GX's: the figure from DuckDB, the verdict from GX (a
    bound on the figure is the ``Judgement`` returned, judged with the run's others)."""
    if spec.type in UNIQUENESS:
        return validate_uniqueness(con, table, columns, spec)
    column = spec.kwargs.get("column")
    if spec.type in DISTINCT_VALUES:
        sql = f"select distinct {select_expr(columns, column)} from {table}"
        frame = con.sql(sql).to_arrow_table().to_pandas()
        (er,) = gx_validate(frame, [tagged(spec, 0)])
        # "details" holds value counts, which are all 1 on a distinct frame.
        return outcome_from_gx(spec, er, drop=("details",))

    template = SAME_ON_AGGREGATE.get(spec.type) or BOUNDS_ON_AGGREGATE[spec.type]
    expression = template.format(column=value_expr(columns, column) if column else "")
    (value,) = con.execute(f"select {expression} from {table}").fetchall()[0]
    if spec.type in BOUNDS_ON_AGGREGATE:
        bounds = {k: v for k, v in spec.kwargs.items() if k not in ("column", "value")}
        if "value" in spec.kwargs:
            bounds |= {"min_value": spec.kwargs["value"], "max_value": spec.kwargs["value"]}

        def finish(success: bool, error: str | None) -> ExpectationOutcome:
            observed = {"error": error} if error else {"observed_value": to_jsonable(value)}
            return outcome(spec, success=success, observed=observed)

        return Judgement(spec, value, bounds, finish)
    # min/max/mean/median/sum of a one-value column is that value: GX sees its own check.
    (er,) = gx_validate(pd.DataFrame({column: [value]}), [tagged(spec, 0)])
    error = exception_message(er)
    observed = {"error": error} if error else {"observed_value": to_jsonable(value)}
    return outcome(spec, success=bool(er.success) and not error, observed=observed)


def _single_column_without_duplicates(
    con: duckdb.DuckDBPyConnection, table: str, name: str, spec: ExpectationSpec
) -> ExpectationOutcome | None:
    """The outcome of a one-column uniqueness check when the column has no duplicate,
    else None (the caller then counts the duplicate groups and samples them).

    One pass counting distinct hashes of the values: equal values hash equal, so when
    there are as many hashes as non-null values, there is no duplicate group (two values
    sharing a hash only send the check to the grouped count). Most nights a raw table's
    Id has none. Counting distinct values cost about two thirds of the grouped count
    (0.32 against 0.50 s for the L org's 4.2M field history rows), whose groups are only
    needed to describe duplicates; counting their 64-bit hashes instead took 0.31-0.39 ->
    0.25-0.27 s there, and 0.43-0.63 -> 0.31-0.33 s for the 5M tasks (idle machine)."""
    element_count, considered_count, distinct = con.execute(
        f"select count(*), count({name}), "
        f"count(distinct hash({name})) filter (where {name} is not null) from {table}"
    ).fetchall()[0]
    if distinct != considered_count:
        return None
    observed = {
        "element_count": element_count,
        "missing_count": element_count - considered_count,
        "unexpected_count": 0,
        "unexpected_percent": percent(0, considered_count),
        "duplicate_keys": 0,
        "partial_unexpected_list": [],
    }
    return outcome(
        spec,
        success=mostly_success(considered_count, 0, spec.kwargs.get("mostly")),
        observed=observed,
        sample_keys=[],
    )


def validate_uniqueness(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Columns,
    spec: ExpectationSpec,
) -> ExpectationOutcome:
    """Unique values (or value combinations), judged from duplicate groups counted in SQL."""
    names = [quote(columns[c.lower()][0]) for c in spec.columns]
    if spec.type == "expect_column_values_to_be_unique":
        considered = f"{names[0]} is not null"
    else:
        ignore = spec.kwargs.get("ignore_row_if", "all_values_are_missing")
        considered = {
            "all_values_are_missing": " or ".join(f"{n} is not null" for n in names),
            "any_value_is_missing": " and ".join(f"{n} is not null" for n in names),
            "never": "true",
        }[ignore]
    if spec.type == "expect_column_values_to_be_unique":
        clean = _single_column_without_duplicates(con, table, names[0], spec)
        if clean is not None:
            return clean
    group = ", ".join(names)
    key = " || ', ' || ".join(f"coalesce(cast({n} as varchar), 'null')" for n in names)
    # DuckDB's hash aggregate spills to disk past its memory_limit, so this also works on
    # tables larger than memory.
    duplicates = (
        f"select {group}, count(*) as n from {table} where {considered} "
        f"group by {group} having count(*) > 1"
    )
    element_count, considered_count, unexpected, duplicate_keys, duplicate_values = con.execute(
        f"with d as materialized ({duplicates}), "
        f"totals as (select count(*) as rows, count(*) filter (where {considered}) as considered "
        f"from {table}) "
        "select rows, considered, (select coalesce(sum(n), 0) from d), (select count(*) from d), "
        f"(select list(k order by n desc, k) from (select {key} as k, n from d "
        f"order by n desc, k limit {SAMPLE_SIZE})) "
        "from totals"
    ).fetchall()[0]
    duplicate_values = list(duplicate_values or [])
    if spec.key_column and spec.key_column not in spec.columns:
        on = " and ".join(f"t.{n} is not distinct from d.{n}" for n in names)
        key_name = quote(columns[spec.key_column.lower()][0])
        sample_keys = [
            row[0]
            for row in con.execute(
                f"select cast(t.{key_name} as varchar) from {table} t "
                f"join ({duplicates}) d on {on} "
                f"order by {', '.join(f'd.{n}' for n in names)}, 1 limit {SAMPLE_SIZE}"
            ).fetchall()
        ]
    else:
        sample_keys = duplicate_values
    observed = {
        "element_count": element_count,
        "missing_count": element_count - considered_count,
        "unexpected_count": int(unexpected),
        "unexpected_percent": percent(unexpected, considered_count),
        "duplicate_keys": duplicate_keys,
        "partial_unexpected_list": duplicate_values,
    }
    return outcome(
        spec,
        success=mostly_success(considered_count, unexpected, spec.kwargs.get("mostly")),
        observed=observed,
        sample_keys=sample_keys,
    )
