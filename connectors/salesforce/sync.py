"""Pull Salesforce objects page by page and land them as Arrow batches.

One query per object, paged with `nextRecordsUrl`, so a full sync costs about
ceil(rows / page size) requests per object plus one describe call. Objects with
an IsDeleted field are read with queryAll so deleted rows arrive flagged rather
than silently vanishing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceRefusedRequest,
)

from connectors.errors import CrmAuthError, CrmQuotaError, CrmRequestError, SchemaDriftError
from connectors.landing import RawTableWriter
from connectors.salesforce.objects import OBJECTS, RAW_SCHEMA, SalesforceObject

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int], None]


@dataclass
class ObjectSyncResult:
    """What syncing one object landed."""

    object_name: str
    table: str
    rows: int
    pages: int
    missing_fields: list[str] = field(default_factory=list)
    warning: str | None = None


def records_to_batch(
    records: Sequence[dict], obj: SalesforceObject, present: frozenset[str]
) -> pa.RecordBatch:
    """Columns straight from a page's records; fields the org lacks become nulls."""
    arrays = []
    for name, arrow_type in obj.fields:
        if name not in present:
            arrays.append(pa.nulls(len(records), arrow_type))
            continue
        values = [record.get(name) for record in records]
        arrays.append(_column(values, arrow_type, obj.name, name))
    return pa.RecordBatch.from_arrays(arrays, schema=obj.arrow_schema)


def _column(values: list, arrow_type: pa.DataType, object_name: str, name: str) -> pa.Array:
    try:
        return pa.array(values, type=arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        if arrow_type != pa.string():
            raise SchemaDriftError(
                f"Salesforce sent {object_name}.{name} values that are not "
                f"{arrow_type}: {exc}. Check whether the field's type changed."
            ) from exc
        # anyType fields (OldValue/NewValue) arrive as JSON numbers or booleans
        # depending on the tracked field; keep their JSON text form.
        return pa.array(
            [v if v is None or isinstance(v, str) else json.dumps(v) for v in values],
            type=arrow_type,
        )


class SalesforceSync:
    """Lands the objects of `objects.OBJECTS` from one org into `raw_salesforce`."""

    def __init__(self, sf: Salesforce, *, on_progress: ProgressCallback | None = None) -> None:
        self.sf = sf
        self.on_progress = on_progress or (lambda _name, _rows: None)
        self._queryable: frozenset[str] | None = None

    def queryable_objects(self) -> frozenset[str]:
        """Names of the objects this org exposes to the API user."""
        if self._queryable is None:
            described = self._call(self.sf.describe)
            self._queryable = frozenset(
                o["name"] for o in described["sobjects"] if o.get("queryable", True)
            )
        return self._queryable

    def available_fields(self, obj: SalesforceObject) -> frozenset[str]:
        described = self._call(getattr(self.sf, obj.name).describe)
        return frozenset(f["name"] for f in described["fields"]) & set(obj.field_names)

    def pages(self, obj: SalesforceObject, present: frozenset[str]) -> Iterator[pa.RecordBatch]:
        """The object's rows, one Arrow batch per API page."""
        select = ", ".join(f for f in obj.field_names if f in present)
        order = ", ".join(f for f in (obj.watermark, "Id") if f in present)
        soql = f"SELECT {select} FROM {obj.name}" + (f" ORDER BY {order}" if order else "")
        include_deleted = "IsDeleted" in present
        page = self._call(self.sf.query, soql, include_deleted=include_deleted)
        rows = 0
        while True:
            records = page["records"]
            rows += len(records)
            self.on_progress(obj.name, rows)
            yield records_to_batch(records, obj, present)
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            page = self._call(self.sf.query_more, next_url, identifier_is_url=True)

    def sync_object(
        self, con: duckdb.DuckDBPyConnection, obj: SalesforceObject, *, loaded_at: dt.datetime
    ) -> ObjectSyncResult:
        """Replace the object's raw table with the org's current rows."""
        if obj.name not in self.queryable_objects():
            if not obj.optional:
                raise CrmRequestError(
                    f"Salesforce object {obj.name} is not visible to the API user; "
                    "grant read access to it (it is required)."
                )
            message = (
                f"{obj.name} is not available in this org (not enabled or no access); "
                f"landing an empty raw_salesforce.{obj.table}, metrics that need it are null."
            )
            log.warning(message)
            with RawTableWriter(con, RAW_SCHEMA, obj.table, obj.arrow_schema, loaded_at=loaded_at):
                pass
            return ObjectSyncResult(obj.name, obj.table, 0, 0, warning=message)

        present = self.available_fields(obj)
        missing = sorted(set(obj.field_names) - present)
        if "Id" not in present:
            raise SchemaDriftError(f"Salesforce describe of {obj.name} lists no Id field.")
        pages = 0
        with RawTableWriter(
            con, RAW_SCHEMA, obj.table, obj.arrow_schema, loaded_at=loaded_at
        ) as writer:
            for batch in self.pages(obj, present):
                writer.write(batch)
                pages += 1
        warning = None
        if missing:
            warning = (
                f"{obj.name} has no field(s) {', '.join(missing)} in this org; landed as null."
            )
            log.warning(warning)
        return ObjectSyncResult(obj.name, obj.table, writer.rows, pages, missing, warning)

    def _call(self, fn, *args, **kwargs):
        """Run one API call, turning SDK and transport errors into user-facing ones."""
        try:
            return fn(*args, **kwargs)
        # `from None` everywhere: SDK exceptions carry request URLs and bodies,
        # which are noise to a user and must not risk carrying credentials.
        except SalesforceExpiredSession:
            raise CrmAuthError(
                "Salesforce rejected the access token (expired or invalid session). "
                "Refresh SALESFORCE_ACCESS_TOKEN and run again."
            ) from None
        except SalesforceRefusedRequest as exc:
            if "REQUEST_LIMIT_EXCEEDED" in str(exc.content):
                raise CrmQuotaError(
                    "Salesforce's daily API request limit is exhausted "
                    "(REQUEST_LIMIT_EXCEEDED); the run stopped without further calls. "
                    "Retry after the org's 24-hour window frees up requests."
                ) from None
            raise CrmRequestError(f"Salesforce refused a request: {_errors(exc)}") from None
        except SalesforceError as exc:
            raise CrmRequestError(
                f"Salesforce answered {exc.status} for {exc.resource_name}: {_errors(exc)}"
            ) from None
        except requests.RequestException as exc:
            raise CrmRequestError(
                f"Could not reach Salesforce after retries: {type(exc).__name__}"
            ) from None


def _errors(exc: SalesforceError) -> str:
    content = exc.content
    if isinstance(content, list):
        return "; ".join(f"{e.get('errorCode')}: {e.get('message')}" for e in content)
    return str(content)[:500]


def sync_salesforce(
    sf: Salesforce,
    con: duckdb.DuckDBPyConnection,
    *,
    objects: Sequence[SalesforceObject] = OBJECTS,
    loaded_at: dt.datetime | None = None,
    on_progress: ProgressCallback | None = None,
) -> list[ObjectSyncResult]:
    """Land every object in `objects`; each table commits on its own."""
    loaded_at = loaded_at or dt.datetime.now(dt.UTC)
    sync = SalesforceSync(sf, on_progress=on_progress)
    return [sync.sync_object(con, obj, loaded_at=loaded_at) for obj in objects]
