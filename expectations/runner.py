"""Validate a suite against a DuckDB table with great-expectations' pandas engine.

GX's SQL datasource cannot run on DuckDB (every metric fails), and tables may be larger
than memory, so the runner never hands GX a whole table:

- row-level expectations run on batches of ``chunk_rows`` rows holding only the columns
  the suite reads, streamed from DuckDB as Arrow; their counts are summed over batches;
- whole-table expectations are computed in DuckDB and GX judges the small result;
  uniqueness is judged here from duplicate groups (``group by ... having count(*) > 1``);
- schema expectations run on an empty frame with the table's columns;
- Trustgap's own types read beyond the table: another table (an anti-join in DuckDB),
  the previous published run and the run's reference moment (both from the
  ``ValidationContext`` the caller passes; see ``expectations.context``).

``expectations.strategies`` lists which expectation type takes which path.
"""

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import contextlib
import datetime as dt
import functools
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from expectations.context import ValidationContext
from expectations.errors import ExpectationTableMissing, SuiteError
from expectations.results import ExpectationOutcome, SuiteResult, to_jsonable
from expectations.strategies import (
    BOUNDS_ON_AGGREGATE,
    CONTEXT_TYPES,
    DISTINCT_VALUES,
    FRESHNESS,
    REFERENTIAL,
    ROW_COUNT_CHANGE,
    SAME_ON_AGGREGATE,
    UNIQUENESS,
)
from expectations.suites import ExpectationSpec, Suite

CHUNK_ROWS = 250_000
SAMPLE_SIZE = 5
_KEY_PREFIX = "__key__"
_META_KEY = "trustgap_index"
# GX objects are shared by every validation in the process; GX is not documented as
# thread-safe, and Dagster may run checks in threads.
_GX_LOCK = threading.RLock()


def validate_table(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    *,
    chunk_rows: int = CHUNK_ROWS,
    context: ValidationContext | None = None,
) -> SuiteResult:
    """Run every expectation of ``suite`` against its table on ``con``.

    The caller owns ``con`` (it is left open, with no result pending) and it must have no
    unfinished result of its own. Row-level checks see at most ``chunk_rows`` rows at a
    time, so memory is bounded by ``chunk_rows`` times the columns the suite reads.
    ``context`` gives the previous published run (an attached catalog) and the moment
    freshness is measured against; without it, row-count changes pass as having nothing
    to compare with and freshness is measured against the current time.
    Raises ExpectationTableMissing when the table does not exist and SuiteError when GX
    rejects an expectation's kwargs. A check that cannot run (a missing column, an error
    inside GX) becomes a failed outcome carrying an ``error`` message, so one broken
    check does not hide the others.
    """
    started = time.perf_counter()
    columns = _table_columns(con, suite.table)
    table = f"{_quote(suite.schema)}.{_quote(suite.name)}"
    outcomes: dict[int, ExpectationOutcome] = {}
    pending: dict[int, ExpectationSpec] = {}
    for index, spec in enumerate(suite.expectations):
        needed = (*spec.columns, spec.key_column) if spec.strategy != "schema" else ()
        missing = [c for c in needed if c is not None and c.lower() not in columns]
        if missing:
            message = f"column(s) {missing} not found in {suite.table}"
            outcomes[index] = _outcome(spec, success=False, observed={"error": message})
        else:
            pending[index] = spec

    # Whole-table queries go before the chunk stream: DuckDB runs no other query on a
    # connection while one of its results is being streamed.
    (row_count,) = con.execute(f"select count(*) from {table}").fetchall()[0]
    by_strategy = {
        kind: {i: s for i, s in pending.items() if s.strategy == kind}
        for kind in ("schema", "aggregated", "chunked")
    }
    column_names = [name for name, _ in columns.values()]
    outcomes |= _validate_schema(by_strategy["schema"], column_names)
    context = context or ValidationContext()
    for index, spec in by_strategy["aggregated"].items():
        if spec.type in CONTEXT_TYPES:
            outcomes[index] = _validate_in_context(con, suite, columns, spec, row_count, context)
        else:
            outcomes[index] = _validate_aggregate(con, table, columns, spec)
    chunked, chunks = _validate_chunks(con, table, columns, by_strategy["chunked"], chunk_rows)
    outcomes |= chunked

    return SuiteResult(
        table=suite.table,
        expectations=[outcomes[i] for i in sorted(outcomes)],
        row_count=int(row_count),
        chunks=chunks,
        seconds=time.perf_counter() - started,
    )


