"""History: every published as-of date's snapshot of the trend-worthy marts.

dbt builds, in the working file, one view per history table (schema `history_run`,
dbt_project/models/history/): the rows a run adds, each with its `as_of`. The
history itself lives in the published warehouse, schema `history`: each publish
writes the previous published file's history, minus the rows of the dates it
brings, plus its own rows. So re-running a date replaces that date and keeps every
other one, and a run that fails before publishing adds nothing. A backfill
(pipelines/backfill.py) computes several past dates into `history_pending` in the
working file, then publishes them the same way.

Columns a history view takes from a mart keep the mart's comment, so BI tools
show the same descriptions on `history.rep_hygiene` as on `marts.rep_hygiene`.
"""

from __future__ import annotations

import datetime as dt

import duckdb

SCHEMA = "history"
RUN_SCHEMA = "history_run"
PENDING_SCHEMA = "history_pending"
KEY = "as_of"


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def relations(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> list[str]:
    """Tables and views in `catalog`.`schema`, by name."""
    return [
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = ? and table_schema = ? order by 1",
            [catalog, schema],
        ).fetchall()
    ]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() "
            "where database_name = ? and schema_name = ? and table_name = ? "
            "order by column_index",
            [catalog, schema, table],
        ).fetchall()
    ]


def merge(
    con: duckdb.DuckDBPyConnection,
    *,
    new_catalog: str,
    new_schema: str,
    previous_catalog: str | None,
    dates: list[dt.date],
) -> dict[str, int]:
    """Write `history.<table>` in `con`'s database for every relation of the new rows.

    The new rows are `new_catalog.new_schema.<table>` (this run's views, or a
    backfill's pending tables), computed as of `dates`, whose previous rows they
    replace (even where a table has no new row, say a date without directors).
    The previous history is `previous_catalog`'s (None: there is none yet).
    Returns each table's row count.
    """
    con.execute(f"create schema if not exists {SCHEMA}")
    counts: dict[str, int] = {}
    new_tables = relations(con, new_catalog, new_schema)
    previous_tables = (
        set(relations(con, previous_catalog, SCHEMA)) if previous_catalog is not None else set()
    )
    for table in new_tables:
        new = f'{new_catalog}.{new_schema}."{table}"'
        if KEY not in _columns(con, new_catalog, new_schema, table):
            raise ValueError(f"{new} has no {KEY} column: history is keyed by {KEY}")
        parts = [f"select * from {new}"]
        if table in previous_tables:
            # BY NAME: a column a mart gained reads null on older dates, and one it
            # lost keeps its old values; nothing recorded is dropped.
            parts.append(
                f'select * from {previous_catalog}.{SCHEMA}."{table}" '
                f"where {KEY} not in (select unnest(?::date[]))"
            )
        con.execute(
            f'create table {SCHEMA}."{table}" as '
            f"select * from ({' union all by name '.join(parts)}) order by {KEY}",
            [dates] if len(parts) > 1 else [],
        )
        _copy_comments(con, table, new_catalog, new_schema)
        counts[table] = con.execute(f'select count(*) from {SCHEMA}."{table}"').fetchone()[0]
    # A history table no run writes any more (a view was dropped) is kept as it was.
    for table in sorted(previous_tables - set(new_tables)):
        previous = f'{previous_catalog}.{SCHEMA}."{table}"'
        con.execute(f'create table {SCHEMA}."{table}" as select * from {previous}')
        counts[table] = con.execute(f'select count(*) from {SCHEMA}."{table}"').fetchone()[0]
    return counts


def _copy_comments(con: duckdb.DuckDBPyConnection, table: str, catalog: str, schema: str) -> None:
    """The view's own descriptions, else those of the same-named mart's columns."""
    (relation_comment,) = con.execute(
        "select any_value(comment) from duckdb_views() "
        "where database_name = ? and schema_name = ? and view_name = ?",
        [catalog, schema, table],
    ).fetchone()
    if relation_comment:
        con.execute(f'comment on table {SCHEMA}."{table}" is {sql_text(relation_comment)}')
    # A column without its own description takes the one it has in the mart of the
    # same name, else in any mart (kpi_values' columns are kpi_catalog's).
    comments = con.execute(
        """
        select
            own.column_name,
            coalesce(
                own.comment,
                (
                    select mart.comment
                    from duckdb_columns() as mart
                    where
                        mart.database_name = own.database_name
                        and mart.schema_name = 'marts'
                        and mart.column_name = own.column_name
                        and mart.comment is not null
                    order by mart.table_name = own.table_name desc, mart.table_name
                    limit 1
                )
            )
        from duckdb_columns() as own
        where own.database_name = ? and own.schema_name = ? and own.table_name = ?
        """,
        [catalog, schema, table],
    ).fetchall()
    for column, comment in comments:
        if comment:
            con.execute(f'comment on column {SCHEMA}."{table}"."{column}" is {sql_text(comment)}')


def keep_pending(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> int:
    """Add this build's history rows (views in `history_run`) to `history_pending`.

    A backfill builds one date at a time in the working file and publishes once.
    """
    con.execute(f"create schema if not exists {PENDING_SCHEMA}")
    catalog = con.execute("select current_database()").fetchone()[0]
    existing = set(relations(con, catalog, PENDING_SCHEMA))
    rows = 0
    for table in relations(con, catalog, RUN_SCHEMA):
        source = f'{RUN_SCHEMA}."{table}"'
        target = f'{PENDING_SCHEMA}."{table}"'
        if table in existing:
            con.execute(f"delete from {target} where {KEY} = ?", [as_of])
            con.execute(f"insert into {target} by name select * from {source}")
        else:
            con.execute(f"create table {target} as select * from {source}")
        rows += con.execute(f"select count(*) from {source}").fetchone()[0]
    return rows


def clear_pending(con: duckdb.DuckDBPyConnection) -> None:
    """Forget what an earlier, unfinished backfill computed."""
    con.execute(f"drop schema if exists {PENDING_SCHEMA} cascade")
