"""What a suite is judged against besides its own table: the previous publish and the clock.

Two of Trustgap's own expectation types need more than the table they check:

- ``expect_table_row_count_change_to_be_between`` counts the same table in the previous
  published warehouse, attached read-only to the validating connection
  (``attach_baseline``);
- ``expect_column_max_to_be_recent`` measures age against the run's reference moment
  (``freshness_reference``), the rule dbt's ``int_source_freshness`` uses, so the
  asset check and the published freshness figures agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

BASELINE_CATALOG = "previous_publish"
NO_BASELINE = "no previous published run"
LOADED_AT = "_loaded_at"


@dataclass(frozen=True)
class ValidationContext:
    """The run a suite is validated in.

    ``baseline_catalog`` names an attached DuckDB catalog holding the previous published
    run (None: there is none, and ``baseline_note`` says why). ``baseline_note`` is shown
    to the reader either way, e.g. which run the counts are compared with.
    ``reference_at`` is the moment freshness is measured against (None: the current
    time). ``last_synced_at`` is when the table was last read from the CRM
    (``last_synced``): a table an incremental sync found nothing new for is as fresh
    as that sync, however old its newest row.
    """

    baseline_catalog: str | None = None
    baseline_note: str = NO_BASELINE
    reference_at: dt.datetime | None = None
    last_synced_at: dt.datetime | None = None

    def reference_moment(self) -> dt.datetime:
        return self.reference_at or dt.datetime.now(dt.UTC)


@contextmanager
def attach_baseline(
    con: duckdb.DuckDBPyConnection, published: Path, *, alias: str = BASELINE_CATALOG
) -> Iterator[tuple[str | None, str]]:
    """Attach the previous published warehouse read-only; yield ``(catalog, note)``.

    ``catalog`` is None when there is nothing to compare with: no published file yet,
    the published file is the one being validated, or it cannot be opened (locked by a
    writer, corrupt); ``note`` then says which. The catalog is detached on exit.
    """
    published = Path(published)
    if not published.exists():
        yield None, NO_BASELINE
        return
    ((current,),) = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    if current and Path(current).resolve() == published.resolve():
        yield None, "validating the published warehouse itself: no earlier run to compare with"
        return
    path = str(published).replace("'", "''")
    try:
        con.execute(f"attach '{path}' as {alias} (read_only)")
    except duckdb.Error as exc:
        yield None, f"previous published run unreadable ({exc})"
        return
    try:
        yield alias, _describe_publish(con, alias)
    finally:
        con.execute(f"detach {alias}")


def _describe_publish(con: duckdb.DuckDBPyConnection, catalog: str) -> str:
    """Which run a catalog holds, from its run log (written by every publish)."""
    try:
        rows = con.execute(
            f"select as_of, published_at from {catalog}.trustgap_meta.runs "
            "order by published_at desc limit 1"
        ).fetchall()
    except duckdb.Error:  # a warehouse published before the run log existed
        rows = []
    if not rows:
        return "previous published run"
    ((as_of, published_at),) = rows
    return f"previous published run (as of {as_of}, published {published_at:%Y-%m-%d %H:%M %Z})"


def last_synced(con: duckdb.DuckDBPyConnection, table: str) -> dt.datetime | None:
    """When ``table`` (schema.table) was last landed or brought up to date by a connector
    (``sync_state.table_syncs``, see connectors/landing.py); None when never recorded."""
    schema, name = table.split(".", 1)
    return _latest_sync(con, "schema_name = ? and table_name = ?", [schema, name])


def _latest_sync(con: duckdb.DuckDBPyConnection, where: str, params: list) -> dt.datetime | None:
    """The latest recorded sync of the tables ``where`` selects (None: none recorded)."""
    exists = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'sync_state' and table_name = 'table_syncs'"
    ).fetchone()[0]
    if not exists:
        return None
    ((latest,),) = con.execute(
        f"select max(synced_at) from sync_state.table_syncs where {where}", params
    ).fetchall()
    return _aware(latest) if latest is not None else None


def freshness_reference(
    con: duckdb.DuckDBPyConnection, *, as_of: dt.date, zone: ZoneInfo
) -> dt.datetime:
    """The run's reference moment for freshness, as dbt's ``int_source_freshness`` has it.

    The latest ``_loaded_at`` or recorded sync of any raw table (``raw_*`` schemas; the
    run's extract), but never before midnight of ``as_of`` in ``zone``: rebuilding old
    raw data as of a later date shows it as stale. The same raw data and as-of give the same answer.
    """
    midnight = dt.datetime.combine(as_of, dt.time(), tzinfo=zone)
    tables = con.execute(
        "select table_schema, table_name from information_schema.columns "
        "where table_catalog = current_database() and column_name = ? "
        "and data_type like 'TIMESTAMP%' and table_schema like 'raw\\_%' escape '\\' "
        "order by 1, 2",
        [LOADED_AT],
    ).fetchall()
    if not tables:
        return midnight
    maxima = " union all ".join(
        f"select max({LOADED_AT}) as m from {_quote(schema)}.{_quote(table)}"
        for schema, table in tables
    )
    ((latest,),) = con.execute(f"select max(m) from ({maxima})").fetchall()
    synced = _latest_sync(con, "schema_name like 'raw\\_%' escape '\\'", [])
    moments = [m for m in (latest and _aware(latest), synced) if m is not None]
    return max([*moments, midnight])


def _aware(value: dt.datetime) -> dt.datetime:
    """Naive timestamps in the warehouse are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