def build_gx_expectation(spec: ExpectationSpec, **overrides: Any) -> Any:
    """Instantiate the GX expectation for ``spec``; raise SuiteError if GX rejects its kwargs."""
    import great_expectations.exceptions as gx_exceptions
    from great_expectations.expectations.registry import get_expectation_impl

    if spec.type in CONTEXT_TYPES:
        raise SuiteError(
            f"{spec.label}: a Trustgap expectation judged by the runner; GX has no class for it."
        )
    try:
        cls = get_expectation_impl(spec.type)
    except gx_exceptions.ExpectationNotFoundError as exc:
        raise SuiteError(f"{spec.label}: great-expectations has no such expectation.") from exc
    kwargs = {**spec.kwargs, **overrides}
    try:
        return cls(**kwargs)
    except Exception as exc:  # pydantic's ValidationError, or GX's own config errors
        raise SuiteError(
            f"{spec.label}: great-expectations rejects kwargs {kwargs}: {exc}"
        ) from exc


@functools.cache
def warm_up() -> threading.Thread:
    """Import great-expectations and build its context in a background thread, once.

    Both take ~5 s of CPU that the first check would otherwise wait for; a caller
    with idle time (the nightly run while the extract waits on the CRM) starts this
    first. Validation takes the same lock, so it waits for a warm-up under way
    instead of building a second context.
    """

    def load() -> None:
        with _GX_LOCK:
            _batch_definition()

    thread = threading.Thread(target=load, name="gx-warm-up", daemon=True)
    thread.start()
    return thread


