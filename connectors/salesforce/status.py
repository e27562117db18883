"""What a sync did to each object, for the run's metadata and for SQL readers.

``sync_state.salesforce_objects`` keeps one row per object: synced, unavailable
(an optional object the org lacks: the metrics that need it are null) or failed,
how it was read, how many rows landed or were flagged deleted, its watermark
and any warning. dbt models and ``trustgap status`` can read it to say *why* a
number is missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from connectors.salesforce.objects import RAW_SCHEMA

STATUS_TABLE = "sync_state.salesforce_objects"
_STATUS_DDL = f"""
create schema if not exists sync_state;
create table if not exists {STATUS_TABLE} (
    object varchar primary key,
    raw_table varchar,
    status varchar,          -- synced | unavailable | failed
    mode varchar,            -- replace | full | incremental
    transport varchar,       -- rest | bulk
    rows_landed bigint,
    rows_flagged_deleted bigint,
    watermark varchar,
    message varchar,
    synced_at timestamptz
);
"""


@dataclass
class ObjectSyncResult:
    """What syncing one object did."""

    object_name: str
    table: str
    rows: int = 0
    pages: int = 0
    mode: str = "full"
    transport: str = "rest"
    deleted: int = 0
    watermark: str | None = None
    status: str = "synced"
    missing_fields: list[str] = field(default_factory=list)
    custom_fields: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # What the org lacks by design (a single-currency org): reported, not warned about.
    notes: list[str] = field(default_factory=list)

    @property
    def warning(self) -> str | None:
        return " ".join(self.warnings) or None


def create_status_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create `sync_state.salesforce_objects` if absent (before the workers start)."""
    con.execute(_STATUS_DDL)


def record_status(
    con: duckdb.DuckDBPyConnection, result: ObjectSyncResult, at: dt.datetime, message: str | None
) -> None:
    """Upsert one object's outcome into `sync_state.salesforce_objects`."""
    con.execute(_STATUS_DDL)
    con.execute(
        f"insert or replace into {STATUS_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.object_name,
            f"{RAW_SCHEMA}.{result.table}",
            result.status,
            result.mode,
            result.transport,
            result.rows,
            result.deleted,
            result.watermark,
            message,
            at,
        ],
    )
