"""Incremental sync state for HubSpot: the cursor each object keeps, and the search window.

Each object's cursor (``sync_state.cursors``, key ``hubspot/<object>``) is a
small JSON document committed with every page of rows it covers: which pass is
running (a full list or incremental search windows), where the current pass
began, and how far it got (the next list page's ``after``, or the last
``hs_object_id`` of the current window). Search stops at 10,000 results per
query and many records can share one ``hs_lastmodifieddate``, so every window
page is a fresh query sorted by ``hs_object_id`` with ``hs_object_id > last id``:
keyset paging that never reaches the cap, cannot loop, and resumes from the last
committed id.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass

log = logging.getLogger(__name__)

SEARCH_LIMIT = 200


@dataclass(frozen=True)
class CursorState:
    """Where an object's sync stands; stored as JSON in sync_state.cursors."""

    phase: str  # "full" or "incremental"
    started: int | None = None  # ms: when the current pass began
    after: str | None = None  # full pass: the next list page
    since: int | None = None  # incremental: lower bound on hs_lastmodifieddate (ms)
    last_id: int | None = None  # incremental: the current window's progress

    def dump(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None}, sort_keys=True)

    @classmethod
    def load(cls, value: str | None) -> CursorState | None:
        if not value:
            return None
        try:
            return cls(**json.loads(value))
        except (TypeError, ValueError):
            log.warning("unreadable HubSpot sync cursor %r; starting a full sync", value)
            return None


def window_query(since: int, last_id: int, properties: list[str]) -> dict:
    """One search page: changed since `since`, past `last_id`, in id order."""
    return {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(since)},
                    {"propertyName": "hs_object_id", "operator": "GT", "value": str(last_id)},
                ]
            }
        ],
        "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        "properties": properties,
        "limit": SEARCH_LIMIT,
    }
