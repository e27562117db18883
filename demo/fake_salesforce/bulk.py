"""Bulk API 2.0 query jobs in the fake: create, poll, CSV results by locator, abort.

``POST /jobs/query`` runs the SOQL at once and snapshots the matching rows (as a
real job's result is fixed when it runs); ``GET /jobs/query/{id}`` reports
``InProgress`` for ``bulk_polls - 1`` polls and then ``JobComplete``;
``GET .../results?maxRecords=N&locator=L`` serves the next N rows as CSV with
``Sforce-NumberOfRecords`` and ``Sforce-Locator`` (``null`` on the last page).
Each page is rendered when asked for, so the fake never holds a whole result as
text (CSV as Bulk 2.0 writes it: ``bulk_csv``).

Bulk refuses what the real service refuses: COUNT() and OFFSET, and objects in
``bulk_unsupported``; ``fail_bulk_jobs(n)`` makes the next jobs end ``Failed``.

``prerender_bulk`` renders an object's rows once, ahead of the jobs that read them
(see there): the benchmark's fake does so when it loads the org.
"""

from __future__ import annotations

import base64
import itertools
import json
import operator
import threading
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from demo.fake_salesforce import bulk_csv, soql
from demo.fake_salesforce.errors import SalesforceApiError, not_found
from demo.fake_salesforce.messages import Request, Response
from demo.fake_salesforce.org import sf_datetime
from demo.fake_salesforce.schema import DATETIME_TYPES

CSV_CONTENT_TYPE = "text/csv"
_DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}
_LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
DEFAULT_MAX_RECORDS = 50_000


def _bulk_error(message: str, code: str = "API_ERROR", status: int = 400) -> SalesforceApiError:
    return SalesforceApiError(status, code, message)


@dataclass
class _Job:
    id: str
    operation: str
    object_name: str
    fields: tuple[str, ...]
    datetime_fields: frozenset[str]
    rows: list[dict]
    delimiter: str
    line_ending: str
    created: str
    polls_left: int
    fail_message: str | None = None
    state: str = "UploadComplete"
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Rendered:
    """An object's rows as Bulk CSV lines, rendered ahead: ``body[ends[i-1]:ends[i]]`` is
    row i's line. Holding the rows keeps them (and so their ids) alive."""

    rows: list[dict]
    body: bytes
    ends: array


