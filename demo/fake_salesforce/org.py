"""The fake org changing between runs: a clock, edits, deletes and the delete log.

Incremental syncs are only testable against an org that moves. ``OrgChanges`` is
mixed into ``FakeSalesforce`` and changes records the way Salesforce does:
every save stamps ``SystemModstamp`` (and ``CreatedDate`` on insert) with the
org's clock, a delete moves the row to the Recycle Bin (``IsDeleted`` true, only
``queryAll`` sees it) and writes the delete log that ``/sobjects/X/deleted``
reads, and a purge (emptied Recycle Bin, hard delete) removes the row for good;
both take an opportunity's tasks and events along, as Salesforce does.
The clock stands still unless advanced, so several changes can share one
timestamp, as bulk updates in a real org do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from demo.fake_salesforce.schema import ObjectSchema

# Deleting a record deletes its children with it, as Salesforce does: an
# opportunity's tasks and events (WhatId) go to the Recycle Bin with it, come back
# with it, and are purged with it.
CASCADE_DELETES = {"Opportunity": (("Task", "WhatId"), ("Event", "WhatId"))}
# Salesforce keeps delete-log entries for about 15 days; getDeleted refuses a
# start date more than 30 days back.
DELETE_LOG_DAYS = 15
MAX_REPLICATION_DAYS = 30


def sf_datetime(moment: dt.datetime) -> str:
    """A datetime in the REST API's format: 2026-01-02T03:04:05.000+0000."""
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


@dataclass(frozen=True)
class DeletedEntry:
    object_name: str
    record_id: str
    deleted_at: dt.datetime


