"""Salesforce values as HubSpot holds them, for rendering the demo org as a portal.

A value keeps its meaning across the two CRMs: a stage keeps its label, a close
date its day (midnight UTC), a datetime its instant; HubSpot sends every
property as a string.
"""

from __future__ import annotations

import re

from demo.fake_hubspot.records import HistoryEntry

FORECAST_CATEGORIES = {
    "Pipeline": "PIPELINE",
    "Best Case": "BEST_CASE",
    "Commit": "COMMIT",
    "Closed": "CLOSED",
    "Omitted": "OMIT",
}


def stage_id(stage_name: str | None) -> str | None:
    """A stage's internal id: its name lower-cased without spaces or punctuation."""
    return None if stage_name is None else re.sub(r"[^a-z0-9]", "", stage_name.lower())


def hubspot_datetime(value: str | None) -> str | None:
    """A Salesforce datetime (…T03:04:05.000+0000) as HubSpot writes it (…T03:04:05.000Z)."""
    if value is None:
        return None
    return value[:-5] + "Z" if value.endswith("+0000") else value


def hubspot_date(value: str | None) -> str | None:
    """A Salesforce date as a HubSpot date-time at midnight UTC (malformed dates kept)."""
    return None if value is None else f"{value}T00:00:00.000Z"


def hubspot_number(value: float | str | None) -> str | None:
    """A number as HubSpot sends it: a string, without a trailing .0."""
    if value is None:
        return None
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def hubspot_flag(value: bool | None) -> str | None:
    """A boolean as HubSpot sends it: "true" or "false"."""
    return None if value is None else ("true" if value else "false")


def hubspot_id(value: int | None) -> str | None:
    """A numeric HubSpot id as a property value (a string)."""
    return None if value is None else str(value)


def history_entry(value: str | None, at_ms: int | None, user_id: int | None) -> HistoryEntry:
    """One property-history entry as a change in the CRM UI by `user_id` records it."""
    return HistoryEntry(
        value, at_ms or 0, "CRM_UI", None if user_id is None else f"userId:{user_id}", user_id
    )