@functools.cache
def _batch_definition() -> Any:
    """The process-wide ephemeral GX context, reduced to the one batch definition we use."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every frame it gets (an md5 over a full pandas hash, twice per
    # validation) only to label the batch: 40% of validation time on 250k-row chunks.
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("trustgap").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole frame")


def _gx_validate(frame: pd.DataFrame, expectations: Sequence[Any]) -> list[Any]:
    """Validate ``frame`` with GX, returning one ExpectationValidationResult per expectation.

    Offending rows come back as index labels of ``frame``. GX's own
    ``unexpected_index_column_names`` is not used: it reads every unexpected row one
    ``df.at`` at a time, which took 10 of 15 s on a 1M-row table with 8% bad rows.
    """
    import great_expectations as gx

    result_format = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
    with _GX_LOCK:
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        gx_suite = gx.ExpectationSuite(name="trustgap", expectations=list(expectations))
        return batch.validate(gx_suite, result_format=result_format).results


def _tagged(spec: ExpectationSpec, index: int, **overrides: Any) -> Any:
    meta = {**(spec.kwargs.get("meta") or {}), _META_KEY: index}
    severity = "critical" if spec.severity == "error" else "warning"
    return build_gx_expectation(
        spec, meta=meta, catch_exceptions=True, severity=severity, **overrides
    )


def _validate_schema(
    specs: dict[int, ExpectationSpec], column_names: list[str]
) -> dict[int, ExpectationOutcome]:
    if not specs:
        return {}
    frame = pd.DataFrame({name: pd.Series(dtype="object") for name in column_names})
    results = _gx_validate(frame, [_tagged(spec, i) for i, spec in specs.items()])
    outcomes = {}
    for er in results:
        index = er.expectation_config.meta[_META_KEY]
        outcomes[index] = _outcome_from_gx(specs[index], er)
    return outcomes


def _validate_aggregate(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, tuple[str, str]],
    spec: ExpectationSpec,
) -> ExpectationOutcome:
    if spec.type in UNIQUENESS:
        return _validate_uniqueness(con, table, columns, spec)
    column = spec.kwargs.get("column")
    if spec.type in DISTINCT_VALUES:
        sql = f"select distinct {_select_expr(columns, column)} from {table}"
        frame = con.sql(sql).to_arrow_table().to_pandas()
        (er,) = _gx_validate(frame, [_tagged(spec, 0)])
        # "details" holds value counts, which are all 1 on a distinct frame.
        return _outcome_from_gx(spec, er, drop=("details",))

    template = SAME_ON_AGGREGATE.get(spec.type) or BOUNDS_ON_AGGREGATE[spec.type]
    expression = template.format(column=_value_expr(columns, column) if column else "")
    (value,) = con.execute(f"select {expression} from {table}").fetchall()[0]
    if spec.type in SAME_ON_AGGREGATE:
        # min/max/mean/median/sum of a one-value column is that value: GX sees its own check.
        frame = pd.DataFrame({column: [value]})
        expectation = _tagged(spec, 0)
    else:
        bounds = {k: v for k, v in spec.kwargs.items() if k not in ("column", "value")}
        if "value" in spec.kwargs:
            bounds |= {"min_value": spec.kwargs["value"], "max_value": spec.kwargs["value"]}
        frame = pd.DataFrame({"value": [value]})
        between = ExpectationSpec(
            "expect_column_values_to_be_between", {"column": "value", **bounds}, spec.severity
        )
        expectation = _tagged(between, 0)
    (er,) = _gx_validate(frame, [expectation])
    error = _exception_message(er)
    observed = {"error": error} if error else {"observed_value": to_jsonable(value)}
    return _outcome(spec, success=bool(er.success) and not error, observed=observed)


def _validate_uniqueness(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, tuple[str, str]],
    spec: ExpectationSpec,
) -> ExpectationOutcome:
    names = [_quote(columns[c.lower()][0]) for c in spec.columns]
    if spec.type == "expect_column_values_to_be_unique":
        considered = f"{names[0]} is not null"
    else:
        ignore = spec.kwargs.get("ignore_row_if", "all_values_are_missing")
        considered = {
            "all_values_are_missing": " or ".join(f"{n} is not null" for n in names),
            "any_value_is_missing": " and ".join(f"{n} is not null" for n in names),
            "never": "true",
        }[ignore]
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
        key_name = _quote(columns[spec.key_column.lower()][0])
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
        "unexpected_percent": _percent(unexpected, considered_count),
        "duplicate_keys": duplicate_keys,
        "partial_unexpected_list": duplicate_values,
    }
    return _outcome(
        spec,
        success=_mostly_success(considered_count, unexpected, spec.kwargs.get("mostly")),
        observed=observed,
        sample_keys=sample_keys,
    )


def _validate_in_context(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    columns: dict[str, tuple[str, str]],
    spec: ExpectationSpec,
    row_count: int,
    context: ValidationContext,
) -> ExpectationOutcome:
    """Trustgap's own types: the figure comes from DuckDB, the verdict from GX."""
    table = f"{_quote(suite.schema)}.{_quote(suite.name)}"
    try:
        if spec.type == REFERENTIAL:
            return _validate_referential(con, table, columns, spec)
        if spec.type == ROW_COUNT_CHANGE:
            return _validate_row_count_change(con, suite, spec, row_count, context)
        assert spec.type == FRESHNESS, spec.type
        return _validate_freshness(con, table, columns, spec, row_count, context)
    except duckdb.Error as exc:
        # e.g. comparing columns of types DuckDB cannot compare: this check fails alone.
        return _outcome(spec, success=False, observed={"error": f"{type(exc).__name__}: {exc}"})


