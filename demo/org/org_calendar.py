"""The demo org's calendar: a fiscal year starting in April, an office in California.

Both traits are stated where a real org states them (Salesforce's Organization row,
HubSpot's account details) and shape the planted behaviours: the CEO intervenes in
the last 14 days of *fiscal* quarters (named after the fiscal year, 2026-Q2 for
July-September 2026), and the always-on manager's Sunday-evening edits belong to the
Sunday's ISO week in Los Angeles, not Monday's in UTC.

April, not February, by default: the generator draws the whole org from one seeded
stream, and quarter ends other than the calendar's move the CEO's planted windows and
with them every later draw, so the seeded demo (and its recorded fingerprints and
planted-behaviour checks) would become another org. `generate_org(...,
fiscal_year_start_month=2)` builds a February org; dbt unit tests pin February quarters.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

FISCAL_YEAR_START_MONTH = 4
TIME_ZONE = "America/Los_Angeles"
ZONE = ZoneInfo(TIME_ZONE)
_EPOCH = datetime.date(1970, 1, 1)


def organization_fields(fiscal_year_start_month: int = FISCAL_YEAR_START_MONTH) -> dict:
    """The calendar fields of the Salesforce Organization row."""
    return {"FiscalYearStartMonth": fiscal_year_start_month, "TimeZoneSidKey": TIME_ZONE}


def _quarter_start(date: datetime.date, start_month: int) -> datetime.date:
    # quarters are three-month blocks counted from the fiscal year's first month
    months = date.year * 12 + date.month - 1 - (date.month - start_month) % 3
    return datetime.date(months // 12, months % 12 + 1, 1)


def fiscal_quarter_end_day(day: int, start_month: int = FISCAL_YEAR_START_MONTH) -> int:
    """Day number of the last day of the fiscal quarter containing day number `day`."""
    start = _quarter_start(_EPOCH + datetime.timedelta(days=day), start_month)
    month = start.month + 3
    following = datetime.date(start.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    return (following - _EPOCH).days - 1


def fiscal_quarter_label(day: int, start_month: int = FISCAL_YEAR_START_MONTH) -> str:
    """The fiscal quarter's name as int_fiscal_quarters gives it (2026-Q2 for Jul-Sep
    2026 with April years): fiscal years are named after the calendar year they start in."""
    start = _quarter_start(_EPOCH + datetime.timedelta(days=day), start_month)
    year = start.year if start.month >= start_month else start.year - 1
    number = (start.month - start_month) % 12 // 3 + 1
    return f"{year}-Q{number}"


def local_moment(date: datetime.date, hour: int, minute: int) -> int:
    """Seconds since the epoch of a wall-clock time on `date` in the org's zone."""
    moment = datetime.datetime(date.year, date.month, date.day, hour, minute, tzinfo=ZONE)
    return int(moment.timestamp())


def local_time(created: str) -> datetime.datetime:
    """A Salesforce datetime ('2026-11-23T07:30:00.000+0000') in the org's zone."""
    return datetime.datetime.strptime(created, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(ZONE)


def local_date(created: str) -> datetime.date:
    """The org-local date of a Salesforce datetime."""
    return local_time(created).date()
