"""Which fiscal calendar and time zone the marts use, where each came from, and what a run says."""

from __future__ import annotations

import datetime as dt

import duckdb

from connectors.org_settings import FiscalQuarter, OrgSettings
from demo.org.generator import generate_org
from pipelines import calendar
from pipelines.calendar import Calendar, resolve_calendar
from pipelines.settings import Settings
from pipelines.status import show_status

SALESFORCE_FEBRUARY_IN_LA = OrgSettings("salesforce", 2, "America/Los_Angeles")


def test_the_crm_calendar_applies_when_nothing_is_set():
    chosen = resolve_calendar(SALESFORCE_FEBRUARY_IN_LA)

    assert chosen == Calendar(2, "crm", "", "America/Los_Angeles", "crm", None)
    assert chosen.environment() == {
        "TRUSTGAP_FISCAL_YEAR_START_MONTH": "2",
        "TRUSTGAP_FISCAL_QUARTERS": "",
        "TRUSTGAP_TIMEZONE": "America/Los_Angeles",
    }


def test_trustgap_timezone_and_the_dbt_var_override_the_crm():
    chosen = resolve_calendar(
        SALESFORCE_FEBRUARY_IN_LA,
        timezone_setting="Europe/Paris",
        dbt_vars={"fiscal_year_start_month": 4, "fiscal_quarters": None, "timezone": None},
    )

    assert (chosen.fiscal_year_start_month, chosen.fiscal_source) == (4, "setting")
    assert (chosen.timezone, chosen.timezone_source) == ("Europe/Paris", "setting")


def test_custom_period_quarters_come_with_the_crm_fiscal_year():
    quarter = FiscalQuarter(dt.date(2026, 2, 1), dt.date(2026, 5, 2), "FY2027-Q1")
    org = OrgSettings("salesforce", 2, "America/Los_Angeles", (quarter,))

    chosen = resolve_calendar(org)

    assert chosen.fiscal_quarters == "2026-02-01/2026-05-02/FY2027-Q1"
    assert chosen.environment()["TRUSTGAP_FISCAL_QUARTERS"] == chosen.fiscal_quarters
    assert "1 custom quarter(s)" in chosen.describe()


def test_hubspot_states_a_time_zone_and_its_fiscal_year_is_the_var_or_january():
    hubspot = OrgSettings("hubspot", timezone="US/Pacific")

    assert resolve_calendar(hubspot) == Calendar(1, "default", "", "US/Pacific", "crm", None)
    configured = resolve_calendar(hubspot, fiscal_setting=2)
    assert (configured.fiscal_year_start_month, configured.fiscal_source) == (2, "setting")


def test_without_crm_settings_the_defaults_apply_and_the_warning_is_kept():
    unreadable = OrgSettings("salesforce", warning="cannot read the Organization")

    chosen = resolve_calendar(unreadable)

    assert chosen == Calendar(1, "default", "", "UTC", "default", "cannot read the Organization")
    assert resolve_calendar(None) == Calendar()


def test_an_unset_trustgap_timezone_is_told_apart_from_utc():
    assert Settings.from_env({}).timezone_set is False
    assert Settings.from_env({"TRUSTGAP_TIMEZONE": "UTC"}).timezone_set is True


def test_status_warns_when_the_org_calendar_could_not_be_read(tmp_path):
    published = tmp_path / "trustgap.duckdb"
    with duckdb.connect(str(published)) as con:
        calendar.record_calendar(
            con, resolve_calendar(OrgSettings("salesforce", warning="cannot read it"))
        )

    assert calendar.status_lines(published) == [
        "Calendar: fiscal year from January (default), time zone UTC (default)",
        "WARNING: cannot read it",
    ]


# -- the demo org end to end (the shared tiny nightly run) ------------------------------


def test_nightly_run_uses_and_publishes_the_org_calendar(tiny_nightly):
    expected = tiny_nightly.truth["org_calendar"]
    assert expected == {"fiscal_year_start_month": 4, "time_zone": "America/Los_Angeles"}

    rows = tiny_nightly.query(
        "select fiscal_year_start_month, fiscal_source, timezone, timezone_source, warning "
        "from trustgap_meta.calendar"
    )

    assert rows == [(4, "crm", "America/Los_Angeles", "crm", None)]


def test_status_names_the_calendar_and_its_source(tiny_nightly, capsys):
    show_status(str(tiny_nightly.published))

    assert (
        "Calendar: fiscal year from April (crm), time zone America/Los_Angeles (crm)"
        in capsys.readouterr().out
    )


