"""CRM records as the fake HubSpot keeps them: typed properties, history, per-type stores.

Every property value is a string or None, as on the wire; history is kept per
property, oldest first here and newest first on the wire. Datetimes are epoch
milliseconds inside the fake and ``2026-01-02T03:04:05.678Z`` outside.
"""

from __future__ import annotations

import bisect
import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# HubSpot's standard object type ids, accepted in paths instead of names.
OBJECT_TYPE_IDS = {
    "0-1": "contacts",
    "0-3": "deals",
    "0-27": "tasks",
    "0-46": "notes",
    "0-47": "meetings",
    "0-48": "calls",
    "0-49": "emails",
}

OBJECT_TYPES = ("contacts", "deals", "calls", "emails", "meetings", "notes", "tasks")

ENGAGEMENT_TYPES = ("calls", "emails", "meetings", "notes", "tasks")

# Properties whose values are datetimes or numbers, for search comparisons and sorts.
DATETIME_PROPERTIES = frozenset(
    {
        "createdate",
        "hs_createdate",
        "hs_lastmodifieddate",
        "closedate",
        "hs_timestamp",
        "notes_last_updated",
        "hs_meeting_start_time",
        "hs_meeting_end_time",
        "hs_task_completion_date",
    }
)

NUMBER_PROPERTIES = frozenset(
    {
        "hs_object_id",
        "amount",
        "amount_in_home_currency",
        "hs_deal_stage_probability",
        "hs_call_duration",
    }
)

# What a list call returns when it names no properties (deals as in the real API).
DEFAULT_PROPERTIES = {
    "deals": ("amount", "closedate", "dealname", "dealstage", "pipeline"),
    "contacts": ("email", "firstname", "lastname"),
}


def now_ms() -> int:
    return int(time.time() * 1000)


def format_time(ms: int) -> str:
    """Epoch milliseconds as HubSpot writes datetimes: 2026-01-02T03:04:05.678Z."""
    moment = dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


@lru_cache(maxsize=1 << 18)
def parse_time(value: str | None) -> int | None:
    """A datetime property or filter value (ISO 8601 or epoch ms) as epoch ms."""
    if value is None or value == "":
        return None
    if value.lstrip("-").isdigit():
        return int(value)
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


def typed_value(prop: str, value: str | None) -> Any:
    """A property value as search compares it: ms for datetimes, floats for numbers."""
    if value is None:
        return None
    if prop in DATETIME_PROPERTIES:
        return parse_time(value)
    if prop in NUMBER_PROPERTIES:
        try:
            return float(value)
        except ValueError:
            return None
    return value


@dataclass(slots=True)
class HistoryEntry:
    value: str | None
    timestamp: int
    source_type: str = "CRM_UI"
    source_id: str | None = None
    updated_by_user_id: int | None = None

    def to_wire(self) -> dict:
        entry: dict[str, Any] = {
            "value": "" if self.value is None else self.value,
            "timestamp": format_time(self.timestamp),
            "sourceType": self.source_type,
        }
        if self.source_id is not None:
            entry["sourceId"] = self.source_id
        if self.updated_by_user_id is not None:
            entry["updatedByUserId"] = self.updated_by_user_id
        return entry


@dataclass(slots=True)
class CrmRecord:
    """One CRM object; ``history`` maps a property to its entries, oldest first."""

    id: int
    properties: dict[str, str | None]
    created_at: str
    updated_at: str
    modified_ms: int
    history: dict[str, list[HistoryEntry]] = field(default_factory=dict)
    archived: bool = False
    archived_at: str | None = None

    def to_wire(
        self,
        properties: Iterable[str],
        history: Iterable[str] = (),
    ) -> dict:
        props = self.properties
        properties = list(properties)
        record: dict[str, Any] = {
            "id": str(self.id),
            "properties": dict(zip(properties, map(props.get, properties), strict=True)),
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "archived": self.archived,
        }
        if self.archived_at is not None:
            record["archivedAt"] = self.archived_at
        with_history = {
            name: [entry.to_wire() for entry in reversed(self.history[name])]
            for name in history
            if self.history.get(name)
        }
        if history:
            record["propertiesWithHistory"] = with_history
        return record


class ObjectStore:
    """The records of one object type, ids kept sorted for keyset paging."""

    def __init__(self, object_type: str) -> None:
        self.object_type = object_type
        self.created_property = (
            "createdate" if object_type in ("deals", "contacts") else ("hs_createdate")
        )
        self.records: dict[int, CrmRecord] = {}
        self.ids: list[int] = []

    def put(self, record: CrmRecord) -> None:
        if record.id not in self.records:
            if self.ids and record.id > self.ids[-1]:
                self.ids.append(record.id)
            else:
                bisect.insort(self.ids, record.id)
        self.records[record.id] = record

    def after(self, last_id: int | None) -> Iterable[CrmRecord]:
        """Records with an id greater than ``last_id`` (all when None), in id order."""
        start = 0 if last_id is None else bisect.bisect_right(self.ids, last_id)
        records = self.records
        for index in range(start, len(self.ids)):
            yield records[self.ids[index]]

    def base_properties(self) -> tuple[str, ...]:
        return ("hs_object_id", self.created_property, "hs_lastmodifieddate")

    def __len__(self) -> int:
        return len(self.records)
