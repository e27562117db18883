"""What a sync did to each raw table: the one shape every connector reports.

A connector's sync loop (`connectors.<crm>.sync.sync_<crm>`) yields a
`TableReport` as each raw table is finished, so the raw assets can report each
table as soon as it has landed, and raises `SyncFailed` at the end when some
objects failed (the others landed and keep their progress).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from connectors.errors import (
    CrmAuthError,
    CrmQuotaError,
    CrmRequestError,
    SchemaDriftError,
    SyncFailed,
)
from connectors.landing import land_batches, reset_cursors

# The error policy every sync loop follows. A refused credential or an exhausted
# quota stops the run at once: every other object would fail the same way, and
# retrying burns quota. A bad page, schema drift or errors past the request retries
# fail that object only: the others still land.
STOPS_THE_RUN = (CrmAuthError, CrmQuotaError)
FAILS_THE_OBJECT = (CrmRequestError, SchemaDriftError)


def stops_the_run(error: BaseException) -> bool:
    """The policy above: anything but an object's own failure stops the run."""
    return isinstance(error, STOPS_THE_RUN) or not isinstance(error, FAILS_THE_OBJECT)


@dataclass
class TableReport:
    """What one run did to one raw table."""

    table: str
    rows: int = 0
    # replace (re-read whole) | full | incremental | empty (the run reads another CRM)
    mode: str = "full"
    # Connector-specific facts worth showing: transport, pages, watermark, deletes.
    details: dict[str, str | int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def warning(self) -> str | None:
        return " ".join(self.warnings) or None


def raise_for_failures(crm: str, failures: Mapping[str, Exception]) -> None:
    """`SyncFailed` naming every object that failed, if any did."""
    if failures:
        raise SyncFailed(
            f"{len(failures)} {crm} object(s) failed; the others landed, and every cursor "
            "covers only rows committed. "
            + " | ".join(f"{name}: {exc}" for name, exc in failures.items()),
            failures.values(),
        )


def leave_empty(
    con: duckdb.DuckDBPyConnection,
    crm: str,
    schema: str,
    tables: Iterable[tuple[str, pa.Schema]],
    *,
    loaded_at: dt.datetime,
) -> list[TableReport]:
    """Empty `crm`'s raw tables and forget its cursors: the run reads another CRM.

    Every nightly run materializes every raw asset, so one job serves Salesforce and
    HubSpot teams alike. The other CRM's tables are emptied rather than left as they
    are: rows of an earlier run on it (a demo, a migration) must not reach this run's
    marts, and dbt staging always finds the tables it selects from.
    """
    reports = []
    for table, arrow_schema in tables:
        land_batches(con, schema, table, arrow_schema, [], loaded_at=loaded_at)
        reports.append(TableReport(table, mode="empty"))
    reset_cursors(con, crm)
    return reports