def test_sunday_evening_edits_in_california_count_in_the_sundays_iso_week(tiny_nightly):
    edits = tiny_nightly.truth["planted"]["always_on_manager"]["sunday_evening_edits"]
    assert edits, "the demo plants Sunday-evening edits"
    found = tiny_nightly.query(
        "select distinct deal_id, strftime(changed_at at time zone 'UTC', "
        "'%Y-%m-%dT%H:%M:%S.000+0000'), cast(changed_on as varchar), "
        "strftime(changed_on, '%G-W%V') from intermediate.int_deal_changes "
        "where changed_by = ?",
        [tiny_nightly.truth["planted"]["always_on_manager"]["manager_id"]],
        working=True,
    )
    by_moment = {(deal, at): (day, week) for deal, at, day, week in found}

    for edit in edits:
        # Monday morning in UTC; Sunday in Los Angeles, and in the Sunday's week.
        utc_day = dt.date.fromisoformat(edit["changed_at"][:10])
        assert utc_day.isoweekday() == 1
        assert by_moment[(edit["deal_id"], edit["changed_at"])] == (
            edit["local_date"],
            edit["iso_week"],
        )


def test_the_ceo_intervenes_in_the_last_two_weeks_of_fiscal_quarters():
    org = generate_org("tiny", seed=7, as_of=dt.date(2026, 11, 27), fiscal_year_start_month=2)
    ceo = org.truth["planted"]["ceo_quarter_end_intervention"]

    # February fiscal years: the last four quarters ended in January, April, July, October.
    assert [(w["quarter"], w["start"], w["end"]) for w in ceo["windows"]] == [
        ("2025-Q4", "2026-01-18", "2026-01-31"),
        ("2026-Q1", "2026-04-17", "2026-04-30"),
        ("2026-Q2", "2026-07-18", "2026-07-31"),
        ("2026-Q3", "2026-10-18", "2026-10-31"),
    ]
    assert org.truth["org_calendar"]["fiscal_year_start_month"] == 2


def test_the_demo_quarters_are_named_after_its_april_fiscal_year(tiny_nightly):
    ceo = tiny_nightly.truth["planted"]["ceo_quarter_end_intervention"]

    # Oct-Dec 2025 is the third quarter of the fiscal year that began in April 2025.
    assert ceo["quarters"] == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    scorecard = "select distinct quarter_label from marts.team_scorecard"
    labels = {label for (label,) in tiny_nightly.query(scorecard)}
    assert set(ceo["quarters"]) <= labels


def test_the_default_as_of_is_today_in_the_org_time_zone_the_last_publish_recorded(
    tmp_path, monkeypatch
):
    """Unset TRUSTGAP_TIMEZONE: "today" is the org's day, not UTC's. Kiritimati (UTC+14)
    and Pago Pago (UTC-11) are always on different dates, so the test cannot pass by luck."""
    from zoneinfo import ZoneInfo

    from pipelines.resources import RunParams

    published = tmp_path / "trustgap.duckdb"
    with duckdb.connect(str(published)) as con:
        calendar.record_calendar(
            con, Calendar(timezone="Pacific/Kiritimati", timezone_source="crm")
        )
    monkeypatch.delenv("TRUSTGAP_TIMEZONE", raising=False)
    org_day = RunParams().as_of_date(published)
    assert org_day == dt.datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    # No publish yet: UTC, as before.
    assert RunParams().as_of_date(tmp_path / "none.duckdb") == dt.datetime.now(dt.UTC).date()
    # A configured zone wins over the org's.
    monkeypatch.setenv("TRUSTGAP_TIMEZONE", "Pacific/Pago_Pago")
    configured_day = RunParams().as_of_date(published)
    assert configured_day == dt.datetime.now(ZoneInfo("Pacific/Pago_Pago")).date()
    assert configured_day != org_day


def test_trustgap_timezone_applies_to_a_run_whose_config_left_the_zone_empty(monkeypatch):
    """The CLI's run config sets as_of and full_refresh only, and a run config replaces
    the resource's values: the setting must still win over the CRM's zone."""
    from pipelines.resources import RunParams

    monkeypatch.setenv("TRUSTGAP_TIMEZONE", "Europe/Paris")
    assert RunParams(as_of="2026-11-27").configured_timezone() == "Europe/Paris"
    assert RunParams(timezone="Asia/Tokyo").configured_timezone() == "Asia/Tokyo"
    monkeypatch.delenv("TRUSTGAP_TIMEZONE")
    assert RunParams(as_of="2026-11-27").configured_timezone() == ""
