"""The Salesforce sync loop: every object of the catalog, with one error policy.

How each object is read (replace, Bulk 2.0 or REST full read, incremental
window with the deleted-records log) is in `object_sync.py`. This loop decides
what a failure means, by the policy in `connectors/sync_report.py`: an expired
session or an exhausted API quota stops the run at once; a bad page, schema
drift or errors past the request retries fail that object only, the others still
land, and `SyncFailed` names the failures at the end.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence

import duckdb

from connectors.salesforce.client import SalesforceConnection
from connectors.salesforce.object_sync import SalesforceSync
from connectors.salesforce.objects import OBJECTS, SalesforceObject
from connectors.salesforce.status import ObjectSyncResult
from connectors.sync_report import (
    FAILS_THE_OBJECT,
    STOPS_THE_RUN,
    TableReport,
    raise_for_failures,
)

log = logging.getLogger(__name__)


def sync_salesforce(
    connection: SalesforceConnection,
    con: duckdb.DuckDBPyConnection,
    *,
    objects: Sequence[SalesforceObject] = OBJECTS,
    loaded_at: dt.datetime | None = None,
    on_progress: Callable[[str, int], None] | None = None,
    on_result: Callable[[ObjectSyncResult], None] | None = None,
    logger=log,
) -> Iterator[TableReport]:
    """Land every object in `objects`, yielding each raw table as it is finished.

    `on_result` also receives the connector's own, fuller account of each object.
    """
    loaded_at = loaded_at or dt.datetime.now(dt.UTC)
    api = connection.api
    sync = SalesforceSync(api, connection.options, on_progress=on_progress)
    reason = sync.prepare(con, loaded_at=loaded_at)
    if reason:
        logger.info(reason[0].upper() + reason[1:])
    failures: dict[str, Exception] = {}
    for obj in objects:
        before = api.session.api_usage
        try:
            result = sync.sync_object(con, obj, loaded_at=loaded_at)
        except STOPS_THE_RUN:
            raise
        except FAILS_THE_OBJECT as exc:
            logger.error(f"{obj.name} failed: {exc}")
            failures[obj.name] = exc
            continue
        requests = _requests(before, api.session.api_usage)
        logger.info(
            f"{obj.name}: {result.mode} sync over {result.transport.upper()}, "
            f"{result.rows:,} rows in {result.pages} pages"
            + (f", {result.deleted:,} flagged deleted" if result.deleted else "")
            + (f", {requests} API requests" if requests is not None else "")
        )
        for warning in result.warnings:
            logger.warning(warning)
        if on_result:
            on_result(result)
        yield table_report(result, requests)
    raise_for_failures("Salesforce", failures)


def table_report(result: ObjectSyncResult, requests: int | None) -> TableReport:
    """The shared report shape for one synced object."""
    details: dict[str, str | int] = {
        "salesforce_object": result.object_name,
        "transport": result.transport,
        "api_pages": result.pages,
        "rows_flagged_deleted": result.deleted,
    }
    if requests is not None:
        details["api_requests"] = requests
    if result.watermark:
        details["watermark"] = result.watermark
    if result.missing_fields:
        details["missing_fields"] = ", ".join(result.missing_fields)
    if result.custom_fields:
        details["custom_fields"] = ", ".join(result.custom_fields)
    if result.notes:
        details["notes"] = " ".join(result.notes)
    return TableReport(
        result.table, rows=result.rows, mode=result.mode, details=details, warnings=result.warnings
    )


def _requests(before, after) -> int | None:
    """API requests between two Sforce-Limit-Info readings (None when unknown)."""
    if after is None:
        return None
    return after[0] - (before[0] if before else after[0])
