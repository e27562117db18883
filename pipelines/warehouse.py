"""The one place that knows the warehouse files and how a run is published.

A run builds in a *working* DuckDB file beside the *published* one. Readers (BI
tools, RevOps notebooks) only ever open the published file. Publishing copies the
finished working file to a temporary name in the same folder and renames it over
the published file, so a reader sees either the previous run or the new one,
never a half-built or failed run; connections already open keep reading the old
file until they reconnect.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.project import DATA_DIR

DEFAULT_WAREHOUSE = DATA_DIR / "trustgap.duckdb"


def published_path(path: str | os.PathLike | None = None) -> Path:
    """The published warehouse: the argument, else TRUSTGAP_WAREHOUSE, else data/."""
    chosen = path or os.environ.get("TRUSTGAP_WAREHOUSE") or DEFAULT_WAREHOUSE
    return Path(chosen).expanduser().resolve()


def working_path(published: Path) -> Path:
    """The file a run builds in, beside the published one."""
    return published.with_name(f"{published.stem}.working{published.suffix}")


@contextmanager
def connect(path: Path, *, read_only: bool = False):
    """An open DuckDB connection that is always closed (DuckDB allows one writer)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


@dataclass(frozen=True)
class PublishResult:
    path: Path
    bytes: int
    published_at: dt.datetime


RUN_LOG_DDL = """
create schema if not exists trustgap_meta;
create table if not exists trustgap_meta.runs (
    run_id varchar,
    as_of date,
    source varchar,
    published_at timestamptz
);
"""


def publish(working: Path, published: Path, *, run_id: str, as_of: dt.date, source: str):
    """Record the run, then atomically replace `published` with a copy of `working`."""
    published_at = dt.datetime.now(dt.UTC)
    with connect(working) as con:
        con.execute(RUN_LOG_DDL)
        con.execute(
            "insert into trustgap_meta.runs values (?, ?, ?, ?)",
            [run_id, as_of, source, published_at],
        )
        # Fold the WAL into the file so the copy is self-contained.
        con.execute("checkpoint")
    tmp = published.with_name(f".{published.name}.{run_id}.tmp")
    try:
        shutil.copyfile(working, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, published)
    finally:
        tmp.unlink(missing_ok=True)
    return PublishResult(published, published.stat().st_size, published_at)
