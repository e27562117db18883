"""The one place that knows the warehouse files and how a run is published.

A run builds in a *working* DuckDB file beside the *published* one. Readers (BI
tools, RevOps notebooks) only ever open the published file, which holds what they
need: the marts, their history, the quarantine and the run metadata. The raw CRM
copy stays in the working file, the data team's. Publishing writes a new file
under a temporary name in the same folder and renames it over the published file,
so a reader sees either the previous run or the new one, never a half-built or
failed run; connections already open keep reading the old file until they
reconnect.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from connectors.errors import TrustgapError
from pipelines import history
from pipelines.duckdb_settings import bound
from pipelines.settings import Settings


def published_path(path: str | os.PathLike | None = None) -> Path:
    """The published warehouse: the argument, else TRUSTGAP_WAREHOUSE, else data/."""
    chosen = path or Settings.from_env().warehouse
    return Path(chosen).expanduser().resolve()


# The run tag that serialises runs per warehouse (its value: the published path).
WAREHOUSE_TAG = "trustgap/warehouse"


def working_path(published: Path) -> Path:
    """The file a run builds in, beside the published one."""
    return published.with_name(f"{published.stem}.working{published.suffix}")


@contextmanager
def connect(path: Path, *, read_only: bool = False):
    """An open DuckDB connection that is always closed (DuckDB allows one writer).

    It opens with Trustgap's memory limit, threads and spill folder
    (`pipelines.duckdb_settings`), whatever step opens it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    con = bound(duckdb.connect(str(path), read_only=read_only))
    try:
        yield con
    finally:
        con.close()


class WarehouseFolderError(TrustgapError):
    """The warehouse's folder cannot be created or written."""


class WarehouseBusyError(TrustgapError):
    """Another run holds the warehouse lock."""


@contextmanager
def run_lock(published: Path):
    """Hold an exclusive lock on the warehouse for a whole run (one run at a time).

    An OS file lock, so it is released even when the process dies, and it works
    whatever launched the run (CLI, schedule, UI).
    """
    lock_path = published.with_name(f"{published.name}.lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(lock_path, "a+")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise WarehouseFolderError(
            f"Cannot write in the warehouse folder {published.parent} "
            f"({exc.strerror or type(exc).__name__}): a run keeps its lock, working file and "
            "run ledger there. Choose a writable folder with --warehouse or TRUSTGAP_WAREHOUSE."
        ) from None
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise WarehouseBusyError(
                f"Another Trustgap run is building {published} ({holder}); "
                "wait for it to finish. Only one run per warehouse at a time."
            ) from None
        fh.truncate(0)
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass(frozen=True)
class PublishResult:
    path: Path
    bytes: int
    published_at: dt.datetime
    history_rows: dict[str, int] = field(default_factory=dict)


# What BI tools and RevOps read. The raw CRM copy (raw_*, with e-mail addresses and
# free text), sync state and the staging/intermediate layers stay in the working
# file, which is the data team's; `history` is written by pipelines/history.py.
PUBLISHED_SCHEMAS = ("marts", "quarantine", "trustgap_meta")
# Attachment names while a published file is built (not a warehouse's own name).
_WORKING = "tg_working"
_PREVIOUS = "tg_previous"

RUN_LOG_DDL = """
create schema if not exists trustgap_meta;
create table if not exists trustgap_meta.runs (
    run_id varchar,
    as_of date,
    source varchar,
    published_at timestamptz
);
create table if not exists trustgap_meta.check_results (
    run_id varchar,
    asset varchar,
    check_name varchar,
    passed boolean,
    severity varchar,
    description varchar
);
"""


@dataclass(frozen=True)
class CheckOutcome:
    """One asset check's verdict in a run, published with the data it judged."""

    asset: str
    check_name: str
    passed: bool
    severity: str
    description: str = ""


def published_run_id(published: Path) -> str | None:
    """The run the published file was last published by (None: none, or unreadable)."""
    if not published.exists():
        return None
    try:
        with duckdb.connect(str(published), read_only=True) as con:
            row = con.execute(
                "select run_id from trustgap_meta.runs order by published_at desc limit 1"
            ).fetchall()
    except duckdb.Error:
        return None
    return row[0][0] if row else None


