"""Salesforce REST wire-format helpers for the demo org: ids, timestamps and rows.

Time inside the generator is integer seconds since the Unix epoch (UTC) and dates
are integer day numbers since the epoch; they become the strings the REST API
sends (`2026-01-02T03:04:05.000+0000`, `2026-01-02`) only when a row is written.
"""

from __future__ import annotations

import datetime
from functools import cache

from connectors.salesforce.objects import OBJECTS_BY_NAME

DAY = 86_400
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

ID_PREFIXES = {
    "User": "005",
    "UserRole": "00E",
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "OpportunityHistory": "008",
    "OpportunityFieldHistory": "017",
    "Task": "00T",
    "Event": "00U",
    "OpportunityContactRole": "00K",
    "OpportunityStage": "01J",
    "CurrencyType": "02Y",
    "DatedConversionRate": "04w",
}


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        chars.append(_BASE62[digit])
    return "".join(reversed(chars))


def _checksum(id15: str) -> str:
    # Salesforce's 15 -> 18 suffix: one char per 5-char chunk, encoding which
    # positions are upper-case, so ids survive case-insensitive tools.
    suffix = []
    for start in (0, 5, 10):
        flags = 0
        for bit, char in enumerate(id15[start : start + 5]):
            if "A" <= char <= "Z":
                flags |= 1 << bit
        suffix.append(_CHECKSUM_CHARS[flags])
    return "".join(suffix)


def salesforce_id(prefix: str, number: int) -> str:
    """An 18-char Salesforce id: key prefix, pod "Dm", a base-62 number, checksum."""
    id15 = f"{prefix}Dm0{_base62(number, 9)}"
    return id15 + _checksum(id15)


def _upper_mask(chars: str) -> int:
    return sum(1 << bit for bit, char in enumerate(chars) if "A" <= char <= "Z")


_TWO_DIGITS = [(a + b, _upper_mask(a + b)) for a in _BASE62 for b in _BASE62]


@cache
def _id_head(prefix: str, high: int) -> tuple[str, str]:
    head = f"{prefix}Dm0{_base62(high, 4)}"
    return head, _CHECKSUM_CHARS[_upper_mask(head[:5])] + _CHECKSUM_CHARS[_upper_mask(head[5:])]


@cache
def _three_digits(number: int) -> tuple[str, int]:
    digits = _base62(number, 3)
    return digits, _upper_mask(digits)


def fast_salesforce_id(prefix: str, number: int) -> str:
    """`salesforce_id` from cached pieces: ids are made by the million."""
    high, low = divmod(number, 62**5)
    middle, last = divmod(low, 62**2)
    head, head_checksum = _id_head(prefix, high)
    digits3, mask3 = _three_digits(middle)
    digits2, mask2 = _TWO_DIGITS[last]
    return head + digits3 + digits2 + head_checksum + _CHECKSUM_CHARS[mask3 | mask2 << 3]


class IdSequence:
    """Hands out increasing ids of one sObject type, starting at a seeded offset."""

    def __init__(self, sobject: str, start: int):
        self.prefix = ID_PREFIXES[sobject]
        self.number = start

    def __call__(self) -> str:
        self.number += 1
        return fast_salesforce_id(self.prefix, self.number)


def day_number(value: datetime.date) -> int:
    return value.toordinal() - _EPOCH_ORDINAL


@cache
def format_date(day: int) -> str:
    return datetime.date.fromordinal(day + _EPOCH_ORDINAL).isoformat()


_TIMES_OF_DAY = [
    f"T{h:02d}:{m:02d}:{sec:02d}.000+0000"
    for h in range(24)
    for m in range(60)
    for sec in range(60)
]


def format_datetime(ts: int) -> str:
    day, second = divmod(ts, DAY)
    return format_date(day) + _TIMES_OF_DAY[second]


def iso_week(ts: int) -> str:
    year, week, _ = datetime.date.fromordinal(ts // DAY + _EPOCH_ORDINAL).isocalendar()
    return f"{year}-W{week:02d}"


def work_time(ts: int) -> int:
    """Map a moment onto the same day's 08:00-18:00 UTC, keeping the order of moments."""
    day, second = divmod(ts, DAY)
    return day * DAY + 8 * 3600 + second * 10 // 24


def quarter_end_day(day: int) -> int:
    """Day number of the last day of the calendar quarter containing `day`."""
    date = datetime.date.fromordinal(day + _EPOCH_ORDINAL)
    last_month = (date.month - 1) // 3 * 3 + 3
    if last_month == 12:
        first_next = datetime.date(date.year + 1, 1, 1)
    else:
        first_next = datetime.date(date.year, last_month + 1, 1)
    return day_number(first_next) - 1


class Table:
    """Rows of one sObject as tuples in the field catalog's order (missing -> None)."""

    def __init__(self, sobject: str):
        self.sobject = sobject
        self.fields = tuple(OBJECTS_BY_NAME[sobject].field_names)
        self._known = frozenset(self.fields)
        self.rows: list[tuple] = []

    def add(self, **values) -> int:
        """Append a row given as field=value; returns its index."""
        if not values.keys() <= self._known:
            unknown = sorted(values.keys() - self._known)
            raise KeyError(f"{self.sobject} has no fields {unknown}")
        self.rows.append(tuple(map(values.get, self.fields)))
        return len(self.rows) - 1

    def update(self, index: int, **values) -> None:
        """Replace some fields of an existing row."""
        row = dict(zip(self.fields, self.rows[index], strict=True))
        row.update(values)
        self.rows[index] = tuple(row[field] for field in self.fields)

    def __len__(self) -> int:
        return len(self.rows)
