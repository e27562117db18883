"""Bulk API 2.0 query jobs, streamed page by page into Arrow.

A thin client over the same session as every REST call (timeouts, retries,
scheme fix): create the job (``query``, or ``queryAll`` to include deleted and
archived rows), poll it with growing intervals until ``JobComplete``, then read
``maxRecords`` rows at a time following ``Sforce-Locator``. Each CSV page is
parsed by ``pyarrow.csv`` straight into the catalog's Arrow types (empty =
null) and handed on before the next is requested, so memory is bounded by one
page. Datetimes, which Bulk writes as ``...000Z``, are rewritten to the REST form
``...000+0000`` so raw rows are the same whichever API read them.

A job the service refuses, fails or aborts raises ``BulkUnavailable``: the
caller falls back to REST. Session, quota and page errors are not fallbacks;
they propagate. Bulk queries carry no ORDER BY: it would disable PK chunking.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from connectors.errors import (
    CrmAuthError,
    CrmQuotaError,
    CrmRequestError,
    CrmUnavailableError,
    SchemaDriftError,
)
from connectors.salesforce.api import SalesforceApi
from connectors.salesforce.fields import ObjectFields
from connectors.salesforce.settings import SyncOptions

_TERMINAL = ("JobComplete", "Failed", "Aborted")


class BulkUnavailable(Exception):
    """Bulk API 2.0 could not run this query; REST can."""


class BulkQuery:
    """One Bulk 2.0 query job and its result pages."""

    def __init__(
        self,
        api: SalesforceApi,
        options: SyncOptions,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = api
        self.options = options
        self.sleep = sleep
        self.job_id: str | None = None
        self.state: str | None = None

    @property
    def _jobs_url(self) -> str:
        return self.api.base_url + "jobs/query"

    def pages(
        self, soql: str, fields: ObjectFields, *, include_deleted: bool
    ) -> Iterator[pa.Table]:
        """Run ``soql`` as a job and yield its rows one result page at a time."""
        name = fields.obj.name
        self._create(soql, include_deleted, name)
        try:
            self._wait(name)
            locator = ""
            while True:
                params = {"maxRecords": self.options.bulk_page_size}
                if locator:
                    params["locator"] = locator
                response = self.api.request(
                    "GET",
                    f"{self._jobs_url}/{self.job_id}/results",
                    params=params,
                    headers={"Accept": "text/csv"},
                    what=f"reading Bulk API results of {name}",
                )
                expected = response.headers.get("Sforce-NumberOfRecords")
                table = parse_csv_page(response.content, fields)
                if expected is None or not expected.isdigit() or int(expected) != table.num_rows:
                    raise CrmUnavailableError(
                        f"Salesforce sent a truncated Bulk API page for {name} ({table.num_rows} "
                        f"rows, header says {expected}); nothing of this sync was kept and it "
                        "can simply run again."
                    )
                yield table
                locator = response.headers.get("Sforce-Locator", "null")
                if not locator or locator == "null":
                    return
        except BaseException:
            self._abort(name)
            raise

    def _create(self, soql: str, include_deleted: bool, name: str) -> None:
        body = {
            "operation": "queryAll" if include_deleted else "query",
            "query": soql,
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": "LF",
        }
        try:
            job = self.api.request(
                "POST", self._jobs_url, json=body, what=f"creating a Bulk API job for {name}"
            ).json()
        except (CrmAuthError, CrmQuotaError):
            raise
        except CrmRequestError as exc:
            raise BulkUnavailable(f"Salesforce refused the Bulk API job: {exc}") from None
        self.job_id, self.state = job["id"], job.get("state")

    def _wait(self, name: str) -> None:
        delay = self.options.bulk_poll_seconds
        deadline = time.monotonic() + self.options.bulk_timeout_seconds
        while True:
            job = self.api.request(
                "GET", f"{self._jobs_url}/{self.job_id}", what=f"polling the Bulk API job of {name}"
            ).json()
            self.state = job.get("state")
            if self.state == "JobComplete":
                return
            if self.state in ("Failed", "Aborted"):
                reason = job.get("errorMessage") or "no reason given"
                raise BulkUnavailable(f"the Bulk API job {self.state.lower()}: {reason}")
            if time.monotonic() + delay > deadline:
                raise BulkUnavailable(
                    f"the Bulk API job was not done after {self.options.bulk_timeout_seconds:.0f} s"
                )
            self.sleep(delay)
            delay = min(delay * 2, self.options.bulk_max_poll_seconds)

    def _abort(self, name: str) -> None:
        """Best effort: stop a job we give up on, so it stops using the org's quota."""
        if self.job_id is None or self.state in _TERMINAL:
            return
        try:
            self.api.request(
                "PATCH",
                f"{self._jobs_url}/{self.job_id}",
                json={"state": "Aborted"},
                what=f"aborting the Bulk API job of {name}",
            )
            self.state = "Aborted"
        except (CrmRequestError, CrmAuthError, CrmQuotaError):
            pass


def parse_csv_page(content: bytes, fields: ObjectFields) -> pa.Table:
    """One Bulk CSV page as a table with the object's landing schema."""
    schema = fields.arrow_schema
    types = {name: schema.field(name).type for name in fields.select}
    if not content.strip():
        return schema.empty_table()
    try:
        table = pacsv.read_csv(
            io.BytesIO(content),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                true_values=["true"],
                false_values=["false"],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise CrmRequestError(
            f"Salesforce sent a Bulk API page for {fields.obj.name} that does not parse "
            f"({str(exc).splitlines()[0][:200]}): malformed or truncated, or a field's type "
            "changed. Nothing of it was landed."
        ) from None
    if tuple(table.column_names) != fields.select:
        raise SchemaDriftError(
            f"Bulk API results for {fields.obj.name} have columns {table.column_names}, not "
            f"the {len(fields.select)} fields asked for; the object's fields changed mid-run."
        )
    columns = []
    for name, arrow_type in fields.columns:
        if not fields.has(name):
            columns.append(pa.nulls(table.num_rows, arrow_type))
            continue
        column = table.column(name)
        if name in fields.datetimes:
            column = pc.replace_substring_regex(column, pattern=r"Z$", replacement="+0000")
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)
