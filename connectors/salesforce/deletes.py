"""Deleted rows: read the deleted-records log and flag them in raw.

``queryAll`` windows already bring soft-deleted rows (``IsDeleted`` true, their
SystemModstamp moved by the delete), but rows purged from the Recycle Bin, hard
deletes and deleted history rows (whose CreatedDate watermark never moves) are
only in ``/sobjects/X/deleted``. Salesforce keeps that log about 15 days; when
the window since the last checkpoint is older than what the log still covers
(``earliestDateAvailable``), deletes may have been missed and the object has to
be re-read in full (``DeleteLogGap``).

The log is applied *before* the window of changed rows is upserted: a row
deleted and then restored inside the window is flagged first and revived by its
newer copy, never the other way round.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from connectors.landing import RawTableWriter
from connectors.salesforce.api import SalesforceApi
from connectors.salesforce.fields import ObjectFields
from connectors.salesforce.incremental import (
    parse_datetime,
    read_deletes_checkpoint,
    save_deletes_checkpoint,
)
from connectors.salesforce.objects import RAW_SCHEMA

# Salesforce returns deletes for no more than 15 days before the call.
LOG_DAYS = 15


class DeleteLogGap(Exception):
    """The deleted-records log no longer reaches back to the last checkpoint."""


@dataclass(frozen=True)
class DeletesResult:
    flagged: int
    listed: int
    called: bool


def apply_deleted_log(
    api: SalesforceApi,
    con: duckdb.DuckDBPyConnection,
    fields: ObjectFields,
    *,
    fallback_checkpoint: str,
    overlap: dt.timedelta,
    loaded_at: dt.datetime,
) -> DeletesResult:
    """Flag rows listed in the log since the checkpoint; advance the checkpoint."""
    obj = fields.obj
    checkpoint = read_deletes_checkpoint(con, obj) or fallback_checkpoint
    start = parse_datetime(checkpoint) - overlap
    now = api.session.now()
    if start < now - dt.timedelta(days=LOG_DAYS):
        raise DeleteLogGap(
            f"{obj.name} was last checked for deletes at {checkpoint}, more than {LOG_DAYS} "
            "days ago, and Salesforce's deleted-records log does not reach back that far"
        )
    # The log ignores seconds; a window shorter than a minute has nothing new.
    end = now.replace(second=0, microsecond=0)
    if start >= end:
        return DeletesResult(0, 0, called=False)
    result = api.deleted(obj.name, start, end)
    earliest = result.get("earliestDateAvailable")
    if earliest and parse_datetime(earliest) > start:
        raise DeleteLogGap(
            f"Salesforce's deleted-records log for {obj.name} starts at {earliest}, after the "
            f"last check ({checkpoint}): some deletes may be gone from it"
        )
    ids = [row["id"] for row in result.get("deletedRecords", [])]
    flagged = 0
    if ids:
        with RawTableWriter(
            con, RAW_SCHEMA, obj.table, fields.arrow_schema, loaded_at=loaded_at, mode="upsert"
        ) as writer:
            flagged = writer.mark_deleted(ids)
    # Marking twice is harmless, so the checkpoint is saved after the marks.
    covered = result.get("latestDateCovered") or checkpoint
    save_deletes_checkpoint(con, obj, covered, loaded_at)
    return DeletesResult(flagged=flagged, listed=len(ids), called=True)
