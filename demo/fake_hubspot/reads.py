"""The fake HubSpot's read endpoints: account details, owners, pipelines, object pages, one
object, search.

Object pages follow ids in order behind opaque ``after`` cursors, 100 per page
(50 with ``propertiesWithHistory``); ``archived=true`` reads the recycle bin.
"""

from __future__ import annotations

from typing import Any

from demo.fake_hubspot import search
from demo.fake_hubspot.errors import not_found, validation_error
from demo.fake_hubspot.messages import Request, Response
from demo.fake_hubspot.params import (
    bool_param,
    decode_after,
    encode_after,
    int_param,
    json_body,
    next_page,
)
from demo.fake_hubspot.portal import Portal
from demo.fake_hubspot.records import DEFAULT_PROPERTIES, ENGAGEMENT_TYPES, CrmRecord

LIST_MAX_LIMIT = 100
HISTORY_MAX_LIMIT = 50
OWNERS_MAX_LIMIT = 500


class CrmReads:
    """Mixin for ``FakeHubSpot``: needs ``portal``, ``_require`` and ``_object_type``."""

    portal: Portal
    _require: Any
    _object_type: Any

    def _owners(self, request: Request) -> Response:
        self._require("crm.objects.owners.read")
        limit = int_param(request, "limit", 100)
        if not 0 < limit <= OWNERS_MAX_LIMIT:
            raise validation_error(f"limit must be between 1 and {OWNERS_MAX_LIMIT}.")
        archived = bool_param(request, "archived")
        email = request.param("email")
        with self.portal.lock:
            owners = [o for o in self.portal.owners if o["archived"] == archived]
        if email:
            owners = [o for o in owners if (o.get("email") or "").lower() == email.lower()]
        start = decode_after(request.param("after")) or 0
        page = owners[start : start + limit]
        payload: dict[str, Any] = {"results": page}
        if start + limit < len(owners):
            payload["paging"] = next_page(request, encode_after(start + limit))
        return Response.json(payload)

    def _account(self, request: Request) -> Response:
        # Any private-app token may read its account's details (no scope needed).
        with self.portal.lock:
            return Response.json(dict(self.portal.account))

    def _pipelines(self, request: Request) -> Response:
        name = self._object_type(request)
        with self.portal.lock:
            pipelines = list(self.portal.pipelines.get(name, []))
        return Response.json({"results": pipelines})

    def _list(self, request: Request) -> Response:
        name = self._object_type(request)
        store = self.portal.objects[name]
        history = request.param_list("propertiesWithHistory")
        limit = int_param(request, "limit", 10)
        ceiling = HISTORY_MAX_LIMIT if history else LIST_MAX_LIMIT
        if not 0 < limit <= ceiling:
            raise validation_error(
                f"limit must be between 1 and {ceiling}"
                + (" when requesting propertiesWithHistory." if history else ".")
            )
        archived = bool_param(request, "archived")
        last_id = decode_after(request.param("after"))
        properties = self._properties(request.param_list("properties"), store, name)
        page: list[CrmRecord] = []
        more = False
        with self.portal.lock:
            for record in store.after(last_id):
                if record.archived != archived:
                    continue
                if len(page) == limit:
                    more = True
                    break
                page.append(record)
            results = [r.to_wire(properties, history) for r in page]
        payload: dict[str, Any] = {"results": results}
        if more:
            payload["paging"] = next_page(request, encode_after(page[-1].id))
        return Response.json(payload)

    def _get(self, request: Request) -> Response:
        name = self._object_type(request)
        store = self.portal.objects[name]
        archived = bool_param(request, "archived")
        try:
            record = store.records[int(request.args["object_id"])]
        except (KeyError, ValueError):
            raise not_found("Object not found.  objectId are usually numeric.") from None
        if record.archived != archived:
            raise not_found("Object not found.")
        properties = self._properties(request.param_list("properties"), store, name)
        with self.portal.lock:
            payload = record.to_wire(properties, request.param_list("propertiesWithHistory"))
        return Response.json(payload)

    def _search(self, request: Request) -> Response:
        name = self._object_type(request)
        store = self.portal.objects[name]
        body = json_body(request)
        properties = self._properties(body.get("properties") or [], store, name)
        with self.portal.lock:
            page = search.run(store, body)
            results = [record.to_wire(properties) for record in page.results]
        payload: dict[str, Any] = {"total": page.total, "results": results}
        if page.next_after is not None:
            payload["paging"] = {"next": {"after": page.next_after}}
        return Response.json(payload)

    def _properties(self, requested: list[str], store, object_type: str) -> list[str]:
        """Requested properties plus the ones HubSpot always returns."""
        names = list(store.base_properties())
        extra = requested or list(DEFAULT_PROPERTIES.get(object_type, ()))
        if object_type in ENGAGEMENT_TYPES and not requested:
            extra = ["hs_timestamp"]
        names += [p for p in extra if p not in names]
        return names
