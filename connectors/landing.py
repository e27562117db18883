"""The one way raw rows reach DuckDB: Arrow batches, inserted set-wise.

Every connector hands its pages to `RawTableWriter` as Arrow record batches; rows
are never inserted one by one (`executemany` is 100-1000x slower than inserting
an Arrow table). Two modes:

- ``replace`` (full refresh): the table is rebuilt inside one transaction, so a
  failed sync leaves the previous copy intact.
- ``upsert`` (incremental): each page commits on its own, replacing rows by key,
  together with the sync cursor that page reached. A run killed after N pages
  resumes from the last committed cursor; re-read rows replace themselves, so
  nothing is duplicated and nothing is lost.

Sync cursors live in `sync_state.cursors` in the same database, and are written
in the same transaction as the rows they cover. Every landing that finishes also
records when its table was last read from the CRM (`sync_state.table_syncs`):
freshness is about when we last looked, not when a row last changed, so a table
an incremental sync found nothing new for is still fresh.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from connectors.errors import SchemaDriftError

LOADED_AT = "_loaded_at"
CURSORS = "sync_state.cursors"
TABLE_SYNCS = "sync_state.table_syncs"
_CURSORS_DDL = f"""
create schema if not exists sync_state;
create table if not exists {CURSORS} (
    source varchar not null,
    object varchar not null,
    cursor_value varchar,
    synced_at timestamptz,
    primary key (source, object)
);
create table if not exists {TABLE_SYNCS} (
    schema_name varchar not null,
    table_name varchar not null,
    synced_at timestamptz not null,
    primary key (schema_name, table_name)
);
"""


def quote_ident(name: str) -> str:
    """Quote a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def replace_table(con: duckdb.DuckDBPyConnection, name: str, rows: pa.Table) -> None:
    """Create or replace the table `schema.table` with `rows` (a small Arrow table)."""
    schema, table = name.split(".")
    con.execute(f"create schema if not exists {quote_ident(schema)}")
    con.register("_replacing_rows", rows)
    try:
        con.execute(
            f"create or replace table {quote_ident(schema)}.{quote_ident(table)} "
            "as select * from _replacing_rows"
        )
    finally:
        con.unregister("_replacing_rows")


@dataclass(frozen=True)
class CursorKey:
    """Names one incremental cursor: a source ('salesforce') and an object ('Task')."""

    source: str
    object: str