def _validate_referential(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, tuple[str, str]],
    spec: ExpectationSpec,
) -> ExpectationOutcome:
    other_table, other_column = spec.kwargs["other_table"], spec.kwargs["other_column"]
    try:
        other_columns = _table_columns(con, other_table)
    except ExpectationTableMissing:
        message = f"other table {other_table} not found"
        return _outcome(spec, success=False, observed={"error": message})
    if other_column.lower() not in other_columns:
        message = f"column {other_column!r} not found in {other_table}"
        return _outcome(spec, success=False, observed={"error": message})
    other_schema, other_name = other_table.split(".")
    other = f"{_quote(other_schema)}.{_quote(other_name)}"
    column = _quote(columns[spec.kwargs["column"].lower()][0])
    target = _quote(other_columns[other_column.lower()][0])
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
            key = _quote(columns[spec.key_column.lower()][0])
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
        "unexpected_percent": _percent(orphans, considered),
        "orphan_values": orphan_values,
        "partial_unexpected_list": samples,
    }
    return _outcome(
        spec,
        success=_mostly_success(considered, orphans, spec.kwargs.get("mostly")),
        observed=observed,
        sample_keys=sample_keys,
    )


def _validate_row_count_change(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    spec: ExpectationSpec,
    row_count: int,
    context: ValidationContext,
) -> ExpectationOutcome:
    observed: dict[str, Any] = {"current_rows": row_count, "previous_rows": None, "ratio": None}
    catalog = context.baseline_catalog
    if catalog is None:
        return _outcome(spec, success=True, observed={**observed, "note": context.baseline_note})
    found = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = ? and lower(table_schema) = lower(?) "
        "and lower(table_name) = lower(?)",
        [catalog, suite.schema, suite.name],
    ).fetchall()
    if not found:
        note = f"{suite.table} is not in the {context.baseline_note}"
        return _outcome(spec, success=True, observed={**observed, "note": note})
    ((schema, name),) = found
    ((previous,),) = con.execute(
        f"select count(*) from {_quote(catalog)}.{_quote(schema)}.{_quote(name)}"
    ).fetchall()
    observed |= {"previous_rows": previous, "compared_with": context.baseline_note}
    floor = spec.kwargs.get("min_previous_rows", 1)
    if previous < floor:
        note = f"not compared: fewer than min_previous_rows ({floor}) rows before"
        return _outcome(spec, success=True, observed={**observed, "note": note})
    ratio = row_count / previous
    bounds = {"min_value": spec.kwargs.get("min_ratio"), "max_value": spec.kwargs.get("max_ratio")}
    success, error = _judge_value(spec, ratio, **bounds)
    observed["ratio"] = round(ratio, 4)
    return _outcome(spec, success=success, observed={**observed, **_error(error)})


_TIME_TYPES = ("TIMESTAMP", "DATE")


def _validate_freshness(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, tuple[str, str]],
    spec: ExpectationSpec,
    row_count: int,
    context: ValidationContext,
) -> ExpectationOutcome:
    name, data_type = columns[spec.kwargs["column"].lower()]
    if not data_type.upper().startswith(_TIME_TYPES):
        message = f"column {name!r} is {data_type}; freshness needs a timestamp or date column"
        return _outcome(spec, success=False, observed={"error": message})
    if row_count == 0:
        return _outcome(spec, success=True, observed={"note": "empty table"})
    ((latest,),) = con.execute(f"select max({_quote(name)}) from {table}").fetchall()
    reference = context.reference_moment()
    observed: dict[str, Any] = {
        "latest": latest,
        "reference_at": reference,
        "max_age_hours": spec.kwargs["max_age_hours"],
    }
    if context.last_synced_at is not None:
        observed["last_synced_at"] = context.last_synced_at
    if latest is None and context.last_synced_at is None:
        note = f"every {name} is null: the table's age is unknown"
        return _outcome(spec, success=False, observed={**observed, "note": note})
    if latest is not None:
        if not isinstance(latest, dt.datetime):
            latest = dt.datetime.combine(latest, dt.time())
        if latest.tzinfo is None:
            latest = latest.replace(tzinfo=dt.UTC)  # naive timestamps in the warehouse are UTC
    # A table synced after its newest row landed was checked and had nothing new.
    latest = max(t for t in (latest, context.last_synced_at) if t is not None)
    age_hours = (reference - latest).total_seconds() / 3600
    success, error = _judge_value(spec, age_hours, max_value=spec.kwargs["max_age_hours"])
    observed["age_hours"] = round(age_hours, 2)
    return _outcome(spec, success=success, observed={**observed, **_error(error)})


