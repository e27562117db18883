"""The org's calendar as its CRM states it: fiscal year start, custom quarters, time zone.

Each connector reads it once per run (Salesforce: the `Organization` row and custom
fiscal years' `Period` quarters; HubSpot: the account's details, which have a time
zone and no fiscal year) and keeps it in `sync_state.org_settings` of the working
warehouse, beside the raw tables it came with. What the marts use is decided in
`pipelines/calendar.py` (an explicit setting first). A value the CRM would not give
is None, with a warning that says why; it never fails the run.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pyarrow as pa

from connectors.landing import replace_table

ORG_SETTINGS = "sync_state.org_settings"
_SCHEMA = pa.schema(
    [
        ("crm", pa.string()),
        ("fiscal_year_start_month", pa.int32()),
        ("timezone", pa.string()),
        ("fiscal_quarters", pa.string()),
        ("warning", pa.string()),
        ("read_at", pa.timestamp("us", tz="UTC")),
    ]
)
# What a quarter's name may hold on its way into SQL (macros/fiscal.sql).
_LABEL = re.compile(r"[^0-9A-Za-z_ -]")


@dataclass(frozen=True)
class FiscalQuarter:
    """One custom fiscal quarter, first and last day included."""

    start: dt.date
    end: dt.date
    label: str

    def spec(self) -> str:
        return f"{self.start}/{self.end}/{self.label}"


@dataclass(frozen=True)
class OrgSettings:
    """What one CRM said about its calendar in this run (None: it did not say)."""

    crm: str
    fiscal_year_start_month: int | None = None
    timezone: str | None = None
    fiscal_quarters: tuple[FiscalQuarter, ...] = ()
    warning: str | None = None

    def quarters_spec(self) -> str:
        """The custom quarters as macros/fiscal.sql reads them ('' for none)."""
        return ";".join(q.spec() for q in self.fiscal_quarters)


def fiscal_month(value: object) -> int | None:
    """A fiscal year's first month 1-12, or None for anything else."""
    try:
        month = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return month if 1 <= month <= 12 else None


def time_zone(value: object) -> str | None:
    """An IANA time zone name the CRM sent, or None when it is not one."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+/-]{0,63}", value):
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return value


def quarter_label(text: str) -> str:
    """A quarter's name made safe for SQL (letters, digits, space, '-', '_'), 20 at most."""
    return _LABEL.sub("", text)[:20] or "Q"


def record_org_settings(
    con: duckdb.DuckDBPyConnection, settings: OrgSettings, *, read_at: dt.datetime
) -> None:
    """Keep this run's reading, replacing the last one (one row)."""
    row = pa.table(
        {
            "crm": [settings.crm],
            "fiscal_year_start_month": [settings.fiscal_year_start_month],
            "timezone": [settings.timezone],
            "fiscal_quarters": [settings.quarters_spec() or None],
            "warning": [settings.warning],
            "read_at": [read_at],
        },
        schema=_SCHEMA,
    )
    replace_table(con, ORG_SETTINGS, row)


def read_org_settings(con: duckdb.DuckDBPyConnection) -> OrgSettings | None:
    """The last recorded reading, or None when no sync recorded one."""
    found = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'sync_state' and table_name = 'org_settings'"
    ).fetchone()[0]
    if not found:
        return None
    row = con.execute(
        f"select crm, fiscal_year_start_month, timezone, fiscal_quarters, warning "
        f"from {ORG_SETTINGS} limit 1"
    ).fetchone()
    if row is None:
        return None
    crm, month, zone, quarters, warning = row
    parsed = []
    for item in (quarters or "").split(";"):
        if item:
            start, end, label = item.split("/", 2)
            parsed.append(
                FiscalQuarter(dt.date.fromisoformat(start), dt.date.fromisoformat(end), label)
            )
    return OrgSettings(crm, month, zone, tuple(parsed), warning)
