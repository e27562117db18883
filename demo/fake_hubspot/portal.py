"""The fake's in-memory HubSpot portal: CRM records (``records.py``), owners, deal
pipelines and v4 associations, and the edits a test makes to them.

Archived records stay in place with ``archived`` set, and every edit moves
``hs_lastmodifieddate`` as the real CRM does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

from demo.fake_hubspot.records import (
    OBJECT_TYPES,
    CrmRecord,
    HistoryEntry,
    ObjectStore,
    format_time,
    now_ms,
    parse_time,
)

# HUBSPOT_DEFINED association type ids, (from, to) -> typeId.
ASSOCIATION_TYPE_IDS = {
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("deals", "calls"): 205,
    ("calls", "deals"): 206,
    ("deals", "emails"): 209,
    ("emails", "deals"): 210,
    ("deals", "meetings"): 211,
    ("meetings", "deals"): 212,
    ("deals", "notes"): 213,
    ("notes", "deals"): 214,
    ("deals", "tasks"): 215,
    ("tasks", "deals"): 216,
}


class Portal:
    """A HubSpot account: records, owners, deal pipelines and associations."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.objects = {name: ObjectStore(name) for name in OBJECT_TYPES}
        self.owners: list[dict] = []
        self.pipelines: dict[str, list[dict]] = {"deals": []}
        # (from type, to type) -> from id -> [(to id, typeId, label)]
        self.associations: dict[tuple[str, str], dict[int, list[tuple[int, int, str | None]]]]
        self.associations = {}
        self._next_id = 1_000_000
        # GET /account-info/v3/details: HubSpot names zones as IANA ids or their
        # legacy aliases (US/Pacific).
        self.account: dict = {
            "portalId": 1234567,
            "accountType": "STANDARD",
            "timeZone": "UTC",
            "companyCurrency": "USD",
            "additionalCurrencies": [],
            "utcOffset": "+00:00",
            "utcOffsetMilliseconds": 0,
            "uiDomain": "app.hubspot.com",
            "dataHostingLocation": "na1",
        }

    # -- loading ---------------------------------------------------------------

    def add(
        self,
        object_type: str,
        record_id: int,
        properties: Mapping[str, str | None],
        *,
        created_at: str,
        updated_at: str | None = None,
        history: Mapping[str, list[HistoryEntry]] | None = None,
        archived: bool = False,
        archived_at: str | None = None,
    ) -> CrmRecord:
        """Put a record as it is (the demo renderer and tests build portals so)."""
        store = self.objects[object_type]
        props = dict(properties)
        props["hs_object_id"] = str(record_id)
        props.setdefault(store.created_property, created_at)
        updated_at = updated_at or props.get("hs_lastmodifieddate") or created_at
        props.setdefault("hs_lastmodifieddate", updated_at)
        record = CrmRecord(
            id=record_id,
            properties=props,
            created_at=created_at,
            updated_at=updated_at,
            modified_ms=parse_time(props["hs_lastmodifieddate"]) or 0,
            history=dict(history or {}),
            archived=archived,
            archived_at=archived_at,
        )
        with self.lock:
            store.put(record)
            self._next_id = max(self._next_id, record_id + 1)
        return record

    def associate(
        self,
        from_type: str,
        from_id: int,
        to_type: str,
        to_id: int,
        *,
        label: str | None = None,
        label_type_id: int = 1001,
    ) -> None:
        """Associate two records both ways (a label adds a USER_DEFINED type)."""
        with self.lock:
            for a_type, a_id, b_type, b_id in (
                (from_type, from_id, to_type, to_id),
                (to_type, to_id, from_type, from_id),
            ):
                links = self.associations.setdefault((a_type, b_type), {}).setdefault(a_id, [])
                links.append((b_id, ASSOCIATION_TYPE_IDS.get((a_type, b_type), 1), None))
                if label is not None:
                    links.append((b_id, label_type_id, label))

    def dissociate(self, from_type: str, from_id: int, to_type: str, to_id: int) -> None:
        with self.lock:
            for a_type, a_id, b_type, b_id in (
                (from_type, from_id, to_type, to_id),
                (to_type, to_id, from_type, from_id),
            ):
                links = self.associations.get((a_type, b_type), {}).get(a_id, [])
                links[:] = [link for link in links if link[0] != b_id]

    # -- edits a user makes in the CRM (tests) ----------------------------------

    def create(
        self,
        object_type: str,
        properties: Mapping[str, str | None],
        *,
        at_ms: int | None = None,
        user_id: int | None = None,
    ) -> int:
        """Create a record as a user would; every set property starts its history."""
        at_ms = now_ms() if at_ms is None else at_ms
        with self.lock:
            record_id = self._next_id
            self._next_id += 1
            stamp = format_time(at_ms)
            history = {
                name: [_entry(value, at_ms, user_id)]
                for name, value in properties.items()
                if value is not None
            }
            self.add(
                object_type,
                record_id,
                {**properties, "hs_lastmodifieddate": stamp},
                created_at=stamp,
                updated_at=stamp,
                history=history,
            )
        return record_id

    def update(
        self,
        object_type: str,
        record_id: int,
        changes: Mapping[str, str | None],
        *,
        at_ms: int | None = None,
        user_id: int | None = None,
    ) -> None:
        """Change properties; each change is a history entry and moves the modified date."""
        at_ms = now_ms() if at_ms is None else at_ms
        with self.lock:
            record = self.objects[object_type].records[record_id]
            for name, value in changes.items():
                if record.properties.get(name) == value:
                    continue
                record.properties[name] = value
                record.history.setdefault(name, []).append(_entry(value, at_ms, user_id))
            self.touch(object_type, [record_id], at_ms=at_ms)

    def touch(self, object_type: str, record_ids: Iterable[int], *, at_ms: int) -> None:
        """Set the modified date of records (many may share one timestamp)."""
        stamp = format_time(at_ms)
        with self.lock:
            records = self.objects[object_type].records
            for record_id in record_ids:
                record = records[record_id]
                record.properties["hs_lastmodifieddate"] = stamp
                record.updated_at = stamp
                record.modified_ms = at_ms

    def archive(self, object_type: str, record_id: int, *, at_ms: int | None = None) -> None:
        """Move a record to the recycle bin: only archived=true reads return it."""
        at_ms = now_ms() if at_ms is None else at_ms
        with self.lock:
            record = self.objects[object_type].records[record_id]
            record.archived = True
            record.archived_at = format_time(at_ms)
            self.touch(object_type, [record_id], at_ms=at_ms)

    def restore(self, object_type: str, record_id: int, *, at_ms: int | None = None) -> None:
        at_ms = now_ms() if at_ms is None else at_ms
        with self.lock:
            record = self.objects[object_type].records[record_id]
            record.archived = False
            record.archived_at = None
            self.touch(object_type, [record_id], at_ms=at_ms)

    def counts(self) -> dict[str, int]:
        """Live (not archived) records per object type."""
        with self.lock:
            return {
                name: sum(1 for r in store.records.values() if not r.archived)
                for name, store in self.objects.items()
            }


