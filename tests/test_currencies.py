"""Multiple currencies: landed from both fakes with the real SDKs, converted by dbt.

The tiny demo org is multi-currency (corporate USD, EUR and GBP accounts, dated
rates changing four times); `multi_currency=False` makes it a single-currency org
that must give exactly today's behaviour. Both CRMs go through their fake API and
the real connector into one warehouse, and dbt builds fct_deals.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from connectors.errors import Secret
from connectors.hubspot.client import HubSpotApi, HubSpotConnection
from connectors.hubspot.ratelimit import RateLimits
from connectors.hubspot.settings import HubSpotSettings
from connectors.hubspot.sync import sync_hubspot
from connectors.salesforce.sync import table_report
from demo.fake_hubspot import UNLIMITED, FakeHubSpot
from demo.org.generator import generate_org
from demo.org.hubspot import render_hubspot
from tests.conftest import DEMO_AS_OF
from tests.salesforce_org import LOADED_AT, fake_org, land

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
HUBSPOT_TOKEN = "currency-token"
AS_OF = dt.date.fromisoformat(DEMO_AS_OF)


def _build(tmp: Path, *, multi_currency: bool):
    """The tiny org through both fakes into one warehouse, then dbt up to fct_deals."""
    org = generate_org("tiny", seed=7, as_of=AS_OF, multi_currency=multi_currency)
    rendering = render_hubspot(org)
    path = tmp / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    with fake_org(org.salesforce) as fake:
        _, results = land(fake, con=con)
    with FakeHubSpot(rendering.portal, HUBSPOT_TOKEN, rate_limits=UNLIMITED) as fake:
        settings = HubSpotSettings(
            Secret(HUBSPOT_TOKEN),
            fake.base_url,
            RateLimits(requests=100_000, search_per_second=1000),
        )
        list(sync_hubspot(HubSpotConnection(HubSpotApi(settings)), con, loaded_at=LOADED_AT))
    con.close()
    env = {
        **os.environ,
        "TRUSTGAP_WORKING_DB": str(path),
        "TRUSTGAP_ORG_CHART": str(rendering.write_org_chart(tmp / "org_chart.csv")),
        "DBT_TARGET_PATH": str(tmp / "target"),
    }
    env.pop("TRUSTGAP_TEAM_MANAGERS", None)
    dbt = str(Path(sys.executable).with_name("dbt"))
    for args in (["seed"], ["run", "--vars", f'{{"as_of": "{DEMO_AS_OF}"}}', "-s", "+fct_deals"]):
        done = subprocess.run(
            [dbt, *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
             str(DBT_PROJECT_DIR), "--target-path", env["DBT_TARGET_PATH"]],
            env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-4000:]
    return org, results, duckdb.connect(str(path), read_only=True)


@pytest.fixture(scope="module")
def multi(tmp_path_factory):
    org, results, con = _build(tmp_path_factory.mktemp("multi"), multi_currency=True)
    yield org, results, con
    con.close()


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    org, results, con = _build(tmp_path_factory.mktemp("single"), multi_currency=False)
    yield org, results, con
    con.close()


def test_multi_currency_org_lands_deal_currencies_and_both_rate_objects(multi):
    org, results, con = multi
    per_currency = dict(
        con.execute(
            "select CurrencyIsoCode, count(*) from raw_salesforce.opportunity group by 1"
        ).fetchall()
    )
    assert per_currency == org.truth["currencies"]["deals_per_currency"]
    assert per_currency == {"EUR": 112, "GBP": 45, "USD": 243}
    assert con.execute(
        "select IsoCode, ConversionRate, IsActive from raw_salesforce.currency_type "
        "where IsCorporate"
    ).fetchall() == [("USD", 1.0, True)]
    assert con.execute("select count(*) from raw_salesforce.currency_type").fetchall() == [(4,)]
    ranges = con.execute(
        "select IsoCode, min(StartDate), max(NextStartDate), count(*) "
        "from raw_salesforce.dated_conversion_rate group by 1 order by 1"
    ).fetchall()
    assert ranges == [
        ("CAD", "0001-01-01", "9999-12-31", 5),
        ("EUR", "0001-01-01", "9999-12-31", 5),
        ("GBP", "0001-01-01", "9999-12-31", 5),
    ]
    assert not results["CurrencyType"].warnings
    assert not results["Opportunity"].notes and not results["Opportunity"].missing_fields


def test_single_currency_org_lands_no_currency_and_the_report_says_so(single):
    _, results, con = single
    assert con.execute(
        "select count(*), count(CurrencyIsoCode) from raw_salesforce.opportunity"
    ).fetchall() == [(400, 0)]
    for name, table in (
        ("CurrencyType", "currency_type"),
        ("DatedConversionRate", "dated_conversion_rate"),
    ):
        assert con.execute(f"select count(*) from raw_salesforce.{table}").fetchall() == [(0,)]
        assert results[name].status == "unavailable"
        (warning,) = results[name].warnings
        assert "single-currency org needs no rates" in warning or "CurrencyType rates" in warning
    # a missing feature field is reported, not warned about
    assert results["Opportunity"].missing_fields == []
    assert results["Opportunity"].notes == [
        "single-currency org (no CurrencyIsoCode): amounts are taken as entered"
    ]
    assert (
        table_report(results["Opportunity"], None)
        .details["notes"]
        .startswith("single-currency org")
    )
    assert not results["Opportunity"].warnings


def test_salesforce_amounts_convert_with_the_close_dates_dated_rate(multi):
    """Every Salesforce deal's amount is the demo's own conversion of its amount."""
    org, _, con = multi
    currencies = org.currencies
    expected = {
        deal["Id"]: currencies.corporate_amount(
            deal["CurrencyIsoCode"], deal["Amount"], deal["CloseDate"]
        )
        for deal in org.salesforce["Opportunity"]
    }
    landed = dict(
        con.execute(
            "select deal_id, amount from intermediate.int_deals_screened "
            "where source = 'salesforce'"
        ).fetchall()
    )
    assert landed == expected
    # the planted truth's corporate open and won value
    truth = org.truth["currencies"]
    values = con.execute(
        "select round(sum(amount) filter (where not is_closed), 2), "
        "round(sum(amount) filter (where is_won), 2) from intermediate.int_deals_screened "
        "where source = 'salesforce' and amount >= 0"
    ).fetchall()
    assert values == [(truth["open_value_corporate"], truth["won_value_corporate"])]
    # the rates really differ by date: a deal's rate is not its currency's static rate
    moved = [
        d for d in org.salesforce["Opportunity"]
        if d["CurrencyIsoCode"] != "USD"
        and currencies.rate(d["CurrencyIsoCode"], d["CloseDate"])
        != currencies.static[d["CurrencyIsoCode"]]
    ]  # fmt: skip
    assert len(moved) > 50


def test_both_crms_give_identical_corporate_currency_deals(multi):
    _, _, con = multi
    rows = con.execute(
        "select source, currency_code, round(amount, 2), amount_original, is_closed, is_won "
        "from marts.fct_deals order by all"
    ).fetchall()
    salesforce = sorted((r[1:] for r in rows if r[0] == "salesforce"), key=repr)
    hubspot = sorted((r[1:] for r in rows if r[0] == "hubspot"), key=repr)
    assert salesforce == hubspot
    assert {r[0] for r in salesforce} == {"EUR", "GBP", "USD"}
    totals = con.execute(
        "select source, round(sum(amount) filter (where not is_closed), 2), "
        "round(sum(amount) filter (where is_won), 2) from marts.fct_deals "
        "where amount >= 0 group by 1 order by 1"
    ).fetchall()
    assert totals[0][1:] == totals[1][1:]
    # euros are not added to dollars: the corporate total differs from the entered one
    entered = con.execute(
        "select sum(amount_original) from marts.fct_deals where source = 'salesforce' "
        "and amount >= 0 and not is_closed"
    ).fetchall()[0][0]
    assert totals[1][1] != round(entered, 2)


def test_amount_history_converts_with_the_deals_rate_in_both_crms(multi):
    _, _, con = multi
    changes = con.execute(
        "select source, count(*), sum(try_cast(new_value as double)) from "
        "intermediate.int_deal_changes where field = 'amount' group by 1 order by 1"
    ).fetchall()
    (_, hs_count, hs_sum), (_, sf_count, sf_sum) = changes
    assert hs_count == sf_count > 0
    assert round(hs_sum, 2) == round(sf_sum, 2)
    # a EUR deal's history is in dollars: its last change is its converted amount
    eur = con.execute(
        """
        select deals.amount, changes.new_value
        from intermediate.int_deals_screened as deals
        join intermediate.int_deal_changes as changes using (deal_id)
        where deals.source = 'salesforce' and deals.currency_code = 'EUR'
          and changes.field = 'amount'
        qualify row_number() over (partition by deal_id order by changed_at desc) = 1
        """
    ).fetchall()
    matching = [a for a, v in eur if a is not None and f"{a:.2f}" == v]
    assert len(matching) >= len(eur) - 3 and matching


def test_single_currency_org_keeps_todays_amounts(single):
    org, _, con = single
    entered = {d["Id"]: d["Amount"] for d in org.salesforce["Opportunity"]}
    rows = con.execute(
        "select deal_id, amount, amount_original, currency_code from "
        "intermediate.int_deals_screened where source = 'salesforce'"
    ).fetchall()
    assert {deal: amount for deal, amount, _, _ in rows} == entered
    assert all(original == amount or amount is None for _, amount, original, _ in rows)
    assert {code for *_, code in rows} == {None}
    # history amounts exactly as Salesforce sent them
    raw = set(
        con.execute(
            "select Id, NewValue from raw_salesforce.opportunity_field_history "
            "where Field = 'Amount'"
        ).fetchall()
    )
    canonical = set(
        con.execute(
            "select change_id, new_value from intermediate.int_deal_changes "
            "where source = 'salesforce' and field = 'amount'"
        ).fetchall()
    )
    assert canonical == raw
    reasons = con.execute(
        "select distinct problem.reason from (select unnest(quarantine_problems) as problem "
        "from intermediate.int_deals_screened)"
    ).fetchall()
    assert reasons and ("unknown_currency",) not in reasons


def test_single_currency_hubspot_portal_matches_salesforce(single):
    _, _, con = single
    rows = con.execute(
        "select source, currency_code, amount, amount_original from marts.fct_deals"
    ).fetchall()
    salesforce = sorted((r[1:] for r in rows if r[0] == "salesforce"), key=repr)
    hubspot = sorted((r[1:] for r in rows if r[0] == "hubspot"), key=repr)
    assert salesforce == hubspot and salesforce


def test_turning_currencies_off_changes_no_other_row_of_the_demo_org():
    """Currencies draw from their own random stream: the rest of the org is the same."""
    multi = generate_org("tiny", seed=7, as_of=AS_OF)
    single = generate_org("tiny", seed=7, as_of=AS_OF, multi_currency=False)
    assert set(multi.tables) - set(single.tables) == {"CurrencyType", "DatedConversionRate"}
    column = single.tables["Opportunity"].fields.index("CurrencyIsoCode")

    def without_currency(name: str, row: tuple) -> tuple:
        return row[:column] + row[column + 1 :] if name == "Opportunity" else row

    for name, table in single.tables.items():
        assert [without_currency(name, r) for r in multi.tables[name].rows] == [
            without_currency(name, r) for r in table.rows
        ], name
    assert {row[column] for row in single.tables["Opportunity"].rows} == {None}


def test_dated_rates_cover_all_time_in_consecutive_ranges():
    org = generate_org("tiny", seed=7, as_of=AS_OF)
    by_code: dict[str, list[dict]] = {}
    for row in org.salesforce["DatedConversionRate"]:
        by_code.setdefault(row["IsoCode"], []).append(row)
    assert set(by_code) == {"EUR", "GBP", "CAD"}
    for code, ranges in by_code.items():
        ranges.sort(key=lambda r: r["StartDate"])
        assert ranges[0]["StartDate"] == "0001-01-01"
        assert ranges[-1]["NextStartDate"] == "9999-12-31"
        for earlier, later in itertools.pairwise(ranges):
            assert earlier["NextStartDate"] == later["StartDate"], code
        # the rate changes inside the two years of history, and stays near the static one
        static = org.currencies.static[code]
        assert len({r["ConversionRate"] for r in ranges}) == 5
        assert all(abs(r["ConversionRate"] / static - 1) <= 0.04 for r in ranges)
    rate = org.currencies.rate
    first_change = by_code["EUR"][1]["StartDate"]
    day_before = (dt.date.fromisoformat(first_change) - dt.timedelta(days=1)).isoformat()
    assert rate("EUR", day_before) == by_code["EUR"][0]["ConversionRate"]
    assert rate("EUR", first_change) == by_code["EUR"][1]["ConversionRate"]
    assert rate("EUR", None) == org.currencies.static["EUR"]


def test_an_upgraded_salesforce_warehouse_rereads_opportunities_for_their_currency():
    """A table landed before CurrencyIsoCode was in the catalog would keep it null on
    every deal the incremental window skips, and those deals would add euros to dollars."""
    org = generate_org("tiny", seed=7, as_of=AS_OF)
    with fake_org(org.salesforce) as fake:
        con, _ = land(fake, ["Opportunity"])
        con.execute("alter table raw_salesforce.opportunity drop column CurrencyIsoCode")
        fake.advance(3600)
        _, results = land(fake, ["Opportunity"], con=con)
    assert results["Opportunity"].mode == "full"
    (warning,) = results["Opportunity"].warnings
    assert "CurrencyIsoCode" in warning and "re-read in full" in warning
    assert con.execute(
        "select count(*), count(CurrencyIsoCode) from raw_salesforce.opportunity"
    ).fetchall() == [(400, 400)]


def test_an_upgraded_hubspot_warehouse_rereads_deals_for_their_currency():
    rendering = render_hubspot(generate_org("tiny", seed=7, as_of=AS_OF))
    con = duckdb.connect()
    with FakeHubSpot(rendering.portal, HUBSPOT_TOKEN, rate_limits=UNLIMITED) as fake:
        settings = HubSpotSettings(
            Secret(HUBSPOT_TOKEN),
            fake.base_url,
            RateLimits(requests=100_000, search_per_second=1000),
        )
        connection = HubSpotConnection(HubSpotApi(settings))
        list(sync_hubspot(connection, con, loaded_at=LOADED_AT))
        con.execute("alter table raw_hubspot.deals drop column deal_currency_code")
        reports = {r.table: r for r in sync_hubspot(connection, con, loaded_at=LOADED_AT)}
    assert reports["deals"].mode == "full"
    assert any("deal_currency_code" in w for w in reports["deals"].warnings)
    assert con.execute(
        "select count(*), count(deal_currency_code), count(amount_in_home_currency) "
        "from raw_hubspot.deals"
    ).fetchall() == [(400, 400, 399)]