class OrgChanges:
    """Mixin for ``FakeSalesforce``: needs ``_lock``, ``_records`` and ``_schemas``.

    Changes copy the row they change, so open query cursors and Bulk jobs keep
    the rows they saw and the fixtures handed to the fake are never mutated.
    """

    _lock: Any
    _records: dict[str, list[dict]]
    _schemas: dict[str, ObjectSchema]

    def _init_changes(self) -> None:
        self.clock: dt.datetime | None = None
        self._deleted_log: list[DeletedEntry] = []
        # Entries before this moment are gone from the log (purged by Salesforce).
        self._log_purged_before: dt.datetime | None = None
        self._dropped_fields: dict[str, set[str]] = {}
        self._id_seq = 0
        # (object, id) deleted -> the children its delete took along (undelete restores them)
        self._cascaded: dict[tuple[str, str], list[tuple[str, str]]] = {}

    # -- time -----------------------------------------------------------------------

    def now(self) -> dt.datetime:
        """The org's current time: the set clock, else the machine's UTC time."""
        return self.clock if self.clock is not None else dt.datetime.now(dt.UTC)

    def advance(self, seconds: float = 1.0) -> dt.datetime:
        """Move the clock forward (starting it from the machine's time if unset)."""
        self.clock = self.now() + dt.timedelta(seconds=seconds)
        return self.clock

    # -- changes ---------------------------------------------------------------------

    def insert(self, object_name: str, record: Mapping[str, Any]) -> dict:
        """Create a record; Id, CreatedDate and SystemModstamp are set unless given (or None)."""
        stamp = sf_datetime(self.now())
        with self._lock:
            self._id_seq += 1
            defaults = {
                "Id": f"{self._key_prefix(object_name)}FAKE{self._id_seq:011d}",
                "CreatedDate": stamp,
                "SystemModstamp": stamp,
                **({"IsDeleted": False} if self._has_field(object_name, "IsDeleted") else {}),
            }
            row = {
                **defaults,
                **{k: v for k, v in record.items() if v is not None or k not in defaults},
            }
            self._records[object_name].append(row)
            self._refresh_schema(object_name, row)
        return row

    def update(self, object_name: str, record_id: str, **fields: Any) -> dict:
        """Change fields of a live record and stamp it."""
        stamp = sf_datetime(self.now())
        with self._lock:
            row = self._replace(object_name, record_id, **fields, SystemModstamp=stamp)
            self._refresh_schema(object_name, row)
        return row

    def update_many(self, object_name: str, record_ids: Iterable[str], **fields: Any) -> int:
        """One mass update (a data load, a workflow): every row gets the same stamp."""
        wanted = set(record_ids)
        stamp = sf_datetime(self.now())
        with self._lock:
            rows = self._records[object_name]
            for index, row in enumerate(rows):
                if row.get("Id") in wanted:
                    rows[index] = {**row, **fields, "SystemModstamp": stamp}
            if rows:
                self._refresh_schema(object_name, {**rows[0], **fields})
        return len(wanted)

    def delete(self, object_name: str, record_id: str) -> None:
        """Move a record and its children to the Recycle Bin (soft delete) and log them."""
        now = self.now()
        with self._lock:
            children = [
                (child, row["Id"])
                for child, row in self._live_children(object_name, record_id)
                if not row.get("IsDeleted")
            ]
            for name, row_id in [(object_name, record_id), *children]:
                self._replace(name, row_id, IsDeleted=True, SystemModstamp=sf_datetime(now))
                self._deleted_log.append(DeletedEntry(name, row_id, now))
            self._cascaded[(object_name, record_id)] = children

    def undelete(self, object_name: str, record_id: str) -> None:
        """Restore a record from the Recycle Bin, with the children deleted with it."""
        stamp = sf_datetime(self.now())
        with self._lock:
            children = self._cascaded.pop((object_name, record_id), [])
            for name, row_id in [(object_name, record_id), *children]:
                self._replace(name, row_id, IsDeleted=False, SystemModstamp=stamp)

    def purge(self, object_name: str, record_id: str) -> None:
        """Hard delete, children too: rows vanish even from queryAll; the log keeps them."""
        now = self.now()
        with self._lock:
            children = [
                (child, row["Id"]) for child, row in self._live_children(object_name, record_id)
            ]
            for name, row_id in [(object_name, record_id), *children]:
                rows = self._records[name]
                row = rows.pop(self._index(name, row_id))
                if not row.get("IsDeleted"):
                    self._deleted_log.append(DeletedEntry(name, row_id, now))
            self._cascaded.pop((object_name, record_id), None)

    def _live_children(self, object_name: str, record_id: str) -> list[tuple[str, dict]]:
        """The rows that Salesforce deletes along with ``record_id`` (CASCADE_DELETES)."""
        return [
            (child, row)
            for child, field in CASCADE_DELETES.get(object_name, ())
            for row in self._records.get(child, [])
            if row.get(field) == record_id
        ]

    def drop_field(self, object_name: str, field: str) -> None:
        """A field disappears from the object (deleted custom field, revoked access)."""
        with self._lock:
            self._records[object_name] = [
                {k: v for k, v in row.items() if k != field} for row in self._records[object_name]
            ]
            self._dropped_fields.setdefault(object_name, set()).add(field)
            self._schemas[object_name] = self._without_dropped(self._schemas[object_name])

    def purge_delete_log(self, before: dt.datetime) -> None:
        """Forget delete-log entries before ``before`` (Salesforce purges large logs)."""
        with self._lock:
            self._log_purged_before = before
            self._deleted_log = [e for e in self._deleted_log if e.deleted_at >= before]

    # -- the delete log --------------------------------------------------------------

    def deleted_between(
        self, object_name: str, start: dt.datetime, end: dt.datetime
    ) -> tuple[list[DeletedEntry], dt.datetime]:
        """Log entries of one object in [start, end] and the earliest date available."""
        now = self.now()
        earliest = now - dt.timedelta(days=DELETE_LOG_DAYS)
        if self._log_purged_before is not None:
            earliest = max(earliest, self._log_purged_before)
        with self._lock:
            entries = [
                e
                for e in self._deleted_log
                if e.object_name.lower() == object_name.lower()
                and max(start, earliest) <= e.deleted_at <= end
            ]
        return entries, earliest

    # -- internals -------------------------------------------------------------------

    def _index(self, object_name: str, record_id: str) -> int:
        for index, row in enumerate(self._records[object_name]):
            if row.get("Id") == record_id:
                return index
        raise KeyError(f"{object_name} {record_id} is not in the fake org")

    def _replace(self, object_name: str, record_id: str, **fields: Any) -> dict:
        rows = self._records[object_name]
        index = self._index(object_name, record_id)
        rows[index] = {**rows[index], **fields}
        return rows[index]

    def _has_field(self, object_name: str, field: str) -> bool:
        schema = self._schemas.get(object_name)
        return schema is not None and schema.has(field)

    def _key_prefix(self, object_name: str) -> str:
        schema = self._schemas.get(object_name)
        return (schema.key_prefix if schema else None) or "a00"

    def _refresh_schema(self, object_name: str, row: Mapping[str, Any]) -> None:
        schema = self._schemas[object_name]
        if any(not schema.has(key) for key in row):
            self._dropped_fields.get(object_name, set()).difference_update(row)
            self._schemas[object_name] = self._without_dropped(
                ObjectSchema.from_records(object_name, self._records[object_name])
            )

    def _without_dropped(self, schema: ObjectSchema) -> ObjectSchema:
        dropped = self._dropped_fields.get(schema.name, set())
        fields = [f for f in schema.fields if f.name not in dropped]
        return ObjectSchema(schema.name, fields, custom=schema.custom)