def _entry(value: str | None, at_ms: int, user_id: int | None) -> HistoryEntry:
    return HistoryEntry(
        value,
        at_ms,
        "CRM_UI",
        None if user_id is None else f"userId:{user_id}",
        user_id,
    )


def owner(
    owner_id: int,
    *,
    email: str,
    first_name: str,
    last_name: str,
    user_id: int,
    created_at: str,
    updated_at: str | None = None,
    archived: bool = False,
    teams: Iterable[tuple[str, str, bool]] = (),
) -> dict:
    """An owner in the wire format; deactivated users are archived and keep their user
    id only in userIdIncludingInactive."""
    return {
        "id": str(owner_id),
        "email": email,
        "type": "PERSON",
        "firstName": first_name,
        "lastName": last_name,
        "userId": None if archived else user_id,
        "userIdIncludingInactive": user_id,
        "createdAt": created_at,
        "updatedAt": updated_at or created_at,
        "archived": archived,
        "teams": [{"id": tid, "name": name, "primary": primary} for tid, name, primary in teams],
    }


def pipeline(
    pipeline_id: str,
    label: str,
    stages: Iterable[tuple[str, str, bool, float]],
    *,
    created_at: str,
    display_order: int = 0,
) -> dict:
    """A deal pipeline in the wire format; stage metadata values are strings."""
    return {
        "id": pipeline_id,
        "label": label,
        "displayOrder": display_order,
        "createdAt": created_at,
        "updatedAt": created_at,
        "archived": False,
        "stages": [
            {
                "id": stage_id,
                "label": stage_label,
                "displayOrder": order,
                "metadata": {
                    "isClosed": "true" if is_closed else "false",
                    "probability": repr(float(probability)),
                },
                "createdAt": created_at,
                "updatedAt": created_at,
                "archived": False,
                "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
            }
            for order, (stage_id, stage_label, is_closed, probability) in enumerate(stages)
        ],
    }
