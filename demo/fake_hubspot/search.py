"""The CRM search endpoint's semantics: filter groups, one sort, offset paging.

As in the real API: filter groups are ORed, the filters inside a group ANDed (at
most 5 groups, 6 filters each, 18 in all); one sort rule; ``limit`` up to 200;
``after`` is a numeric offset and asking for anything at or past the 10,000th
result is a 400. Archived records are never returned, nor associations or history.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from demo.fake_hubspot.errors import validation_error
from demo.fake_hubspot.records import CrmRecord, ObjectStore, parse_time, typed_value

MAX_LIMIT = 200
MAX_RESULTS = 10_000
MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 18

Predicate = Callable[[CrmRecord], bool]


@dataclass
class SearchPage:
    total: int
    results: list[CrmRecord]
    next_after: str | None


def run(store: ObjectStore, body: Any) -> SearchPage:
    """Evaluate one search request body against ``store``."""
    if not isinstance(body, dict):
        raise validation_error("Invalid input JSON: expected an object.")
    limit = _int(body.get("limit", 10), "limit")
    if not 0 < limit <= MAX_LIMIT:
        raise validation_error(f"limit must be between 1 and {MAX_LIMIT}, got {limit}.")
    offset = _int(body.get("after") or 0, "after")
    if offset < 0:
        raise validation_error("after must not be negative.")
    if offset + limit > MAX_RESULTS:
        raise validation_error(
            f"The search API returns at most {MAX_RESULTS} results per query; "
            f"after={offset} with limit={limit} asks past them."
        )
    groups = body.get("filterGroups") or []
    predicate, lowest_id = _compile(groups)
    sort = _sort(body.get("sorts") or [])

    candidates: Iterable[CrmRecord] = store.after(lowest_id)
    matches = [r for r in candidates if not r.archived and predicate(r)]
    if sort is not None:
        prop, descending = sort
        if prop == "hs_object_id":
            if descending:
                matches.reverse()
        else:
            matches.sort(key=lambda r: r.id)
            matches.sort(key=lambda r: _sort_key(r, prop), reverse=descending)
    page = matches[offset : offset + limit]
    more = offset + limit < len(matches)
    return SearchPage(len(matches), page, str(offset + limit) if more else None)


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise validation_error(f"{name} must be an integer, got {value!r}.") from None


def _sort(sorts: list) -> tuple[str, bool] | None:
    if len(sorts) > 1:
        raise validation_error("Only one sort is allowed per search request.")
    if not sorts:
        return None
    rule = sorts[0]
    if isinstance(rule, str):
        return rule.lstrip("-"), rule.startswith("-")
    direction = str(rule.get("direction", "ASCENDING")).upper()
    if direction not in ("ASCENDING", "DESCENDING"):
        raise validation_error(f"Unknown sort direction {direction!r}.")
    return rule["propertyName"], direction == "DESCENDING"


def _sort_key(record: CrmRecord, prop: str) -> tuple:
    value = typed_value(prop, record.properties.get(prop))
    # Records without the property sort last, as HubSpot's do.
    return (value is None, value if value is not None else 0)


def _compile(groups: list) -> tuple[Predicate, int | None]:
    """A predicate for the filter groups, and the id every match is above (if known)."""
    if len(groups) > MAX_GROUPS:
        raise validation_error(f"At most {MAX_GROUPS} filterGroups are allowed.")
    if sum(len(g.get("filters") or []) for g in groups) > MAX_FILTERS:
        raise validation_error(f"At most {MAX_FILTERS} filters are allowed in a search.")
    if not groups:
        return (lambda _record: True), None
    compiled = []
    lower_bounds: list[int | None] = []
    for group in groups:
        filters = group.get("filters") or []
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise validation_error(f"At most {MAX_FILTERS_PER_GROUP} filters per group.")
        compiled.append([_filter(f) for f in filters])
        lower_bounds.append(_id_lower_bound(filters))
    # Keyset paging on hs_object_id lets the fake skip straight to the page.
    lowest = None if any(b is None for b in lower_bounds) else min(lower_bounds)

    def predicate(record: CrmRecord) -> bool:
        return any(all(test(record) for test in group) for group in compiled)

    return predicate, lowest


def _id_lower_bound(filters: list) -> int | None:
    for f in filters:
        if f.get("propertyName") == "hs_object_id" and f.get("operator") in ("GT", "GTE"):
            value = typed_value("hs_object_id", str(f.get("value")))
            if value is not None:
                return math.floor(value) - (1 if f["operator"] == "GTE" else 0)
    return None


_COMPARISONS = {
    "EQ": lambda a, b: a == b,
    "NEQ": lambda a, b: a != b,
    "LT": lambda a, b: a < b,
    "LTE": lambda a, b: a <= b,
    "GT": lambda a, b: a > b,
    "GTE": lambda a, b: a >= b,
}


def _filter(spec: dict) -> Predicate:
    prop = spec.get("propertyName")
    operator = str(spec.get("operator", "")).upper()
    if not prop:
        raise validation_error("Every filter needs a propertyName.")
    if operator == "HAS_PROPERTY":
        return lambda r: r.properties.get(prop) not in (None, "")
    if operator == "NOT_HAS_PROPERTY":
        return lambda r: r.properties.get(prop) in (None, "")
    if operator in ("IN", "NOT_IN"):
        values = {typed_value(prop, str(v)) for v in spec.get("values") or []}
        inside = operator == "IN"
        return lambda r: (_value(r, prop) in values) == inside
    if operator == "BETWEEN":
        low = _operand(prop, spec.get("value"))
        high = _operand(prop, spec.get("highValue"))
        return lambda r: (v := _value(r, prop)) is not None and low <= v <= high
    if operator not in _COMPARISONS:
        raise validation_error(f"Unsupported filter operator {operator!r}.")
    compare = _COMPARISONS[operator]
    operand = _operand(prop, spec.get("value"))
    if prop == "hs_lastmodifieddate":
        # The incremental sync's hot path: compare the cached epoch ms directly.
        return lambda r: compare(r.modified_ms, operand)
    if prop == "hs_object_id":
        return lambda r: compare(r.id, operand)
    return lambda r: (v := _value(r, prop)) is not None and compare(v, operand)


def _value(record: CrmRecord, prop: str) -> Any:
    return typed_value(prop, record.properties.get(prop))


def _operand(prop: str, value: Any) -> Any:
    if value is None:
        raise validation_error(f"Filter on {prop} needs a value.")
    typed = typed_value(prop, str(value))
    if typed is None:
        raise validation_error(f"{value!r} is not a valid value for {prop}.")
    return typed


__all__ = ["SearchPage", "parse_time", "run"]
