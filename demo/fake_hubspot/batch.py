"""The fake HubSpot's batch endpoints: batch reads and v4 association batch reads.

Both answer 207 with an ``errors`` list when some ids are unknown or have no
associations, as HubSpot does, and keep the rest of the batch.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from demo.fake_hubspot.errors import validation_error
from demo.fake_hubspot.messages import Request, Response
from demo.fake_hubspot.params import bool_param, json_body
from demo.fake_hubspot.portal import Portal
from demo.fake_hubspot.reads import HISTORY_MAX_LIMIT
from demo.fake_hubspot.records import CrmRecord

BATCH_MAX_INPUTS = 100
ASSOCIATIONS_MAX_INPUTS = 1000
ASSOCIATIONS_PER_OBJECT = 500


class BatchReads:
    """Mixin for ``FakeHubSpot``: needs ``portal``, ``_object_type`` and ``_properties``."""

    portal: Portal
    _object_type: Any
    _properties: Any

    def _batch_read(self, request: Request) -> Response:
        name = self._object_type(request)
        store = self.portal.objects[name]
        body = json_body(request)
        inputs = body.get("inputs") or []
        history = body.get("propertiesWithHistory") or []
        ceiling = HISTORY_MAX_LIMIT if history else BATCH_MAX_INPUTS
        if len(inputs) > ceiling:
            raise validation_error(f"Batch read accepts at most {ceiling} inputs.")
        archived = bool_param(request, "archived")
        properties = self._properties(body.get("properties") or [], store, name)
        started = _now()
        results, missing = [], []
        with self.portal.lock:
            for item in inputs:
                record = _lookup(store, item.get("id"))
                if record is None or record.archived != archived:
                    missing.append(str(item.get("id")))
                    continue
                results.append(record.to_wire(properties, history))
        payload: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": _now(),
        }
        if not missing:
            return Response.json(payload)
        payload["numErrors"] = 1
        payload["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": f"Could not get some {name.upper()} objects, they may be deleted "
                "or not exist. Check that ids are valid.",
                "context": {"ids": missing},
            }
        ]
        return Response.json(payload, status=207)

    def _associations(self, request: Request) -> Response:
        from_type = self._object_type(request)
        to_type = self._object_type(request, "to_type")
        body = json_body(request)
        inputs = body.get("inputs") or []
        if len(inputs) > ASSOCIATIONS_MAX_INPUTS:
            raise validation_error(
                f"Batch association reads accept at most {ASSOCIATIONS_MAX_INPUTS} inputs."
            )
        started = _now()
        results, empty = [], []
        with self.portal.lock:
            links_by_id = self.portal.associations.get((from_type, to_type), {})
            for item in inputs:
                from_id = str(item.get("id"))
                start = int(item.get("after") or 0)
                grouped = _group_links(links_by_id.get(_as_int(from_id), []))
                if not grouped:
                    empty.append(from_id)
                    continue
                chunk = grouped[start : start + ASSOCIATIONS_PER_OBJECT]
                result: dict[str, Any] = {"from": {"id": from_id}, "to": chunk}
                if start + ASSOCIATIONS_PER_OBJECT < len(grouped):
                    result["paging"] = {
                        "next": {"after": str(start + ASSOCIATIONS_PER_OBJECT), "link": None}
                    }
                results.append(result)
        payload: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": _now(),
        }
        if not empty:
            return Response.json(payload)
        payload["numErrors"] = len(empty)
        payload["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                "message": f"No {to_type} is associated with {from_type} {from_id}.",
                "context": {"fromObjectId": [from_id], "toObjectType": [to_type]},
            }
            for from_id in empty
        ]
        return Response.json(payload, status=207)


def _group_links(links: list[tuple[int, int, str | None]]) -> list[dict]:
    """v4 shape: one entry per associated record listing every association type."""
    grouped: dict[int, list[dict]] = {}
    for to_id, type_id, label in links:
        types = grouped.get(to_id)
        if types is None:
            types = grouped[to_id] = []
        types.append(_association_type(type_id, label))
    return [{"toObjectId": to_id, "associationTypes": types} for to_id, types in grouped.items()]


@functools.lru_cache(maxsize=1024)
def _association_type(type_id: int, label: str | None) -> dict:
    # Shared between answers: only ever encoded, never changed. A portal has a
    # handful of association types; building one dict per link was the
    # associations endpoint's main cost.
    return {
        "category": "HUBSPOT_DEFINED" if label is None else "USER_DEFINED",
        "typeId": type_id,
        "label": label,
    }


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _lookup(store, record_id: Any) -> CrmRecord | None:
    key = _as_int(record_id)
    return None if key is None else store.records.get(key)
