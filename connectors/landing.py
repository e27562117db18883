"""The one way raw rows reach DuckDB: Arrow batches, inserted set-wise.

Every connector hands its pages to `RawTableWriter` as Arrow record batches. Rows
are never inserted one by one (`executemany` is 100-1000x slower than inserting
an Arrow table), and a table is replaced inside one transaction, so a failed
sync leaves the previous copy of the table intact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import pyarrow as pa

LOADED_AT = "_loaded_at"


def quote_ident(name: str) -> str:
    """Quote a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class LandingResult:
    """What one table's landing did."""

    schema: str
    table: str
    rows: int
    batches: int


class RawTableWriter:
    """Replace `schema.table` with the batches written to it, atomically.

    Use as a context manager: the table is created (empty, typed from the Arrow
    schema plus a `_loaded_at` column) when entering, batches are inserted as
    they arrive, and the transaction commits only when the block exits cleanly.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        schema: str,
        table: str,
        arrow_schema: pa.Schema,
        *,
        loaded_at: dt.datetime,
    ) -> None:
        self.con = con
        self.schema = schema
        self.table = table
        self.arrow_schema = arrow_schema
        self.loaded_at = loaded_at
        self.rows = 0
        self.batches = 0
        self._target = f"{quote_ident(schema)}.{quote_ident(table)}"

    def __enter__(self) -> RawTableWriter:
        self.con.execute("begin transaction")
        self.con.execute(f"create schema if not exists {quote_ident(self.schema)}")
        self.con.register("_landing_empty", self.arrow_schema.empty_table())
        try:
            self.con.execute(
                f"create or replace table {self._target} as "
                f"select *, null::timestamptz as {LOADED_AT} from _landing_empty"
            )
        finally:
            self.con.unregister("_landing_empty")
        return self

    def write(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Insert one batch; its schema must match the writer's."""
        if batch.num_rows == 0:
            return
        if batch.schema != self.arrow_schema:
            batch = batch.select(self.arrow_schema.names).cast(self.arrow_schema)
        self.con.register("_landing_batch", batch)
        try:
            self.con.execute(
                f"insert into {self._target} select *, ?::timestamptz from _landing_batch",
                [self.loaded_at],
            )
        finally:
            self.con.unregister("_landing_batch")
        self.rows += batch.num_rows
        self.batches += 1

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.con.execute("commit")
        else:
            self.con.execute("rollback")

    @property
    def result(self) -> LandingResult:
        return LandingResult(self.schema, self.table, self.rows, self.batches)


def land_batches(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    arrow_schema: pa.Schema,
    batches: Iterable[pa.RecordBatch | pa.Table],
    *,
    loaded_at: dt.datetime,
) -> LandingResult:
    """Replace `schema.table` with `batches` in one transaction."""
    with RawTableWriter(con, schema, table, arrow_schema, loaded_at=loaded_at) as writer:
        for batch in batches:
            writer.write(batch)
    return writer.result
