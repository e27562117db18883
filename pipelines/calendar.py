"""The calendar the marts are built with: fiscal year, custom quarters and time zone.

Each comes from the first of: an explicit setting (the time zone: TRUSTGAP_TIMEZONE
or the run's `timezone`; the fiscal year: dbt vars `fiscal_year_start_month` /
`fiscal_quarters` set in dbt_project.yml), what the CRM stated in this run's sync
(`sync_state.org_settings`: Salesforce's Organization and Period quarters, HubSpot's
account time zone; HubSpot has no fiscal year), and the default (January, UTC).
The nightly build records its choice, with where each part came from and any warning,
in `trustgap_meta.calendar` (published with the run's metadata, shown by `trustgap
status`); the history backfill builds with that recorded calendar, so past dates
are cut the same way.
"""

from __future__ import annotations

import calendar as months
import functools
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import yaml

from connectors.landing import replace_table
from connectors.org_settings import OrgSettings, read_org_settings
from pipelines import warehouse as wh

CALENDAR = "trustgap_meta.calendar"
SETTING, CRM, DEFAULT = "setting", "crm", "default"


@dataclass(frozen=True)
class Calendar:
    """The chosen calendar; each `*_source` is setting, crm or default."""

    fiscal_year_start_month: int = 1
    fiscal_source: str = DEFAULT
    fiscal_quarters: str = ""
    timezone: str = "UTC"
    timezone_source: str = DEFAULT
    warning: str | None = None

    def environment(self) -> dict[str, str]:
        """What macros/fiscal.sql and macros/as_of.sql read (read only when executing)."""
        return {
            "TRUSTGAP_FISCAL_YEAR_START_MONTH": str(self.fiscal_year_start_month),
            "TRUSTGAP_FISCAL_QUARTERS": self.fiscal_quarters,
            "TRUSTGAP_TIMEZONE": self.timezone,
        }

    def describe(self) -> str:
        """One line for the run log and `trustgap status`."""
        quarters = len([q for q in self.fiscal_quarters.split(";") if q])
        fiscal = f"fiscal year from {months.month_name[self.fiscal_year_start_month]}"
        if quarters:
            fiscal += f" with {quarters} custom quarter(s)"
        return (
            f"{fiscal} ({self.fiscal_source}), time zone {self.timezone} ({self.timezone_source})"
        )


def resolve_calendar(
    org: OrgSettings | None,
    *,
    timezone_setting: str = "",
    dbt_vars: dict | None = None,
    fiscal_setting: int | None = None,
) -> Calendar:
    """Explicit setting > the CRM's statement > default, per part (module docstring).

    `fiscal_setting` is a fiscal year the `crm` resource is configured with (the HubSpot
    demo's); a dbt var set in dbt_project.yml still wins over it.
    """
    dbt_vars = {
        **({"fiscal_year_start_month": fiscal_setting} if fiscal_setting else {}),
        **{name: value for name, value in (dbt_vars or {}).items() if value not in (None, "")},
    }
    org = org or OrgSettings("none")
    if dbt_vars.get("fiscal_year_start_month") not in (None, ""):
        month, fiscal_source = int(dbt_vars["fiscal_year_start_month"]), SETTING
        quarters = _quarters_var(dbt_vars.get("fiscal_quarters"))
    elif dbt_vars.get("fiscal_quarters") not in (None, "", []):
        month, fiscal_source = 1, SETTING
        quarters = _quarters_var(dbt_vars["fiscal_quarters"])
    elif org.fiscal_year_start_month is not None or org.fiscal_quarters:
        month, fiscal_source = org.fiscal_year_start_month or 1, CRM
        quarters = org.quarters_spec()
    else:
        month, fiscal_source, quarters = 1, DEFAULT, ""
    if dbt_vars.get("timezone") not in (None, ""):
        zone, zone_source = str(dbt_vars["timezone"]), SETTING
    elif timezone_setting:
        zone, zone_source = timezone_setting, SETTING
    elif org.timezone:
        zone, zone_source = org.timezone, CRM
    else:
        zone, zone_source = "UTC", DEFAULT
    return Calendar(month, fiscal_source, quarters, zone, zone_source, org.warning)


def _quarters_var(value) -> str:
    if not value:
        return ""
    return value if isinstance(value, str) else ";".join(str(v) for v in value)


def project_vars(project_yml: Path) -> dict:
    """The vars dbt_project.yml sets (null: not set)."""
    project = yaml.safe_load(project_yml.read_text(encoding="utf-8")) or {}
    return project.get("vars") or {}


def build_calendar(
    working: Path, *, timezone_setting: str, project_yml: Path, fiscal_setting: int | None = None
) -> Calendar:
    """This run's calendar, from the org settings its sync landed in `working`."""
    with wh.connect(working, read_only=True) as con:
        org = read_org_settings(con)
    return resolve_calendar(
        org,
        timezone_setting=timezone_setting,
        dbt_vars=project_vars(project_yml),
        fiscal_setting=fiscal_setting,
    )


_COLUMNS = pa.schema(
    [
        ("fiscal_year_start_month", pa.int32()),
        ("fiscal_source", pa.string()),
        ("fiscal_quarters", pa.string()),
        ("timezone", pa.string()),
        ("timezone_source", pa.string()),
        ("warning", pa.string()),
    ]
)


def record_calendar(con: duckdb.DuckDBPyConnection, chosen: Calendar) -> None:
    """Keep the build's calendar in trustgap_meta.calendar (one row)."""
    row = pa.table(
        {name: [getattr(chosen, name) or None] for name in _COLUMNS.names}, schema=_COLUMNS
    )
    replace_table(con, CALENDAR, row)


def recorded_calendar(con: duckdb.DuckDBPyConnection) -> Calendar | None:
    """The calendar the last nightly build recorded, or None (none recorded yet)."""
    if not wh.has_table(con, *CALENDAR.split(".")):
        return None
    row = con.execute(
        f"select fiscal_year_start_month, fiscal_source, fiscal_quarters, timezone, "
        f"timezone_source, warning from {CALENDAR} limit 1"
    ).fetchone()
    if row is None:
        return None
    month, fiscal_source, quarters, zone, zone_source, warning = row
    return Calendar(month, fiscal_source, quarters or "", zone, zone_source, warning)


def status_lines(published: Path) -> list[str]:
    """What `trustgap status` says about the published run's calendar."""
    con = duckdb.connect(str(published), read_only=True)
    try:
        chosen = recorded_calendar(con)
    finally:
        con.close()
    if chosen is None:
        return ["Calendar: not recorded by this publish (January fiscal year, UTC)"]
    lines = [f"Calendar: {chosen.describe()}"]
    if chosen.warning:
        lines.append(f"WARNING: {chosen.warning}")
    return lines


def published_timezone(published: Path) -> str | None:
    """The org time zone the last publish recorded, or None (no publish, none recorded).

    The default as-of date is "today" there when TRUSTGAP_TIMEZONE is unset. The published
    file is read because it changes only when a run ends, so every step of a run agrees.
    Every step (and each check suite) asks: the answer is kept per version of the file.
    """
    try:
        stat = published.stat()
    except FileNotFoundError:
        return None
    return _recorded_timezone(str(published), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _recorded_timezone(published: str, _mtime_ns: int, _size: int) -> str | None:
    try:
        with duckdb.connect(published, read_only=True) as con:
            recorded = recorded_calendar(con)
    except duckdb.Error:
        return None  # a damaged or foreign file: the run says so where it opens it
    return recorded.timezone if recorded else None
