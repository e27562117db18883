"""The Salesforce sync loop: every object of the catalog, with one error policy.

How each object is read (replace, Bulk 2.0 or REST full read, incremental
window with the deleted-records log) is in `object_sync.py`. This loop decides
what a failure means, by the policy in `connectors/sync_report.py`: an expired
session or an exhausted API quota stops the run at once; a bad page, schema
drift or errors past the request retries fail that object only, the others still
land, and `SyncFailed` names the failures at the end.

Objects run on `SyncOptions.concurrency` workers (SALESFORCE_CONCURRENCY, the
pool of `connectors/workers.py`): one
object's REST pages follow each other, so only several objects in flight keep
the wire busy. Each worker lands through its own DuckDB cursor (`con.cursor()`:
same database, its own transaction), so a Bulk job's replace transaction and
another object's page commits do not mix; objects write different tables and
different rows of the sync_state tables, which DuckDB commits side by side. A
report is yielded as its object finishes. An error that stops the run sets the
stop event: every other worker stops at its next request or landing
(`RunStopped`), all are joined, then the error is raised; each object keeps
only what it committed with its watermark.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager

import duckdb

from connectors.landing import create_state_tables
from connectors.salesforce.api import stopping_on
from connectors.salesforce.client import SalesforceConnection
from connectors.salesforce.object_sync import SalesforceSync
from connectors.salesforce.objects import OBJECTS, RAW_SCHEMA, SalesforceObject
from connectors.salesforce.session import counting_requests
from connectors.salesforce.status import ObjectSyncResult, create_status_table
from connectors.sync_report import TableReport, raise_for_failures, stops_the_run
from connectors.workers import Ended, run_jobs

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
    sync = SalesforceSync(api, connection.options, on_progress=_serialised(on_progress))
    reason = sync.prepare(con, loaded_at=loaded_at)
    if reason:
        logger.info(reason[0].upper() + reason[1:])
    if sync.org_settings.warning:
        logger.warning(sync.org_settings.warning)
    if objects:
        sync.org_objects()  # describeGlobal once, before the workers share it
    # Tables every object writes to, created once: two workers creating one table
    # at once would conflict (DuckDB: catalog write-write conflict).
    create_state_tables(con, RAW_SCHEMA)
    create_status_table(con)
    failures: dict[str, Exception] = {}
    workers = connection.options.concurrency
    # Closed on the way out, so an error raised here stops and joins the workers first.
    with closing(_run(sync, con, objects, loaded_at, workers)) as ended:
        for end in ended:
            obj = end.job
            if end.error is not None:
                if stops_the_run(end.error):
                    raise end.error
                logger.error(f"{obj.name} failed: {end.error}")
                failures[obj.name] = end.error
                continue
            result, requests = end.result
            logger.info(
                f"{obj.name}: {result.mode} sync over {result.transport.upper()}, "
                f"{result.rows:,} rows in {result.pages} pages"
                + (f", {result.deleted:,} flagged deleted" if result.deleted else "")
                + f", {requests} API requests"
            )
            for warning in result.warnings:
                logger.warning(warning)
            if on_result:
                on_result(result)
            yield table_report(result, requests)
    raise_for_failures("Salesforce", failures)


def _run(
    sync: SalesforceSync,
    con: duckdb.DuckDBPyConnection,
    objects: Sequence[SalesforceObject],
    loaded_at: dt.datetime,
    workers: int,
) -> Iterator[Ended[SalesforceObject, tuple[ObjectSyncResult, int]]]:
    """Sync `objects` on `workers` threads (`connectors.workers.run_jobs`), each with
    its own DuckDB cursor; each object ends with its result and its API requests."""
    stop = threading.Event()

    def sync_one(
        obj: SalesforceObject, cursor: duckdb.DuckDBPyConnection
    ) -> tuple[ObjectSyncResult, int]:
        with counting_requests() as count:
            return sync.sync_object(cursor, obj, loaded_at=loaded_at), count.value

    @contextmanager
    def worker_scope(cursor: duckdb.DuckDBPyConnection) -> Iterator[None]:
        # The stop event reaches every request and landing of this thread.
        with closing(cursor), stopping_on(stop):
            yield

    return run_jobs(
        objects,
        sync_one,
        workers=workers,
        name="salesforce-sync",
        stop=stop,
        stops_the_run=stops_the_run,
        # One cursor per worker: its own transactions on the same database.
        open_worker=con.cursor,
        worker_scope=worker_scope,
    )


def _serialised(callback: Callable[[str, int], None] | None) -> Callable[[str, int], None] | None:
    """The progress callback, called by one worker at a time (a run log need not be
    thread-safe)."""
    if callback is None:
        return None
    lock = threading.Lock()

    def call(name: str, rows: int) -> None:
        with lock:
            callback(name, rows)

    return call


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
