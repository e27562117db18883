"""How a figure is written on a page: one function per unit, shared by pages and tests."""

from __future__ import annotations

import datetime as dt

MISSING = "\u2013"  # an en dash: no figure


def number(value, unit: str = "count") -> str:
    """`value` in `unit` (the kpi_catalog's units: share, count, days, hours, currency, score)."""
    if value is None:
        return MISSING
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "count":
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    if unit == "currency":
        return f"{value:,.0f}"
    if unit == "days":
        return f"{value:,.1f} d"
    if unit == "hours":
        return f"{value:,.1f} h"
    return f"{value:.2f}"


def delta(latest, previous, unit: str = "count") -> str:
    """The change since the previous report, signed ("+2", "-1.5%"); an en dash without both."""
    if latest is None or previous is None:
        return MISSING
    change = latest - previous
    if unit == "share":
        return f"{change * 100:+.1f} pts"
    text = number(abs(change), unit)
    return ("+" if change >= 0 else "-") + text


def day(value: dt.date | dt.datetime | None) -> str:
    """A date as 2026-11-27, a timestamp as 2026-11-27 02:14 UTC."""
    if value is None:
        return MISSING
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()
