"""The org's fiscal calendar and time zone, as each CRM states it, read through the real SDKs."""

from __future__ import annotations

import datetime as dt
import logging

import duckdb

from connectors.hubspot.org_settings import read_account_settings
from connectors.org_settings import FiscalQuarter, OrgSettings, read_org_settings
from demo.fake_hubspot import UNLIMITED, FakeHubSpot
from demo.fake_hubspot.faults import FailNext
from tests.hubspot_fixtures import TOKEN as HUBSPOT_TOKEN
from tests.hubspot_fixtures import api as hubspot_api
from tests.hubspot_fixtures import portal
from tests.salesforce_org import fake_org, land, org

FEBRUARY_IN_CALIFORNIA = {"FiscalYearStartMonth": 2, "TimeZoneSidKey": "America/Los_Angeles"}


def test_salesforce_organization_states_the_fiscal_year_and_time_zone():
    with fake_org(org(1), organization=FEBRUARY_IN_CALIFORNIA) as fake:
        con, _ = land(fake, ["Opportunity"])
        queries = fake.request_counts["query"]

    assert read_org_settings(con) == OrgSettings(
        "salesforce", fiscal_year_start_month=2, timezone="America/Los_Angeles"
    )
    # Read once per run: the Organization row (its id and calendar) and whether the
    # org defines custom fiscal years.
    assert queries == 2


def test_salesforce_custom_fiscal_years_bring_their_period_quarters():
    years = [
        {"Id": "022STD", "Name": "2025", "IsStandardYear": True},
        {"Id": "022CUS", "Name": "FY2027", "IsStandardYear": False},
    ]
    periods = [
        # a standard year's quarter: FiscalYearStartMonth already says it
        {"Id": "026A", "FiscalYearSettingsId": "022STD", "Type": "Quarter", "Number": 4,
         "StartDate": "2025-11-01", "EndDate": "2026-01-31"},
        {"Id": "026B", "FiscalYearSettingsId": "022CUS", "Type": "Quarter", "Number": 1,
         "StartDate": "2026-02-01", "EndDate": "2026-05-02"},
        {"Id": "026C", "FiscalYearSettingsId": "022CUS", "Type": "Month", "Number": 1,
         "StartDate": "2026-02-01", "EndDate": "2026-02-28"},
        {"Id": "026D", "FiscalYearSettingsId": "022CUS", "Type": "Quarter", "Number": 2,
         "StartDate": "2026-05-03", "EndDate": "2026-08-01"},
    ]  # fmt: skip
    records = org(0, FiscalYearSettings=years, Period=periods)
    with fake_org(records, organization=FEBRUARY_IN_CALIFORNIA) as fake:
        con, _ = land(fake, ["Opportunity"])

    settings = read_org_settings(con)
    assert settings.fiscal_quarters == (
        FiscalQuarter(dt.date(2026, 2, 1), dt.date(2026, 5, 2), "FY2027-Q1"),
        FiscalQuarter(dt.date(2026, 5, 3), dt.date(2026, 8, 1), "FY2027-Q2"),
    )
    assert settings.quarters_spec() == (
        "2026-02-01/2026-05-02/FY2027-Q1;2026-05-03/2026-08-01/FY2027-Q2"
    )


def test_unreadable_organization_warns_and_the_sync_goes_on(caplog):
    with fake_org(org(2)) as fake:
        fake.set_records("Organization", None)  # the integration user may not read it
        with caplog.at_level(logging.WARNING):
            con, results = land(fake, ["Opportunity"])

    assert results["Opportunity"].rows == 2
    settings = read_org_settings(con)
    assert (settings.fiscal_year_start_month, settings.timezone) == (None, None)
    assert "cannot read the Organization" in settings.warning
    assert any("cannot read the Organization" in r.getMessage() for r in caplog.records)


def test_salesforce_organization_with_an_unknown_time_zone_is_flagged_not_used():
    bad = {"FiscalYearStartMonth": 13, "TimeZoneSidKey": "Mars/Olympus_Mons"}
    with fake_org(org(0), organization=bad) as fake:
        con, _ = land(fake, ["Opportunity"])

    settings = read_org_settings(con)
    assert (settings.fiscal_year_start_month, settings.timezone) == (None, None)
    assert "FiscalYearStartMonth 13" in settings.warning
    assert "Mars/Olympus_Mons" in settings.warning


def test_hubspot_account_details_state_the_time_zone():
    account = portal(0)
    account.account["timeZone"] = "US/Pacific"
    with FakeHubSpot(account, HUBSPOT_TOKEN, rate_limits=UNLIMITED) as fake:
        settings = read_account_settings(hubspot_api(fake))
        assert fake.request_counts["account"] == 1

    assert settings == OrgSettings("hubspot", timezone="US/Pacific")


def test_hubspot_account_details_refused_is_a_warning_not_a_failure():
    with FakeHubSpot(portal(0), HUBSPOT_TOKEN, rate_limits=UNLIMITED) as fake:
        fake.add_fault(FailNext(1, status=403, kinds={"account"}))
        settings = read_account_settings(hubspot_api(fake, retries=0))

    assert settings.timezone is None
    assert "time zone could not be read" in settings.warning
    assert HUBSPOT_TOKEN not in settings.warning


def test_org_settings_are_kept_in_the_working_warehouse():
    con = duckdb.connect()
    from connectors.org_settings import record_org_settings

    quarter = FiscalQuarter(dt.date(2026, 2, 1), dt.date(2026, 5, 2), "FY2027-Q1")
    settings = OrgSettings("salesforce", 2, "America/Los_Angeles", (quarter,), None)
    record_org_settings(con, settings, read_at=dt.datetime(2026, 11, 27, tzinfo=dt.UTC))
    record_org_settings(con, settings, read_at=dt.datetime(2026, 11, 28, tzinfo=dt.UTC))

    assert read_org_settings(con) == settings
    assert con.execute("select count(*) from sync_state.org_settings").fetchone() == (1,)
