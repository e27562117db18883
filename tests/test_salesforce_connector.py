"""The Salesforce connector, through the real simple-salesforce, against the fake API."""

import datetime as dt
import math

import duckdb
import pytest

from connectors.errors import CrmAuthError, CrmRequestError, Secret
from connectors.fake_salesforce import FakeSalesforce
from connectors.salesforce.client import SalesforceSettings, connect
from connectors.salesforce.objects import OBJECTS, OBJECTS_BY_NAME
from connectors.salesforce.sync import SalesforceSync, sync_salesforce

TOKEN = "00Dxx0000001gPL!AQ4AQFake.Token.Value"
LOADED_AT = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)


def opportunity(i: int, **overrides) -> dict:
    record = {
        "Id": f"006{i:015d}",
        "Name": f"Deal {i}",
        "OwnerId": "005000000000000001",
        "StageName": "Prospecting",
        "Amount": 1000.0 + i,
        "CloseDate": "2026-12-31",
        "IsClosed": False,
        "IsWon": False,
        "IsDeleted": False,
        "CreatedDate": "2026-01-01T00:00:00.000+0000",
        # Many rows share one timestamp: ordering must still be total (by Id).
        "SystemModstamp": f"2026-01-{1 + i // 1500:02d}T00:00:00.000+0000",
    }
    record.update(overrides)
    return record


def org(opportunities: int, **extra) -> dict:
    records = {obj.name: [] for obj in OBJECTS}
    records["Opportunity"] = [opportunity(i) for i in range(opportunities)]
    records.update(extra)
    return records


def land(fake: FakeSalesforce, names=None, token=TOKEN):
    sf = connect(SalesforceSettings(fake.instance_url, Secret(token)))
    con = duckdb.connect()
    objects = [OBJECTS_BY_NAME[n] for n in names] if names else OBJECTS
    results = sync_salesforce(sf, con, objects=objects, loaded_at=LOADED_AT)
    return con, {r.object_name: r for r in results}


@pytest.mark.parametrize("rows", [0, 1, 2000, 2001, 4500])
def test_paging_lands_every_row_exactly_once(rows):
    with FakeSalesforce(records=org(rows), access_token=TOKEN) as fake:
        con, results = land(fake, ["Opportunity"])
        counts = dict(fake.request_counts)
    total, distinct = con.execute(
        "select count(*), count(distinct Id) from raw_salesforce.opportunity"
    ).fetchone()
    assert (total, distinct) == (rows, rows)
    assert results["Opportunity"].pages == max(1, math.ceil(rows / 2000))
    # API economy: one describe of the org, one of the object, then one call per page.
    assert counts == {
        "sobjects": 1,
        "describe": 1,
        "queryAll": 1,
        **({"query_more": math.ceil(rows / 2000) - 1} if rows > 2000 else {}),
    }


def test_values_keep_their_types_and_text_survives_unicode():
    name = "Société Générale – Ωmega 🚀"
    records = org(0, Opportunity=[opportunity(1, Name=name, Amount=None, IsWon=True)])
    with FakeSalesforce(records=records, access_token=TOKEN) as fake:
        con, _ = land(fake, ["Opportunity"])
    row = con.execute(
        "select Name, Amount, IsWon, CloseDate, _loaded_at from raw_salesforce.opportunity"
    ).fetchone()
    assert row == (name, None, True, "2026-12-31", LOADED_AT)


def test_deleted_rows_arrive_flagged_not_dropped():
    records = org(0, Opportunity=[opportunity(1), opportunity(2, IsDeleted=True)])
    with FakeSalesforce(records=records, access_token=TOKEN) as fake:
        con, _ = land(fake, ["Opportunity"])
    assert con.execute(
        "select Id, IsDeleted from raw_salesforce.opportunity order by Id"
    ).fetchall() == [("006000000000000001", False), ("006000000000000002", True)]


def test_missing_optional_object_lands_an_empty_table_with_a_warning():
    records = org(3)
    del records["OpportunityFieldHistory"]
    with FakeSalesforce(records=records, access_token=TOKEN) as fake:
        con, results = land(fake)
    result = results["OpportunityFieldHistory"]
    assert result.rows == 0
    assert "not available" in result.warning
    assert con.execute("select count(*) from raw_salesforce.opportunity_field_history").fetchone()
    assert con.execute("select count(*) from raw_salesforce.opportunity").fetchone() == (3,)


def test_field_history_any_type_values_land_as_text():
    history = [
        {
            "Id": "017000000000000001",
            "OpportunityId": "006000000000000001",
            "Field": "Amount",
            "DataType": "Currency",
            "OldValue": 1000.5,
            "NewValue": 2000,
            "CreatedById": "005000000000000001",
            "CreatedDate": "2026-02-01T10:00:00.000+0000",
            "IsDeleted": False,
        }
    ]
    with FakeSalesforce(records=org(1, OpportunityFieldHistory=history), access_token=TOKEN) as f:
        con, _ = land(f, ["OpportunityFieldHistory"])
    assert con.execute(
        "select OldValue, NewValue from raw_salesforce.opportunity_field_history"
    ).fetchone() == ("1000.5", "2000")


def test_expired_token_fails_clearly_without_revealing_it():
    with FakeSalesforce(records=org(1), access_token=TOKEN) as fake:
        sf = connect(SalesforceSettings(fake.instance_url, Secret("stale-" + TOKEN)))
        with pytest.raises(CrmAuthError) as caught:
            SalesforceSync(sf).sync_object(
                duckdb.connect(), OBJECTS_BY_NAME["Opportunity"], loaded_at=LOADED_AT
            )
    message = str(caught.value)
    assert "SALESFORCE_ACCESS_TOKEN" in message
    assert TOKEN not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_failed_sync_keeps_the_previous_table():
    with FakeSalesforce(records=org(2500), access_token=TOKEN) as fake:
        con, _ = land(fake, ["Opportunity"])
        fake.fail_next(n=10, status=500, kinds={"query_more"})
        sf = connect(SalesforceSettings(fake.instance_url, Secret(TOKEN)), retries=1)
        with pytest.raises(CrmRequestError):
            SalesforceSync(sf).sync_object(con, OBJECTS_BY_NAME["Opportunity"], loaded_at=LOADED_AT)
    assert con.execute("select count(*) from raw_salesforce.opportunity").fetchone() == (2500,)


def test_settings_name_what_is_missing_and_never_print_the_token():
    with pytest.raises(Exception) as caught:
        SalesforceSettings.from_env({"SALESFORCE_INSTANCE_URL": "https://x.my.salesforce.com"})
    assert "SALESFORCE_ACCESS_TOKEN" in str(caught.value)
    settings = SalesforceSettings.from_env(
        {"SALESFORCE_INSTANCE_URL": "http://127.0.0.1:9/", "SALESFORCE_ACCESS_TOKEN": TOKEN}
    )
    assert settings.instance_url == "http://127.0.0.1:9"
    assert TOKEN not in repr(settings)
