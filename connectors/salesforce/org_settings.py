"""The Salesforce org's calendar: one read of `Organization`, and custom fiscal quarters.

`Organization` states the standard fiscal year's first month (FiscalYearStartMonth)
and the org's time zone (TimeZoneSidKey, an IANA id). Orgs that define custom fiscal
years keep them in `FiscalYearSettings` (IsStandardYear false) and their quarters in
`Period` (Type 'Quarter'); standard years have Period rows too, which add nothing
to FiscalYearStartMonth and are not read. An integration user without access to
these objects gets a warning and the configured or default calendar, never a failed
run.
"""

from __future__ import annotations

import datetime as dt

from connectors.errors import SchemaDriftError
from connectors.org_settings import (
    FiscalQuarter,
    OrgSettings,
    fiscal_month,
    quarter_label,
    time_zone,
)
from connectors.salesforce.api import ObjectUnavailable, SalesforceApi

ORGANIZATION_FIELDS = ("Id", "FiscalYearStartMonth", "TimeZoneSidKey")
UNREADABLE = (ObjectUnavailable, SchemaDriftError)


def read_org_settings(api: SalesforceApi) -> tuple[str | None, OrgSettings]:
    """The org's id (None when unreadable) and its calendar, in one Organization read."""
    try:
        row = api.organization(ORGANIZATION_FIELDS)
    except UNREADABLE:
        warning = (
            "The Salesforce integration user cannot read the Organization's fiscal year and "
            "time zone (it needs 'View Setup and Configuration'); the run uses "
            "TRUSTGAP_TIMEZONE / var fiscal_year_start_month or their defaults."
        )
        try:
            org_id = api.organization_id()
        except UNREADABLE:
            org_id = None
        return org_id, OrgSettings("salesforce", warning=warning)
    month = fiscal_month(row.get("FiscalYearStartMonth"))
    zone = time_zone(row.get("TimeZoneSidKey"))
    problems = []
    if month is None:
        problems.append(f"FiscalYearStartMonth {row.get('FiscalYearStartMonth')!r}")
    if zone is None:
        problems.append(f"TimeZoneSidKey {str(row.get('TimeZoneSidKey'))[:40]!r}")
    quarters, warning = _custom_quarters(api)
    if problems:
        warning = "; ".join(
            filter(None, [f"Salesforce sent an unusable {' and '.join(problems)}", warning])
        )
    return row.get("Id"), OrgSettings("salesforce", month, zone, quarters, warning)


def _custom_quarters(api: SalesforceApi) -> tuple[tuple[FiscalQuarter, ...], str | None]:
    try:
        years = api.query_all_pages(
            "SELECT Id, Name, IsStandardYear FROM FiscalYearSettings",
            object_name="FiscalYearSettings",
        )
    except UNREADABLE:
        # No custom fiscal years in this org, or none this user may see.
        return (), None
    custom = {y["Id"]: str(y.get("Name") or "") for y in years if y.get("IsStandardYear") is False}
    if not custom:
        return (), None
    try:
        periods = api.query_all_pages(
            "SELECT FiscalYearSettingsId, Number, StartDate, EndDate FROM Period "
            "WHERE Type = 'Quarter' ORDER BY StartDate",
            object_name="Period",
        )
    except UNREADABLE:
        return (), (
            "The org defines custom fiscal years but its Period quarters cannot be read; "
            "quarters follow FiscalYearStartMonth."
        )
    quarters, unreadable = [], 0
    for period in periods:
        year = custom.get(period.get("FiscalYearSettingsId"))
        if year is None:
            continue
        try:
            start = dt.date.fromisoformat(period["StartDate"])
            end = dt.date.fromisoformat(period["EndDate"])
        except (KeyError, TypeError, ValueError):
            start = end = None
        if start is None or end < start:
            unreadable += 1
            continue
        quarters.append(FiscalQuarter(start, end, quarter_label(f"{year}-Q{period.get('Number')}")))
    warning = None
    if unreadable:
        warning = (
            f"{unreadable} custom fiscal quarter(s) in Period have no readable StartDate/EndDate "
            "and were left out; those days follow FiscalYearStartMonth."
        )
    return tuple(quarters), warning