class NothingPublishedError(TrustgapError):
    """History can only be added to a warehouse that has been published once."""


def publish(
    working: Path,
    published: Path,
    *,
    run_id: str,
    as_of: dt.date,
    source: str,
    checks: list[CheckOutcome] = (),
) -> PublishResult:
    """Write a new published file and atomically replace `published` with it.

    It holds the working file's marts, quarantine and run metadata; the publish
    log (the previous file's runs plus this one) and this run's check outcomes;
    and the history: the previous file's, with this run's rows for `as_of` in
    place of any it had.
    """
    published_at = dt.datetime.now(dt.UTC)
    outcomes = pa.table(
        {
            "run_id": pa.array([run_id] * len(checks), pa.string()),
            "asset": pa.array([c.asset for c in checks], pa.string()),
            "check_name": pa.array([c.check_name for c in checks], pa.string()),
            "passed": pa.array([c.passed for c in checks], pa.bool_()),
            "severity": pa.array([c.severity for c in checks], pa.string()),
            "description": pa.array([c.description for c in checks], pa.string()),
        }
    )

    def build(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        _attach(con, working, _WORKING)
        copy_schemas(con, _WORKING, PUBLISHED_SCHEMAS)
        previous = _attach(con, published, _PREVIOUS) if published.exists() else None
        # The publish log is the published file's own: the previous file's runs plus
        # this one, written only into the file that replaces it. A publish that
        # fails leaves no row anywhere.
        con.execute(RUN_LOG_DDL)
        con.execute("delete from trustgap_meta.runs")
        if previous and has_table(con, "trustgap_meta", "runs", catalog=previous):
            earlier = f"{previous}.trustgap_meta.runs"
            con.execute(f"insert into trustgap_meta.runs by name select * from {earlier}")
        con.execute(
            "insert into trustgap_meta.runs values (?, ?, ?, ?)",
            [run_id, as_of, source, published_at],
        )
        con.execute("delete from trustgap_meta.check_results")
        con.register("_check_outcomes", outcomes)
        con.execute("insert into trustgap_meta.check_results select * from _check_outcomes")
        con.unregister("_check_outcomes")
        return history.merge(
            con,
            new_catalog=_WORKING,
            new_schema=history.RUN_SCHEMA,
            previous_catalog=previous,
            dates=[as_of],
        )

    rows = _replace(published, run_id, build)
    return PublishResult(published, published.stat().st_size, published_at, rows)


def publish_history(
    working: Path, published: Path, *, run_id: str, dates: list[dt.date]
) -> PublishResult:
    """Add a backfill's `dates` (`history_pending` in `working`) to the published history.

    Everything else in the published file (marts, quarantine, run metadata) stays
    as the last nightly run published it.
    """
    if not published.exists():
        raise NothingPublishedError(
            f"No published warehouse at {published}: run the nightly job once "
            "(trustgap run, or trustgap demo) before backfilling its history."
        )

    def build(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        _attach(con, working, _WORKING)
        previous = _attach(con, published, _PREVIOUS)
        copy_schemas(con, previous, PUBLISHED_SCHEMAS)
        return history.merge(
            con,
            new_catalog=_WORKING,
            new_schema=history.PENDING_SCHEMA,
            previous_catalog=previous,
            dates=dates,
        )

    rows = _replace(published, run_id, build)
    return PublishResult(published, published.stat().st_size, dt.datetime.now(dt.UTC), rows)


def has_table(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, *, catalog: str | None = None
) -> bool:
    """Whether `schema.table` exists in `catalog` (default: the connection's own database)."""
    (found,) = con.execute(
        "select count(*) from duckdb_tables() where database_name = "
        "coalesce(?, current_database()) and schema_name = ? and table_name = ?",
        [catalog, schema, table],
    ).fetchone()
    return bool(found)


def _attach(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> str:
    con.execute(f"attach {history.sql_text(str(path))} as {name} (read_only)")
    return name


def _replace(published: Path, run_id: str, build) -> dict[str, int]:
    """Build a new published file beside `published` with `build(con)`, then swap it in.

    The temporary file's name starts like the warehouse's, so DuckDB gives it the
    same catalog name: views dbt created (which name their catalog) resolve in it.
    A reader sees the old file or the new one, never a half-built one; connections
    already open keep reading the old file until they reconnect.
    """
    # A publish killed midway left its temporary file; only one run holds the
    # warehouse at a time (run_lock), so any other is garbage.
    for stale in published.parent.glob(f".{published.name}.*.tmp*"):
        stale.unlink(missing_ok=True)
    tmp = published.with_name(f".{published.name}.{run_id}.tmp")
    try:
        with connect(tmp) as con:
            # One transaction for the whole file: on its own DuckDB commits every
            # catalog change, and a publish makes ~500 (a comment per column; at S 1.2
            # of the step's 2.8 s under load, issue #17). A failed build rolls back.
            con.execute("begin transaction")
            result = build(con)
            con.execute("commit")
            con.execute("detach database if exists " + _WORKING)
            con.execute("detach database if exists " + _PREVIOUS)
            con.execute("checkpoint")
        if published.exists():
            # An operator's `chmod 600` on the published file survives every publish.
            os.chmod(tmp, stat.S_IMODE(published.stat().st_mode))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, published)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
    return result


def copy_schemas(con: duckdb.DuckDBPyConnection, catalog: str, schemas: tuple[str, ...]) -> None:
    """Copy `schemas` of the attached `catalog` into `con`'s database, with their comments.

    Tables keep their DDL (the marts' contract constraints) and views their SQL.
    """
    where = "database_name = ? and schema_name in (select unnest(?))"
    params = [catalog, list(schemas)]
    for schema in schemas:
        con.execute(f"create schema if not exists {schema}")
    tables = con.execute(
        f"select schema_name, table_name, sql, comment from duckdb_tables() where {where} "
        "order by 1, 2",
        params,
    ).fetchall()
    for schema, table, ddl, comment in tables:
        con.execute(ddl)
        con.execute(f'insert into {schema}."{table}" select * from {catalog}.{schema}."{table}"')
        if comment:
            con.execute(f'comment on table {schema}."{table}" is {history.sql_text(comment)}')
    views = con.execute(
        f"select schema_name, view_name, sql, comment from duckdb_views() "
        f"where {where} and not internal order by 1, 2",
        params,
    ).fetchall()
    for schema, view, ddl, comment in views:
        con.execute(ddl)
        if comment:
            con.execute(f'comment on view {schema}."{view}" is {history.sql_text(comment)}')
    for schema, table, column, comment in con.execute(
        f"select schema_name, table_name, column_name, comment from duckdb_columns() "
        f"where {where} and comment is not null",
        params,
    ).fetchall():
        con.execute(
            f'comment on column {schema}."{table}"."{column}" is {history.sql_text(comment)}'
        )


class ParquetExportError(TrustgapError):
    """The Parquet copy of the marts could not be written (the publish itself succeeded)."""


def export_parquet(published: Path, target: Path, *, run_id: str, keep: int = 2) -> Path:
    """Export every mart to Parquet and swap `target/current` to it atomically.

    For BI tools that cannot open DuckDB: they read `target/current/<table>.parquet`.
    Each export lands in `target/runs/<run_id>/`; the `current` symlink is replaced
    with one rename, so readers see a whole export or the previous one.
    """
    runs = target / "runs"
    run_dir = runs / run_id
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        with connect(published, read_only=True) as con:
            tables = [
                name
                for (name,) in con.execute(
                    "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
                ).fetchall()
            ]
            for table in tables:
                destination = str(run_dir / f"{table}.parquet").replace("'", "''")
                con.execute(f"copy marts.{table} to '{destination}' (format parquet)")
        link = target / "current"
        tmp_link = target / f".current.{run_id}"
        tmp_link.unlink(missing_ok=True)
        tmp_link.symlink_to(run_dir.relative_to(target))
        os.replace(tmp_link, link)
    except (OSError, duckdb.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ParquetExportError(
            f"The warehouse was published, but exporting its marts as Parquet to {target} "
            f"failed ({reason}); readers of {target / 'current'} keep the previous export. "
            "Fix TRUSTGAP_PARQUET_DIR (a writable folder) and run again."
        ) from None
    for old in sorted(runs.iterdir(), key=lambda p: p.stat().st_mtime)[:-keep]:
        if old != run_dir:
            shutil.rmtree(old, ignore_errors=True)
    return link
