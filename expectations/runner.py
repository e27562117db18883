"""Validate a suite against a DuckDB table with great-expectations' pandas engine.

GX's SQL datasource cannot run on DuckDB (every metric fails), and tables may be larger
than memory, so the runner never hands GX a whole table:

- row-level expectations run on batches of ``chunk_rows`` rows holding only the columns
  the suite reads, streamed from DuckDB as Arrow; their counts are summed over batches
  (``expectations.row_checks``);
- whole-table expectations are computed in DuckDB and GX judges the small result;
  uniqueness is judged from duplicate groups (``group by ... having count(*) > 1``);
  schema expectations run on an empty frame with the table's columns
  (``expectations.table_checks``);
- Trustgap's own types read beyond the table: another table (an anti-join in DuckDB),
  the previous published run and the run's reference moment (both from the
  ``ValidationContext`` the caller passes; ``expectations.context_checks``).

``expectations.strategies`` lists which expectation type takes which path;
``expectations.gx_engine`` holds the one GX context they share.

Every one-value verdict (a row-count ratio, a freshness age, a bound on an aggregate) of
the suites validated together waits until their tables have been read, then GX judges
them all in one validation (``validate_tables``): each validation has a fixed cost.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from expectations.context import ValidationContext
from expectations.context_checks import validate_in_context
from expectations.gx_engine import Judgement, judge_all
from expectations.outcomes import outcome
from expectations.results import ExpectationOutcome, SuiteResult
from expectations.row_checks import validate_chunks
from expectations.strategies import CONTEXT_TYPES
from expectations.suites import ExpectationSpec, Suite
from expectations.table_checks import validate_aggregate, validate_schema
from expectations.warehouse_sql import quote, table_columns

CHUNK_ROWS = 250_000


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
    ``context`` gives the previous published run (an attached catalog), the moment
    freshness is measured against and the freshness thresholds; without it, row-count
    changes pass as having nothing to compare with, freshness is measured against the
    current time, and a freshness check whose suite gives no ``max_age_hours`` fails
    saying so.
    Raises ExpectationTableMissing when the table does not exist and SuiteError when GX
    rejects an expectation's kwargs. A check that cannot run (a missing column, an error
    inside GX) becomes a failed outcome carrying an ``error`` message, so one broken
    check does not hide the others.
    """
    read = read_table(con, suite, chunk_rows=chunk_rows, context=context)
    (result,) = validate_tables([read])
    return result


@dataclass
class TableRead:
    """A suite whose table has been read: its outcomes, and the figures GX is yet to judge."""

    suite: Suite
    outcomes: dict[int, ExpectationOutcome | Judgement]
    row_count: int
    chunks: int
    seconds: float


def validate_tables(reads: Sequence[TableRead]) -> list[SuiteResult]:
    """The results of suites read by ``read_table``, their figures judged in one validation."""
    started = time.perf_counter()
    pending = [
        (n, index, verdict)
        for n, read in enumerate(reads)
        for index, verdict in read.outcomes.items()
        if isinstance(verdict, Judgement)
    ]
    judged = judge_all([verdict for _, _, verdict in pending])
    outcomes = [dict(read.outcomes) for read in reads]
    for (n, index, _), judged_outcome in zip(pending, judged, strict=True):
        outcomes[n][index] = judged_outcome
    # Each suite's time includes its share of the one validation.
    share = (time.perf_counter() - started) / max(len(reads), 1)
    return [
        SuiteResult(
            table=read.suite.table,
            expectations=[outcomes[n][i] for i in sorted(outcomes[n])],
            row_count=read.row_count,
            chunks=read.chunks,
            seconds=read.seconds + share,
        )
        for n, read in enumerate(reads)
    ]


def read_table(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    *,
    chunk_rows: int = CHUNK_ROWS,
    context: ValidationContext | None = None,
) -> TableRead:
    """Everything ``validate_table`` does but GX's verdicts on single figures, left for
    ``validate_tables``; raises as ``validate_table`` does."""
    started = time.perf_counter()
    columns = table_columns(con, suite.table)
    table = f"{quote(suite.schema)}.{quote(suite.name)}"
    outcomes: dict[int, ExpectationOutcome | Judgement] = {}
    pending: dict[int, ExpectationSpec] = {}
    for index, spec in enumerate(suite.expectations):
        needed = (*spec.columns, spec.key_column) if spec.strategy != "schema" else ()
        missing = [c for c in needed if c is not None and c.lower() not in columns]
        if missing:
            message = f"column(s) {missing} not found in {suite.table}"
            outcomes[index] = outcome(spec, success=False, observed={"error": message})
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
    outcomes |= validate_schema(by_strategy["schema"], column_names)
    context = context or ValidationContext()
    for index, spec in by_strategy["aggregated"].items():
        if spec.type in CONTEXT_TYPES:
            outcomes[index] = validate_in_context(con, suite, columns, spec, row_count, context)
        else:
            outcomes[index] = validate_aggregate(con, table, columns, spec)
    chunked, chunks = validate_chunks(con, table, columns, by_strategy["chunked"], chunk_rows)
    outcomes |= chunked

    return TableRead(
        suite=suite,
        outcomes=outcomes,
        row_count=int(row_count),
        chunks=chunks,
        seconds=time.perf_counter() - started,
    )