def _judge_value(spec: ExpectationSpec, value: float, **bounds: Any) -> tuple[bool, str | None]:
    """GX's verdict on one computed figure: ``expect_column_values_to_be_between`` on it."""
    bounds = {k: v for k, v in bounds.items() if v is not None}
    between = ExpectationSpec(
        "expect_column_values_to_be_between", {"column": "value", **bounds}, spec.severity
    )
    (er,) = _gx_validate(pd.DataFrame({"value": [float(value)]}), [_tagged(between, 0)])
    error = _exception_message(er)
    return bool(er.success) and not error, error


def _error(message: str | None) -> dict[str, str]:
    return {"error": message} if message else {}


@dataclass
class _Tally:
    """Counts for one row-level expectation, summed over chunks."""

    element_count: int = 0
    unexpected_count: int = 0
    missing_count: int | None = None
    every_chunk_passed: bool = True
    error: str | None = None
    partial_unexpected_list: list[Any] = field(default_factory=list)
    sample_keys: list[str] = field(default_factory=list)

    def add(self, er: Any, keys: pd.Series | None) -> None:
        self.error = self.error or _exception_message(er)
        if self.error:
            return
        result = er.result
        self.element_count += result.get("element_count") or 0
        self.unexpected_count += result.get("unexpected_count") or 0
        if "missing_count" in result:
            self.missing_count = (self.missing_count or 0) + (result["missing_count"] or 0)
        self.every_chunk_passed &= bool(er.success)
        room = SAMPLE_SIZE - len(self.partial_unexpected_list)
        self.partial_unexpected_list += result.get("partial_unexpected_list", [])[:room]
        if keys is not None:
            room = SAMPLE_SIZE - len(self.sample_keys)
            labels = result.get("partial_unexpected_index_list", [])[:room]
            self.sample_keys += [str(k) for k in keys.loc[labels]]

    def outcome(self, spec: ExpectationSpec) -> ExpectationOutcome:
        if self.error:
            return _outcome(spec, success=False, observed={"error": self.error})
        considered = self.element_count - (self.missing_count or 0)
        mostly = spec.kwargs.get("mostly")
        # A chunk can miss `mostly` while the table meets it, so judge the summed counts.
        success = (
            self.every_chunk_passed
            if mostly is None
            else _mostly_success(considered, self.unexpected_count, mostly)
        )
        observed = {
            "element_count": self.element_count,
            "unexpected_count": self.unexpected_count,
            "unexpected_percent": _percent(self.unexpected_count, considered),
            "partial_unexpected_list": self.partial_unexpected_list,
        }
        if self.missing_count is not None:
            observed["missing_count"] = self.missing_count
        return _outcome(spec, success=success, observed=observed, sample_keys=self.sample_keys)


def _validate_chunks(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, tuple[str, str]],
    specs: dict[int, ExpectationSpec],
    chunk_rows: int,
) -> tuple[dict[int, ExpectationOutcome], int]:
    if not specs:
        return {}, 0
    value_columns = dict.fromkeys(c for spec in specs.values() for c in spec.columns)
    key_columns = dict.fromkeys(s.key_column for s in specs.values() if s.key_column)
    select = [_select_expr(columns, c) for c in value_columns]
    select += [
        f"cast({_quote(columns[k.lower()][0])} as varchar) as {_quote(_KEY_PREFIX + k)}"
        for k in key_columns
    ]
    sql = f"select {', '.join(select)} from {table}"
    expectations = [_tagged(spec, i) for i, spec in specs.items()]
    tallies = {i: _Tally() for i in specs}
    chunks = 0
    with contextlib.closing(_frames(con, sql, chunk_rows)) as frames:
        for frame in frames:
            chunks += 1
            for er in _gx_validate(frame, expectations):
                index = er.expectation_config.meta[_META_KEY]
                key_column = specs[index].key_column
                tallies[index].add(er, frame[_KEY_PREFIX + key_column] if key_column else None)
    return {i: tallies[i].outcome(spec) for i, spec in specs.items()}, chunks


