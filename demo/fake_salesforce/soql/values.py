"""How SOQL compares a field's values: normalised per field type, as Salesforce does.

Text compares case-insensitively (Ids exactly), datetimes as instants; a value
that does not read as its field's type normalises to None (treated as null).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import repeat
from operator import attrgetter
from typing import Any

from demo.fake_salesforce.schema import (
    BOOLEAN_TYPES,
    DATE_TYPES,
    DATETIME_TYPES,
    ID_TYPES,
    NUMBER_TYPES,
    FieldSpec,
)

Record = Mapping[str, Any]


def parse_instant(value: Any) -> datetime | None:
    """A Salesforce datetime string as an aware datetime; None when unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _boolean(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value.casefold() if isinstance(value, str) else None


def _exact(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def family(spec: FieldSpec) -> tuple[str, Callable[[Any], Any], str]:
    """How a field's values compare: (literal kind, normaliser, type name for errors)."""
    if spec.type in DATETIME_TYPES:
        return "datetime", parse_instant, "dateTime"
    if spec.type in DATE_TYPES:
        return "date", parse_date, "date"
    if spec.type in NUMBER_TYPES:
        return "number", _number, "double"
    if spec.type in BOOLEAN_TYPES:
        return "boolean", _boolean, "boolean"
    if spec.type in ID_TYPES:
        return "string", _exact, "string"
    return "string", _text, "string"


@dataclass(frozen=True)
class OrderItem:
    field: FieldSpec
    descending: bool
    nulls_last: bool


def sort_key(item: OrderItem) -> Callable[[Record], tuple]:
    _, normalise, _ = family(item.field)
    name = item.field.name
    # Nulls sort first ascending and last descending unless NULLS says otherwise;
    # with reverse=True the smallest rank ends up last.
    null_rank = 2 if item.nulls_last != item.descending else 0

    def key(record: Record) -> tuple:
        value = normalise(record.get(name))
        return (null_rank,) if value is None else (1, value)

    return key


def fast_sort_keys(item: OrderItem, records: list[Record]) -> list | None:
    """Every record's sort key computed in C, or None where only ``sort_key`` will do.

    When no record's value is null (or unreadable) every key of ``sort_key`` is
    ``(1, value)``, so ordering by the bare normalised values orders the records
    the same way; the normalisers are C functions (``fromisoformat``,
    ``str.casefold``) mapped over the column instead of a Python call per record.
    Anything else (nulls, mixed types, naive datetimes) takes ``sort_key``.
    """
    if not set(map(type, records)) <= {dict}:
        return None
    values = list(map(dict.get, records, repeat(item.field.name, len(records))))
    kinds = set(map(type, values))
    _, normalise, _ = family(item.field)
    try:
        if normalise is _exact and kinds <= {str}:
            return values
        if normalise is _text and kinds <= {str}:
            return list(map(str.casefold, values))
        if normalise is _number and kinds <= {int, float}:
            return values
        if normalise is _boolean and kinds <= {bool}:
            return values
        if normalise is parse_instant and kinds <= {str}:
            keys = list(map(datetime.fromisoformat, values))
            return keys if None not in set(map(attrgetter("tzinfo"), keys)) else None
        if normalise is parse_date and kinds <= {str} and set(map(len, values)) <= {10}:
            return list(map(date.fromisoformat, values))
    except ValueError:
        return None
    return None