def create_state_tables(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Create the sync_state tables and the raw `schema` now, before concurrent landings:
    DuckDB refuses two transactions creating the same table or schema at once."""
    con.execute(_CURSORS_DDL)
    con.execute(f"create schema if not exists {quote_ident(schema)}")


def read_cursor(con: duckdb.DuckDBPyConnection, key: CursorKey) -> str | None:
    """The last committed cursor for `key`, or None when the object never synced."""
    con.execute(_CURSORS_DDL)
    row = con.execute(
        f"select cursor_value from {CURSORS} where source = ? and object = ?",
        [key.source, key.object],
    ).fetchall()
    return row[0][0] if row else None


def reset_cursors(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Forget every cursor of `source` (a full refresh starts from scratch)."""
    con.execute(_CURSORS_DDL)
    con.execute(f"delete from {CURSORS} where source = ?", [source])


def save_cursor(
    con: duckdb.DuckDBPyConnection, key: CursorKey, value: str, at: dt.datetime
) -> None:
    """Set a cursor that covers no rows (a source's identity, a deleted-records checkpoint).

    Cursors that cover rows are committed by `RawTableWriter` with those rows.
    """
    con.execute(_CURSORS_DDL)
    _save_cursor(con, key, value, at)


def forget_cursor(con: duckdb.DuckDBPyConnection, key: CursorKey) -> None:
    """Drop one cursor (its object is synced from scratch next time)."""
    con.execute(_CURSORS_DDL)
    con.execute(f"delete from {CURSORS} where source = ? and object = ?", [key.source, key.object])


def last_synced(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dt.datetime | None:
    """When `schema.table` was last landed in full or brought up to date (None: never)."""
    con.execute(_CURSORS_DDL)
    row = con.execute(
        f"select synced_at from {TABLE_SYNCS} where schema_name = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return row[0][0] if row else None


def _record_sync(con, schema: str, table: str, at: dt.datetime) -> None:
    con.execute(f"insert or replace into {TABLE_SYNCS} values (?, ?, ?)", [schema, table, at])


def _save_cursor(con, key: CursorKey, value: str, at: dt.datetime) -> None:
    con.execute(
        f"insert or replace into {CURSORS} values (?, ?, ?, ?)",
        [key.source, key.object, value, at],
    )


@dataclass
class LandingResult:
    """What one table's landing did."""

    schema: str
    table: str
    rows: int
    batches: int


class RawTableWriter:
    """Writes Arrow batches into `schema.table` (see the module docstring for modes).

    Use as a context manager. Pass `cursor=` and `write(batch, cursor_value=...)`
    to advance an incremental cursor together with the rows.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        schema: str,
        table: str,
        arrow_schema: pa.Schema,
        *,
        loaded_at: dt.datetime,
        mode: Literal["replace", "upsert"] = "replace",
        key: str = "Id",
        cursor: CursorKey | None = None,
    ) -> None:
        if mode not in ("replace", "upsert"):
            raise ValueError(f"unknown landing mode {mode!r}")
        if mode == "upsert" and key not in arrow_schema.names:
            raise ValueError(f"upsert key {key!r} is not a column of {schema}.{table}")
        self.con = con
        self.schema = schema
        self.table = table
        self.arrow_schema = arrow_schema
        self.loaded_at = loaded_at
        self.mode = mode
        self.key = key
        self.cursor = cursor
        self.rows = 0
        self.batches = 0
        self._pending_cursor: str | None = None
        self._target = f"{quote_ident(schema)}.{quote_ident(table)}"

    # -- lifecycle -------------------------------------------------------------
    def __enter__(self) -> RawTableWriter:
        self.con.execute(_CURSORS_DDL)
        self.con.execute(f"create schema if not exists {quote_ident(self.schema)}")
        if self.mode == "replace":
            self.con.execute("begin transaction")
            self._create(replace=True)
        else:
            self._create(replace=False)
            self._check_columns()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.mode == "upsert":
            # Every page already committed with its cursor; the table is up to date
            # only once the whole sync got through.
            if exc_type is None:
                _record_sync(self.con, self.schema, self.table, self.loaded_at)
            return
        if exc_type is not None:
            self.con.execute("rollback")
            return
        if self.cursor is not None and self._pending_cursor is not None:
            _save_cursor(self.con, self.cursor, self._pending_cursor, self.loaded_at)
        _record_sync(self.con, self.schema, self.table, self.loaded_at)
        self.con.execute("commit")

    # -- writing ---------------------------------------------------------------
    def write(self, batch: pa.RecordBatch | pa.Table, *, cursor_value: str | None = None) -> None:
        """Land one batch (its columns must match the writer's schema)."""
        if batch.schema != self.arrow_schema:
            batch = batch.select(self.arrow_schema.names).cast(self.arrow_schema)
        if cursor_value is not None:
            self._pending_cursor = cursor_value
        if self.mode == "replace":
            if batch.num_rows:
                self._insert(batch)
        else:
            self._upsert(batch)
        self.rows += batch.num_rows
        self.batches += 1

    def mark_deleted(self, ids: list[str], *, flag_column: str = "IsDeleted") -> int:
        """Flag rows deleted in the source (kept, never silently dropped); returns matches."""
        if not ids:
            return 0
        self.con.register("_landing_deleted", pa.table({"id": pa.array(ids, pa.string())}))
        try:
            return self.con.execute(
                f"update {self._target} set {quote_ident(flag_column)} = true, "
                f"{LOADED_AT} = ? where {quote_ident(self.key)} in "
                "(select id from _landing_deleted)",
                [self.loaded_at],
            ).fetchall()[0][0]
        finally:
            self.con.unregister("_landing_deleted")

    @property
    def result(self) -> LandingResult:
        return LandingResult(self.schema, self.table, self.rows, self.batches)

    # -- internals -------------------------------------------------------------
    def _create(self, *, replace: bool) -> None:
        verb = "create or replace table" if replace else "create table if not exists"
        self.con.register("_landing_empty", self.arrow_schema.empty_table())
        try:
            self.con.execute(
                f"{verb} {self._target} as "
                f"select *, null::timestamptz as {LOADED_AT} from _landing_empty"
            )
        finally:
            self.con.unregister("_landing_empty")

    def _check_columns(self) -> None:
        """Adapt an existing table to new fields; refuse silent type changes."""
        existing = dict(
            self.con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [self.schema, self.table],
            ).fetchall()
        )
        self.con.register("_landing_empty", self.arrow_schema.empty_table())
        try:
            wanted = self.con.execute(
                "select column_name, column_type from (describe select * from _landing_empty)"
            ).fetchall()
        finally:
            self.con.unregister("_landing_empty")
        for name, type_ in wanted:
            if name not in existing:
                # A field that appeared in the source: older rows read it as null.
                self.con.execute(
                    f"alter table {self._target} add column {quote_ident(name)} {type_}"
                )
            elif existing[name] != type_:
                raise SchemaDriftError(
                    f"{self.schema}.{self.table}.{name} is {existing[name]} in the warehouse "
                    f"but the source now sends {type_}; run with --full-refresh to rebuild it."
                )

    def _columns(self) -> str:
        return ", ".join(quote_ident(n) for n in self.arrow_schema.names)

    def _insert(self, batch) -> None:
        # DuckDB reads the batch through a replacement scan of this local variable, not
        # a registered view: inside the one transaction of a full landing every dropped
        # view (and its Arrow batch) lives until commit, 150 MB per 3M rows.
        _landing_batch = batch  # read by name in the SQL below
        self.con.execute(
            f"insert into {self._target} ({self._columns()}, {LOADED_AT}) "
            f"select {self._columns()}, ?::timestamptz from _landing_batch",
            [self.loaded_at],
        )

    def _upsert(self, batch) -> None:
        positioned = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
        key = quote_ident(self.key)
        last_copy = ""
        if pc.count_distinct(positioned.column(self.key), mode="all").as_py() < batch.num_rows:
            # A key twice in one batch: the position column lets its last copy win.
            # Checked first because the window costs as much as the insert itself.
            positioned = positioned.append_column("_landing_pos", pa.array(range(batch.num_rows)))
            last_copy = (
                f"qualify row_number() over (partition by {key} order by _landing_pos desc) = 1"
            )
        self.con.register("_landing_batch", positioned)
        try:
            self.con.execute("begin transaction")
            if batch.num_rows:
                self.con.execute(
                    f"delete from {self._target} where {key} in (select {key} from _landing_batch)"
                )
                self.con.execute(
                    f"insert into {self._target} ({self._columns()}, {LOADED_AT}) "
                    f"select {self._columns()}, ?::timestamptz from _landing_batch {last_copy}",
                    [self.loaded_at],
                )
            if self.cursor is not None and self._pending_cursor is not None:
                _save_cursor(self.con, self.cursor, self._pending_cursor, self.loaded_at)
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        finally:
            self.con.unregister("_landing_batch")


def land_batches(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    arrow_schema: pa.Schema,
    batches,
    *,
    loaded_at: dt.datetime,
) -> LandingResult:
    """Replace `schema.table` with `batches` in one transaction."""
    with RawTableWriter(con, schema, table, arrow_schema, loaded_at=loaded_at) as writer:
        for batch in batches:
            writer.write(batch)
    return writer.result