def _frames(con: duckdb.DuckDBPyConnection, sql: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Stream ``sql`` as pandas frames of at most ``chunk_rows`` rows (at least one frame).

    DuckDB caps its Arrow batches at a row group (122,880 rows) whatever size is asked
    for, so batches are regrouped: each GX call has a fixed cost worth spreading.
    """
    reader = con.sql(sql).to_arrow_reader(chunk_rows)
    # DuckDB 2 refuses any other query on `con` until the stream is drained or closed.
    try:
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        emitted = False
        for batch in reader:
            if pending and pending_rows + batch.num_rows > chunk_rows:
                yield pa.Table.from_batches(pending).to_pandas()
                emitted = True
                pending, pending_rows = [], 0
            pending.append(batch)
            pending_rows += batch.num_rows
        if pending or not emitted:
            yield pa.Table.from_batches(pending, schema=reader.schema).to_pandas()
    finally:
        reader.close()


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, tuple[str, str]]:
    """Map lower-cased column name to (name, DuckDB type); raise if the table is missing."""
    schema, name = table.split(".")
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() "
        "and lower(table_schema) = lower(?) and lower(table_name) = lower(?) "
        "order by ordinal_position",
        [schema, name],
    ).fetchall()
    if not rows:
        raise ExpectationTableMissing(table)
    return {column.lower(): (column, data_type) for column, data_type in rows}


def _value_expr(columns: dict[str, tuple[str, str]], column: str) -> str:
    """A column cast to what GX handles fast and exactly on pandas.

    Arrow turns DECIMAL into Python Decimal objects: slow, and never equal to the float a
    YAML suite writes (Decimal('0.1') != 0.1). GX vectorises numeric checks only for
    int64 and float64 (int32 goes through a Python call per row, 4x slower).
    """
    name, data_type = columns[column.lower()]
    quoted = _quote(name)
    data_type = data_type.upper()
    if data_type.startswith(("DECIMAL", "HUGEINT", "UHUGEINT", "FLOAT", "REAL")):
        return f"cast({quoted} as double)"
    if data_type in ("TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT", "UINTEGER"):
        return f"cast({quoted} as bigint)"
    return quoted


def _select_expr(columns: dict[str, tuple[str, str]], column: str) -> str:
    return f"{_value_expr(columns, column)} as {_quote(column)}"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _exception_message(er: Any) -> str | None:
    info = er.exception_info or {}
    candidates = [info, *(v for v in info.values() if isinstance(v, dict))]
    for candidate in candidates:
        if candidate.get("raised_exception"):
            return str(candidate.get("exception_message") or "great-expectations raised an error")
    return None


def _outcome_from_gx(
    spec: ExpectationSpec, er: Any, drop: Sequence[str] = ()
) -> ExpectationOutcome:
    error = _exception_message(er)
    if error:
        return _outcome(spec, success=False, observed={"error": error})
    observed = {k: v for k, v in er.result.items() if k not in drop}
    return _outcome(spec, success=bool(er.success), observed=observed)


def _outcome(
    spec: ExpectationSpec,
    *,
    success: bool,
    observed: dict[str, Any],
    sample_keys: Sequence[str] = (),
) -> ExpectationOutcome:
    return ExpectationOutcome(
        type=spec.type,
        kwargs=dict(spec.kwargs),
        severity=spec.severity,
        success=success,
        observed=to_jsonable(observed),
        sample_keys=list(sample_keys),
        strategy=spec.strategy,
    )


def _mostly_success(considered: int, unexpected: int, mostly: float | None) -> bool:
    """GX's rule: vacuously true on no rows, else the share of expected rows >= mostly."""
    if considered == 0:
        return True
    return (considered - unexpected) / considered >= (1.0 if mostly is None else mostly)


def _percent(part: int, whole: int) -> float | None:
    return part / whole * 100 if whole else None