class BulkJobs:
    """Mixin for ``FakeSalesforce``: needs ``_lock``, ``_schemas``, ``_records``, ``now``."""

    _lock: Any
    _schemas: dict
    _records: dict

    def _init_bulk(self, polls: int) -> None:
        self.bulk_polls = polls
        self.bulk_unsupported: set[str] = set()
        self._bulk_failures: list[str] = []
        self._jobs: dict[str, _Job] = {}
        self._job_seq = itertools.count(1)
        self._jobs_lock = threading.Lock()
        self._rendered: dict[tuple, _Rendered] = {}
        # Results pages served as slices of what prerender_bulk rendered.
        self.bulk_pages_rendered_ahead = 0

    def fail_bulk_jobs(self, n: int = 1, message: str = "InternalServerError") -> None:
        """The next ``n`` query jobs end in state Failed with ``message``."""
        self._bulk_failures.extend([message] * n)

    @property
    def bulk_jobs(self) -> list[dict[str, Any]]:
        """Every job created so far: id, object, operation and state."""
        with self._jobs_lock:
            return [
                {"id": j.id, "object": j.object_name, "operation": j.operation, "state": j.state}
                for j in self._jobs.values()
            ]

    def prerender_bulk(
        self,
        object_name: str,
        fields: Sequence[str],
        *,
        delimiter: str = ",",
        line_ending: str = "\n",
    ) -> int:
        """Render every current row of an object for Bulk queries of ``fields``, now.

        A real org builds a job's results on its own servers; the fake renders them in
        its process, on the cores a benchmark measures the client on (about 2 us a row:
        most of the fake's CPU in a full extract of a large org). Rendered once when the
        org is loaded, a results page whose rows are these rows, in this order (a full
        queryAll, as the connector's full extract reads) is a slice of the rendered
        bytes. Any other page renders as before: rows changed since are new dicts (org
        changes copy rows), so they are not the rows rendered here. Returns the rows.
        """
        with self._lock:
            rows = list(self._records[object_name])
            schema = self._schemas[object_name]
        fields = tuple(fields)
        datetimes = frozenset(
            f.name for f in schema.fields if f.type in DATETIME_TYPES and f.name in fields
        )
        body, ends = bytearray(), array("q")
        for start in range(0, len(rows), DEFAULT_MAX_RECORDS):
            chunk = rows[start : start + DEFAULT_MAX_RECORDS]
            for line in bulk_csv.lines(fields, datetimes, delimiter, line_ending, chunk):
                body += line.encode()
                ends.append(len(body))
        rendered = _Rendered(rows=rows, body=bytes(body), ends=ends)
        with self._jobs_lock:
            self._rendered[(object_name, fields, datetimes, delimiter, line_ending)] = rendered
        return len(rows)

    # -- endpoints ---------------------------------------------------------------------

    def _bulk_create(self, request: Request) -> Response:
        try:
            spec = json.loads(request.body or b"{}")
        except ValueError:
            raise _bulk_error("Invalid JSON in the request body", "JSON_PARSER_ERROR") from None
        operation = spec.get("operation")
        if operation not in ("query", "queryAll"):
            raise _bulk_error(f"Invalid operation: {operation}", "INVALIDJOB")
        delimiter = _DELIMITERS.get(spec.get("columnDelimiter", "COMMA"))
        line_ending = _LINE_ENDINGS.get(spec.get("lineEnding", "LF"))
        if delimiter is None or line_ending is None:
            raise _bulk_error("Invalid columnDelimiter or lineEnding", "INVALIDJOB")
        with self._lock:
            schemas = dict(self._schemas)
        query = soql.parse(spec.get("query") or "", schemas)
        if query.count_only:
            raise _bulk_error("Aggregate functions such as COUNT() are not supported by Bulk API")
        if query.offset:
            raise _bulk_error("OFFSET is not supported by Bulk API")
        if query.object_name in self.bulk_unsupported:
            raise _bulk_error(
                f"Entity '{query.object_name}' is not supported by the Bulk API.", "INVALIDENTITY"
            )
        with self._lock:
            # The job's result is fixed now; org changes copy rows, so none leak in.
            rows = self._run(
                query, self._records[query.object_name], include_deleted=operation != "query"
            )
        schema = schemas[query.object_name]
        datetimes = frozenset(
            f.name for f in schema.fields if f.type in DATETIME_TYPES and f.name in query.fields
        )
        job = _Job(
            id=f"750FAKE{next(self._job_seq):011d}",
            operation=operation,
            object_name=query.object_name,
            fields=query.fields,
            datetime_fields=datetimes,
            rows=rows,
            delimiter=delimiter,
            line_ending=line_ending,
            created=sf_datetime(self.now()),  # type: ignore[attr-defined]
            polls_left=max(self.bulk_polls, 1),
            fail_message=self._bulk_failures.pop(0) if self._bulk_failures else None,
        )
        with self._jobs_lock:
            self._jobs[job.id] = job
        return Response.json(self._job_info(job, request.version))

    def _bulk_job(self, request: Request) -> Response:
        job = self._job(request)
        if job.state in ("UploadComplete", "InProgress"):
            job.polls_left -= 1
            if job.polls_left > 0:
                job.state = "InProgress"
            elif job.fail_message:
                job.state = "Failed"
            else:
                job.state = "JobComplete"
        return Response.json(self._job_info(job, request.version))

    def _bulk_abort(self, request: Request) -> Response:
        job = self._job(request)
        try:
            state = json.loads(request.body or b"{}").get("state")
        except ValueError:
            state = None
        if state != "Aborted":
            raise _bulk_error("Only state Aborted can be set on a query job", "INVALIDJOB")
        if job.state in ("JobComplete", "Failed"):
            raise _bulk_error(f"Job is already {job.state}", "INVALIDJOB")
        job.state = "Aborted"
        return Response.json(self._job_info(job, request.version))

    def _bulk_delete(self, request: Request) -> Response:
        job = self._job(request)
        with self._jobs_lock:
            self._jobs.pop(job.id, None)
        return Response(204, b"")

    def _bulk_results(self, request: Request) -> Response:
        job = self._job(request)
        if job.state != "JobComplete":
            raise _bulk_error(f"Job is not complete (state {job.state})", "INVALIDJOB")
        size = request.params.get("maxRecords", str(DEFAULT_MAX_RECORDS))
        if not size.isdigit() or int(size) < 1:
            raise _bulk_error("maxRecords must be a positive whole number", "INVALIDJOB")
        locator = request.params.get("locator") or ""
        start = _decode_locator(locator) if locator else 0
        if start is None or start > len(job.rows):
            raise _bulk_error(f"Invalid locator: {locator}", "INVALID_LOCATOR")
        end = min(start + int(size), len(job.rows))
        body = self._rendered_page(job, start, end) or bulk_csv.page(
            job.fields, job.datetime_fields, job.delimiter, job.line_ending, job.rows[start:end]
        )
        return Response(
            200,
            body,
            {
                "Sforce-NumberOfRecords": str(end - start),
                "Sforce-Locator": _encode_locator(end) if end < len(job.rows) else "null",
            },
            content_type=CSV_CONTENT_TYPE,
        )

    # -- helpers -----------------------------------------------------------------------

    def _rendered_page(self, job: _Job, start: int, end: int) -> bytes | None:
        """The page sliced from ``prerender_bulk``'s bytes, if its rows are the ones rendered."""
        key = (job.object_name, job.fields, job.datetime_fields, job.delimiter, job.line_ending)
        with self._jobs_lock:
            rendered = self._rendered.get(key)
        if rendered is None or end > len(rendered.rows) or start == end:
            return None
        if not all(map(operator.is_, job.rows[start:end], rendered.rows[start:end])):
            return None
        first = rendered.ends[start - 1] if start else 0
        with self._jobs_lock:
            self.bulk_pages_rendered_ahead += 1
        header = bulk_csv.header(job.fields, job.delimiter, job.line_ending)
        return header + rendered.body[first : rendered.ends[end - 1]]

    def _job(self, request: Request) -> _Job:
        with self._jobs_lock:
            job = self._jobs.get(request.args["job"])
        if job is None:
            raise not_found()
        return job

    def _job_info(self, job: _Job, version: str | None) -> dict[str, Any]:
        info = {
            "id": job.id,
            "operation": job.operation,
            "object": job.object_name,
            "createdById": "005FAKE000000001AAA",
            "createdDate": job.created,
            "systemModstamp": job.created,
            "state": job.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(version or 59.0),
            "jobType": "V2Query",
            "lineEnding": "CRLF" if job.line_ending == "\r\n" else "LF",
            "columnDelimiter": next(k for k, v in _DELIMITERS.items() if v == job.delimiter),
        }
        if job.state == "JobComplete":
            info.update(numberRecordsProcessed=len(job.rows), retries=0, totalProcessingTime=42)
        if job.state == "Failed":
            info["errorMessage"] = job.fail_message
        return info


def _encode_locator(offset: int) -> str:
    # Real locators are opaque; they happen to look like base64 of the offset.
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def _decode_locator(locator: str) -> int | None:
    try:
        text = base64.b64decode(locator + "=" * (-len(locator) % 4)).decode()
    except ValueError:
        return None
    return int(text) if text.isdigit() else None
