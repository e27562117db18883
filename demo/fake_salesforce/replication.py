"""The replication API in the fake: ``/sobjects/X/deleted`` reads the org's delete log.

The window is checked as Salesforce checks it: start before end, start at most
``MAX_REPLICATION_DAYS`` back, both read to the minute.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from demo.fake_salesforce import soql
from demo.fake_salesforce.errors import SalesforceApiError
from demo.fake_salesforce.messages import Request, Response
from demo.fake_salesforce.org import MAX_REPLICATION_DAYS, sf_datetime


class ReplicationEndpoints:
    """Mixin for ``FakeSalesforce``: needs ``_schema``, ``now`` and ``deleted_between``
    (from ``OrgChanges``)."""

    _schema: Any
    now: Any
    deleted_between: Any

    def _deleted(self, request: Request) -> Response:
        schema, _ = self._schema(request.args["object"])
        start = _replication_date(request.params.get("start"), "start")
        end = _replication_date(request.params.get("end"), "end")
        now = self.now()
        if start >= end:
            raise _replication_error("startDate must chronologically precede endDate")
        if start < now - dt.timedelta(days=MAX_REPLICATION_DAYS):
            raise _replication_error(
                f"startDate cannot be more than {MAX_REPLICATION_DAYS} days ago"
            )
        entries, earliest = self.deleted_between(schema.name, start, end)
        return Response.json(
            {
                "deletedRecords": [
                    {"id": e.record_id, "deletedDate": sf_datetime(e.deleted_at)} for e in entries
                ],
                "earliestDateAvailable": sf_datetime(_to_minute(earliest)),
                "latestDateCovered": sf_datetime(min(end, _to_minute(now))),
            }
        )


def _to_minute(moment: dt.datetime) -> dt.datetime:
    # The replication calls ignore seconds.
    return moment.replace(second=0, microsecond=0)


def _replication_error(message: str) -> SalesforceApiError:
    return SalesforceApiError(400, "INVALID_REPLICATION_DATE", message)


def _replication_date(value: str | None, name: str) -> dt.datetime:
    if not value:
        raise SalesforceApiError(400, "MISSING_ARGUMENT", f"{name} is required")
    moment = soql.parse_instant(value)
    if moment is None:
        raise _replication_error(f"{name} is not a valid date and time: {value}")
    return _to_minute(moment)
