"""The HubSpot sync loop: owners, pipelines, then every CRM object, with one error policy.

How each object is read (full list, keyset search windows, archived pass) is in
`object_sync.py`. This loop decides what a failure means, by the policy in
`connectors/sync_report.py`: an authentication, scope or daily-quota error stops
the run at once; any other request error or schema drift fails that object only,
the others still land, and `SyncFailed` names the failures at the end.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence

import duckdb

from connectors.hubspot.client import HubSpotConnection
from connectors.hubspot.object_sync import HubSpotSync, is_shared
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
from connectors.sync_report import (
    FAILS_THE_OBJECT,
    STOPS_THE_RUN,
    TableReport,
    raise_for_failures,
)

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

    sync.sync_owners()
    sync.sync_pipelines()
    yield from finished([OWNERS.name, OWNER_TEAMS.name, DEAL_STAGES.name])
    failures: dict[str, Exception] = {}
    for obj in objects:
        try:
            sync.sync_object(obj)
        except STOPS_THE_RUN:
            raise
        except FAILS_THE_OBJECT as exc:
            logger.error(f"{obj.name} failed: {exc}")
            failures[obj.name] = exc
            continue
        # Engagement types share one association table: it is reported once, at the end.
        own = [t for t in obj.associations.values() if not is_shared(t)]
        tables = [obj.table, obj.history_table, *own]
        yield from finished([t.name for t in tables if t is not None])
    yield from finished([t.name for t in TABLES])
    requests = connection.api.requests
    logger.info(
        f"HubSpot API: {sum(requests.values()):,} requests "
        f"({', '.join(f'{k} {v:,}' for k, v in sorted(requests.items()))}); "
        f"paced {connection.api.limiter.waited_s:.1f} s"
    )
    raise_for_failures("HubSpot", failures)
