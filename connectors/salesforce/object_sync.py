"""Land Salesforce objects in DuckDB: full or incremental, REST or Bulk 2.0.

Per object, per run:

- **reference objects** (User, UserRole, OpportunityStage) are re-read whole and
  replace their table in one transaction;
- **incremental objects** with a committed watermark: the deleted-records log
  since the last check flags hard-deleted rows, then one ``queryAll`` window
  (``watermark >= cursor - overlap ORDER BY watermark, Id``) is upserted by Id,
  in chunks of pages (``rest.landing_chunks``), each committing the watermark it
  reached;
- **incremental objects without one** (first run, ``--full-refresh``, another
  org, a field that changed type, a gap in the deleted log): ``SELECT COUNT()``
  decides the transport. Above the Bulk threshold a Bulk 2.0 job replaces the
  table in one transaction; otherwise REST pages are upserted with their
  watermark, so a killed first sync resumes where it stopped.

API cost per object: one describe, plus for a full read one COUNT() and one call
per page; a run with no changes needs one deleted-log call and one window query
per incremental object. Optional objects the org lacks land as empty tables with
a warning. Every outcome is recorded in ``sync_state.salesforce_objects``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from connectors.errors import (
    CrmRequestError,
    SchemaDriftError,
)
from connectors.landing import RawTableWriter
from connectors.org_settings import OrgSettings, record_org_settings
from connectors.salesforce import incremental as state
from connectors.salesforce.api import ObjectUnavailable, SalesforceApi, check_stop
from connectors.salesforce.bulk import BulkQuery, BulkUnavailable
from connectors.salesforce.deletes import DeleteLogGap, apply_deleted_log
from connectors.salesforce.fields import ObjectFields, compare_with_table, resolve_fields
from connectors.salesforce.objects import RAW_SCHEMA, SalesforceObject
from connectors.salesforce.org_settings import read_org_settings
from connectors.salesforce.rest import Chunk, landing_chunks, rest_pages, select_soql
from connectors.salesforce.settings import SyncOptions
from connectors.salesforce.status import ObjectSyncResult, record_status
from connectors.workers import read_ahead

ProgressCallback = Callable[[str, int], None]


class SalesforceSync:
    """Lands the objects of `objects.OBJECTS` from one org into `raw_salesforce`."""

    def __init__(
        self,
        api: SalesforceApi,
        options: SyncOptions | None = None,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.api = api
        self.options = options or SyncOptions()
        self.on_progress = on_progress or (lambda _name, _rows: None)
        self._objects: dict[str, dict] | None = None
        self.org_settings = OrgSettings("salesforce")

    # -- the run -------------------------------------------------------------------------

    def prepare(self, con: duckdb.DuckDBPyConnection, *, loaded_at: dt.datetime) -> str | None:
        """Read the Organization once: which org this is, and its calendar.

        Returns why everything is re-read, if so. The calendar lands in
        sync_state.org_settings; `org_settings` keeps it (with its warning) for the caller.
        """
        org_id, self.org_settings = read_org_settings(self.api)
        record_org_settings(con, self.org_settings, read_at=loaded_at)
        if org_id is None:
            # Without the org's id the warehouse cannot tell another org's data from
            # this one's; a full refresh still re-reads everything.
            if not self.options.full_refresh:
                return None
            state.reset_cursors(con, state.SOURCE)
            return "full refresh requested: every Salesforce object is re-read from scratch"
        return state.check_organization(
            con, org_id, full_refresh=self.options.full_refresh, at=loaded_at
        )

    def org_objects(self) -> dict[str, dict]:
        """The org's objects (describeGlobal), fetched once per run."""
        if self._objects is None:
            self._objects = self.api.describe_global()
        return self._objects

    def sync_object(
        self, con: duckdb.DuckDBPyConnection, obj: SalesforceObject, *, loaded_at: dt.datetime
    ) -> ObjectSyncResult:
        """Bring one object's raw table up to the org's current state."""
        result = ObjectSyncResult(obj.name, obj.table)
        try:
            self._sync(con, obj, result, loaded_at)
        except BaseException as exc:
            result.status = "failed"
            message = str(exc) if isinstance(exc, CrmRequestError | SchemaDriftError) else None
            with contextlib.suppress(duckdb.Error):
                record_status(con, result, loaded_at, message or type(exc).__name__)
            raise
        record_status(con, result, loaded_at, result.warning)
        return result

    def _sync(self, con, obj: SalesforceObject, result: ObjectSyncResult, loaded_at) -> None:
        entry = self.org_objects().get(obj.name)
        if entry is None or not entry.get("queryable", True):
            self._unavailable(con, obj, result, loaded_at, "not enabled or no access")
            return
        try:
            fields = resolve_fields(obj, self.api.describe(obj.name), self.options)
        except ObjectUnavailable as exc:
            self._unavailable(con, obj, result, loaded_at, str(exc))
            return
        if not fields.has("Id"):
            raise SchemaDriftError(f"Salesforce describe of {obj.name} lists no Id field.")
        result.missing_fields = list(fields.missing)
        result.custom_fields = list(fields.custom)
        result.notes = list(fields.absent_features)
        self._warn_about_fields(fields, result)

        if not obj.incremental or not fields.has(obj.watermark):
            if obj.incremental:
                result.warnings.append(
                    f"{obj.name} has no {obj.watermark} field; it is re-read in full every run."
                )
            self._replace(con, fields, result, loaded_at)
            return

        drift = compare_with_table(con, fields)
        watermark = state.read_watermark(con, obj)
        if drift.vanished:
            result.warnings.append(
                f"{obj.name} field(s) {', '.join(drift.vanished)} no longer come from Salesforce; "
                "their columns stay, null for rows landed from now on."
            )
        # A catalog field new to the table (an upgrade: CurrencyIsoCode) would be null
        # on every row the window does not re-read, mixing currencies: read it all.
        added = [n for n in drift.added if fields.has(n) and n not in fields.custom]
        if added and watermark is not None:
            result.warnings.append(
                f"{obj.name} field(s) {', '.join(added)} are new to raw_salesforce."
                f"{obj.table}; it is re-read in full so that every row has them."
            )
            watermark = None
        if drift.retyped and watermark is not None:
            result.warnings.append(
                f"{obj.name} field(s) {', '.join(drift.retyped)} changed type in Salesforce; "
                f"raw_salesforce.{obj.table} is rebuilt from scratch."
            )
            watermark = None
        try:
            if watermark is not None:
                try:
                    self._incremental(con, fields, watermark, result, loaded_at)
                    return
                except DeleteLogGap as gap:
                    result.warnings.append(f"{gap}; {obj.name} is re-read in full.")
            self._full(con, fields, result, loaded_at)
        except ObjectUnavailable as exc:
            # Listed and described, yet refused when queried (sharing, licences).
            self._unavailable(con, obj, result, loaded_at, str(exc))

    # -- modes ---------------------------------------------------------------------------

    def _replace(self, con, fields: ObjectFields, result: ObjectSyncResult, loaded_at) -> None:
        """Reference objects: read whole, replace the table atomically."""
        obj = fields.obj
        result.mode = "replace"
        first = self._first_page(select_soql(fields), fields)
        with RawTableWriter(
            con, RAW_SCHEMA, obj.table, fields.arrow_schema, loaded_at=loaded_at
        ) as writer:
            for chunk in self._rest_chunks(fields, first):
                check_stop()  # a stopping run lands nothing more
                writer.write(chunk.table)
                result.pages += chunk.pages
        result.rows = writer.rows

    def _full(self, con, fields: ObjectFields, result: ObjectSyncResult, loaded_at) -> None:
        obj = fields.obj
        result.mode = "full"
        include_deleted = fields.has_deleted_flag
        count = self.api.count(
            f"SELECT COUNT() FROM {obj.name}", include_deleted=include_deleted, object_name=obj.name
        )
        # Server time before the read: deletes after it are looked for next run.
        started = self.api.session.now()
        threshold = self.options.bulk_threshold
        if threshold and count > threshold:
            try:
                self._bulk_full(con, fields, result, loaded_at, started)
                return
            except BulkUnavailable as exc:
                result.warnings.append(f"Bulk API unavailable for {obj.name} ({exc}); used REST.")
                result.rows = result.pages = 0
        state.forget_object(con, obj, deletes_from=started, at=loaded_at)
        first = self._first_page(select_soql(fields), fields)
        empty_mark = state.sf_datetime(started)
        self._upsert_rest(con, fields, first, None, result, loaded_at, empty_mark=empty_mark)

    def _bulk_full(self, con, fields, result, loaded_at, started: dt.datetime) -> None:
        """One Bulk job replaces the table in one transaction (a job cannot resume)."""
        obj = fields.obj
        result.transport = "bulk"
        bulk = BulkQuery(self.api, self.options)
        # Each next page downloads and parses on a thread of its own while this one
        # lands (`read_ahead`); closing `pages` stops it and aborts an unfinished job.
        pages = read_ahead(
            bulk.pages(
                select_soql(fields, ordered=False), fields, include_deleted=fields.has_deleted_flag
            ),
            name=obj.name,
        )
        with contextlib.closing(pages):
            first = next(pages)  # job created and finished: from here Bulk is committed to
            high: str | None = None
            # Replace mode: the old table, its cursors and the new rows change in one
            # transaction, so a failed page leaves everything as it was.
            with RawTableWriter(
                con,
                RAW_SCHEMA,
                obj.table,
                fields.arrow_schema,
                loaded_at=loaded_at,
                cursor=state.watermark_key(obj),
            ) as writer:
                state.restart_cursors(con, obj, deletes_from=started, at=loaded_at)
                for table in _chain(first, pages):
                    high = state.later(high, _max_text(table, obj.watermark))
                    check_stop()  # a stopping run lands nothing more
                    writer.write(table, cursor_value=high)
                    result.pages += 1
                    self.on_progress(obj.name, writer.rows)
                if high is None:
                    writer.write(fields.arrow_schema.empty_table(), cursor_value=_sf(started))
        result.rows, result.watermark = writer.rows, high or _sf(started)

    def _incremental(self, con, fields, watermark: str, result, loaded_at) -> None:
        obj = fields.obj
        result.mode = "incremental"
        entry = self.org_objects().get(obj.name, {})
        if fields.has_deleted_flag and entry.get("replicateable", True):
            try:
                deletes = apply_deleted_log(
                    self.api,
                    con,
                    fields,
                    fallback_checkpoint=watermark,
                    overlap=self.options.overlap,
                    loaded_at=loaded_at,
                )
                result.deleted = deletes.flagged
            except ObjectUnavailable:
                result.warnings.append(
                    f"Salesforce offers no deleted-records log for {obj.name}: rows in its "
                    "Recycle Bin are flagged, rows deleted for good are not."
                )
        since = state.parse_datetime(watermark) - self.options.overlap
        where = f"{obj.watermark} >= {state.soql_datetime(since)}"
        first = self._first_page(select_soql(fields, where), fields)
        threshold = self.options.bulk_threshold
        if threshold and int(first.get("totalSize", 0)) > threshold:
            try:
                self._bulk_window(con, fields, where, watermark, result, loaded_at)
                return
            except BulkUnavailable as exc:
                result.warnings.append(f"Bulk API unavailable for {obj.name} ({exc}); used REST.")
                result.transport, result.rows, result.pages = "rest", 0, 0
        self._upsert_rest(con, fields, first, watermark, result, loaded_at)

    def _bulk_window(self, con, fields, where, watermark, result, loaded_at) -> None:
        """A large change window through Bulk: pages upserted, watermark saved at the end."""
        obj = fields.obj
        result.transport = "bulk"
        bulk = BulkQuery(self.api, self.options)
        # The next page downloads and parses while this one lands (`read_ahead`).
        pages = read_ahead(
            bulk.pages(
                select_soql(fields, where, ordered=False),
                fields,
                include_deleted=fields.has_deleted_flag,
            ),
            name=obj.name,
        )
        high = watermark
        with _upsert_writer(con, fields, loaded_at) as writer, contextlib.closing(pages):
            for table in pages:
                # Unordered pages: the watermark may only move once all are in.
                check_stop()  # a stopping run lands nothing more
                writer.write(table)
                high = state.later(high, _max_text(table, obj.watermark))
                result.pages += 1
                self.on_progress(obj.name, writer.rows)
            check_stop()
            writer.write(fields.arrow_schema.empty_table(), cursor_value=high)
        result.rows, result.watermark = writer.rows, high

    def _upsert_rest(
        self, con, fields, first: dict, watermark, result, loaded_at, *, empty_mark=None
    ) -> None:
        """REST pages upserted by Id in chunks, each committing the watermark it reached."""
        obj = fields.obj
        result.transport = "rest"
        high = watermark
        with _upsert_writer(con, fields, loaded_at) as writer:
            for chunk in self._rest_chunks(fields, first):
                # Pages come in watermark order: rows not landed yet are at or above
                # this chunk's highest, so resuming from it loses none.
                high = state.later(high, _max_text(chunk.table, obj.watermark))
                check_stop()  # a stopping run lands nothing more
                writer.write(chunk.table, cursor_value=high or empty_mark)
                result.pages += chunk.pages
        result.rows, result.watermark = writer.rows, high or empty_mark

    def _unavailable(self, con, obj, result: ObjectSyncResult, loaded_at, why: str) -> None:
        if not obj.optional:
            raise CrmRequestError(
                f"Salesforce object {obj.name} is not available to the API user ({why}); it is "
                "required: grant the user read access to it."
            )
        message = (
            f"{obj.name} is not available in this org ({why}); landed an empty "
            f"raw_salesforce.{obj.table}: {obj.when_unavailable}."
        )
        state.forget_object(con, obj, deletes_from=None, at=loaded_at)
        with RawTableWriter(con, RAW_SCHEMA, obj.table, obj.arrow_schema, loaded_at=loaded_at):
            pass
        result.status, result.mode = "unavailable", "replace"
        result.rows = result.pages = 0
        result.warnings.append(message)

    # -- helpers -------------------------------------------------------------------------

    def _first_page(self, soql: str, fields: ObjectFields) -> dict:
        return self.api.query(
            soql, include_deleted=fields.has_deleted_flag, object_name=fields.obj.name
        )

    def _rest_chunks(self, fields: ObjectFields, first: dict) -> Iterator[Chunk]:
        pages = rest_pages(self.api, fields, first, self._progress(fields.obj))
        return landing_chunks(
            pages,
            fields.arrow_schema,
            max_rows=self.options.rest_landing_rows,
            max_bytes=self.options.rest_landing_bytes,
        )

    def _progress(self, obj: SalesforceObject) -> Callable[[int], None]:
        return lambda rows: self.on_progress(obj.name, rows)

    def _warn_about_fields(self, fields: ObjectFields, result: ObjectSyncResult) -> None:
        name = fields.obj.name
        if fields.missing:
            result.warnings.append(
                f"{name} has no field(s) {', '.join(fields.missing)} in this org; landed as null."
            )
        if fields.absent_custom:
            result.warnings.append(
                f"SALESFORCE_CUSTOM_FIELDS names {', '.join(fields.absent_custom)} but {name} "
                "has no such field (or the API user cannot read it)."
            )


def _max_text(table: pa.Table | pa.RecordBatch, column: str) -> str | None:
    if table.num_rows == 0:
        return None
    # Watermarks share one format (REST form, Bulk normalised), so text order is
    # time order.
    value = pc.max(table.column(column)).as_py()
    return value


def _sf(moment: dt.datetime) -> str:
    return state.sf_datetime(moment)


def _chain(first: pa.Table, rest: Iterator[pa.Table]) -> Iterator[pa.Table]:
    yield first
    yield from rest


def _upsert_writer(con, fields, loaded_at) -> RawTableWriter:
    """The object's raw table, upserted by Id with its watermark committed alongside."""
    return RawTableWriter(
        con,
        RAW_SCHEMA,
        fields.obj.table,
        fields.arrow_schema,
        loaded_at=loaded_at,
        mode="upsert",
        cursor=state.watermark_key(fields.obj),
    )
