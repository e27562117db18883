"""The HubSpot sync loop: owners, pipelines, then every CRM object, with one error policy.

How each object is read (full list, keyset search windows, archived pass) is in
`object_sync.py`. This loop decides what a failure means, by the policy in
`connectors/sync_report.py`: an authentication, scope or daily-quota error stops
the run at once; any other request error or schema drift fails that object only,
the others still land, and `SyncFailed` names the failures at the end.

Owners, pipelines and the objects run on `HubSpotSettings.concurrency` workers
(`HubSpotSync.run`); each table is yielded when its job ends. An error that
stops the run stops the other workers at a committed page before it is raised.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing

import duckdb

from connectors.hubspot.client import HubSpotConnection
from connectors.hubspot.object_sync import OWNERS_JOB, PIPELINES_JOB, HubSpotSync, is_shared
from connectors.hubspot.objects import (
    CRM_OBJECTS,
    DEAL_STAGES,
    OWNER_TEAMS,
    OWNERS,
    TABLES,
    CrmObject,
)
from connectors.hubspot.org_settings import read_account_settings
from connectors.org_settings import record_org_settings
from connectors.sync_report import TableReport, raise_for_failures, stops_the_run

log = logging.getLogger(__name__)


def sync_hubspot(
    connection: HubSpotConnection,
    con: duckdb.DuckDBPyConnection,
    *,
    objects: Sequence[CrmObject] = CRM_OBJECTS,
    loaded_at: dt.datetime | None = None,
    on_progress: Callable[[str, int], None] | None = None,
    logger=log,
    **options,
) -> Iterator[TableReport]:
    """Land owners, pipelines and `objects`, yielding each raw table as it is finished."""
    sync = HubSpotSync(
        connection.api,
        con,
        loaded_at=loaded_at or dt.datetime.now(dt.UTC),
        full_refresh=connection.full_refresh,
        on_progress=on_progress,
        **options,
    )
    reported: set[str] = set()
    settings = read_account_settings(connection.api)
    record_org_settings(con, settings, read_at=sync.loaded_at)
    if settings.warning:
        logger.warning(settings.warning)

    def finished(tables: Sequence[str]) -> Iterator[TableReport]:
        for table in tables:
            if table not in reported:
                reported.add(table)
                yield sync.results.get(table) or TableReport(table, mode=sync.mode)

    failures: dict[str, Exception] = {}
    # Closed on the way out, so an error raised here stops the workers first.
    with closing(sync.run([OWNERS_JOB, PIPELINES_JOB, *objects])) as ended:
        for job, error in ended:
            if isinstance(job, str):
                if error is not None:
                    raise error
                names = [OWNERS.name, OWNER_TEAMS.name] if job == OWNERS_JOB else [DEAL_STAGES.name]
                yield from finished(names)
                continue
            if error is not None:
                if stops_the_run(error):
                    raise error
                logger.error(f"{job.name} failed: {error}")
                failures[job.name] = error
                continue
            # Engagement types share one association table: it is reported once, at the end.
            own = [t for t in job.associations.values() if not is_shared(t)]
            tables = [job.table, job.history_table, *own]
            yield from finished([t.name for t in tables if t is not None])
    yield from finished([t.name for t in TABLES])
    requests = connection.api.requests
    logger.info(
        f"HubSpot API: {sum(requests.values()):,} requests "
        f"({', '.join(f'{k} {v:,}' for k, v in sorted(requests.items()))}); "
        f"paced {connection.api.limiter.waited_s:.1f} s"
    )
    raise_for_failures("HubSpot", failures)
