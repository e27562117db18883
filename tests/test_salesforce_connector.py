"""The Salesforce connector's full syncs, through the real simple-salesforce, against the fake."""

import math

import duckdb
import pytest

from connectors.errors import ConfigurationError, SyncFailed
from connectors.salesforce.client import connect
from connectors.salesforce.object_sync import SalesforceSync
from connectors.salesforce.objects import OBJECTS, OBJECTS_BY_NAME
from connectors.salesforce.settings import SalesforceSettings, SyncOptions
from demo.fake_salesforce import Response
from demo.fake_salesforce.errors import error_body
from tests.salesforce_org import LOADED_AT, TOKEN, fake_org, land, opportunity, org, settings


@pytest.mark.parametrize("rows", [0, 1, 2000, 2001, 4500])
def test_paging_lands_every_row_exactly_once_at_one_request_per_page(rows):
    with fake_org(org(rows)) as fake:
        con, results = land(fake, ["Opportunity"])
        counts = dict(fake.request_counts)
    total, distinct = con.execute(
        "select count(*), count(distinct Id) from raw_salesforce.opportunity"
    ).fetchone()
    assert (total, distinct) == (rows, rows)
    pages = max(1, math.ceil(rows / 2000))
    assert results["Opportunity"].pages == pages
    # API economy: the org's id and object list, the object's describe and
    # COUNT(), then exactly one call per page.
    assert counts == {
        "query": 1,  # SELECT Id FROM Organization
        "sobjects": 1,
        "describe": 1,
        "queryAll": 2,  # COUNT() and the first page
        **({"query_more": pages - 1} if pages > 1 else {}),
    }


def test_rows_sharing_one_timestamp_across_a_page_boundary_are_all_landed():
    stamp = "2026-01-05T10:00:00.000+0000"
    rows = [opportunity(i, SystemModstamp=stamp) for i in range(1990, 2010)]
    rows += [opportunity(i) for i in range(1990)]
    with fake_org(org(0, Opportunity=rows)) as fake:
        con, results = land(fake, ["Opportunity"])
    assert results["Opportunity"].pages == 2
    assert con.execute(
        "select count(distinct Id) from raw_salesforce.opportunity where SystemModstamp = ?",
        [stamp],
    ).fetchone() == (20,)
    assert results["Opportunity"].watermark == stamp


def test_values_keep_their_types_and_text_survives_unicode():
    name = "Société Générale – Ωmega 🚀"
    records = org(0, Opportunity=[opportunity(1, Name=name, Amount=None, IsWon=True)])
    with fake_org(records) as fake:
        con, _ = land(fake, ["Opportunity"])
    row = con.execute(
        "select Name, Amount, IsWon, CloseDate, _loaded_at from raw_salesforce.opportunity"
    ).fetchone()
    assert row == (name, None, True, "2026-12-31", LOADED_AT)


def test_recycle_bin_rows_arrive_flagged_not_dropped():
    records = org(0, Opportunity=[opportunity(1), opportunity(2, IsDeleted=True)])
    with fake_org(records) as fake:
        con, _ = land(fake, ["Opportunity"])
    assert con.execute(
        "select Id, IsDeleted from raw_salesforce.opportunity order by Id"
    ).fetchall() == [("006000000000000001", False), ("006000000000000002", True)]


def test_missing_optional_object_lands_an_empty_table_with_a_warning():
    records = org(3)
    del records["OpportunityFieldHistory"]
    with fake_org(records) as fake:
        con, results = land(fake)
    result = results["OpportunityFieldHistory"]
    assert (result.rows, result.status) == (0, "unavailable")
    assert "not available" in result.warning and "null" in result.warning
    assert con.execute("select count(*) from raw_salesforce.opportunity_field_history").fetchone()
    assert con.execute("select count(*) from raw_salesforce.opportunity").fetchone() == (3,)
    assert con.execute(
        "select status, message like '%not available%' from sync_state.salesforce_objects "
        "where object = 'OpportunityFieldHistory'"
    ).fetchone() == ("unavailable", True)


def test_a_missing_required_object_fails_clearly():
    records = org(3)
    del records["User"]
    with fake_org(records) as fake, pytest.raises(Exception, match="User is not available"):
        land(fake, ["User"])


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
    with fake_org(org(1, OpportunityFieldHistory=history)) as fake:
        con, _ = land(fake, ["OpportunityFieldHistory"])
    assert con.execute(
        "select OldValue, NewValue from raw_salesforce.opportunity_field_history"
    ).fetchone() == ("1000.5", "2000")


def test_reference_objects_are_replaced_whole_each_run():
    users = [{"Id": f"005{i:015d}", "Name": f"U{i}", "IsActive": True} for i in range(3)]
    with fake_org(org(0, User=users)) as fake:
        con, first = land(fake, ["User"])
        fake.set_records("User", users[:2])
        land(fake, ["User"], con)
    assert first["User"].mode == "replace"
    assert con.execute("select count(*) from raw_salesforce.user").fetchone() == (2,)


def test_every_catalog_object_lands_from_one_full_org():
    records = org(5)
    with fake_org(records) as fake:
        _, results = land(fake)
    assert set(results) == {obj.name for obj in OBJECTS}
    assert all(r.status == "synced" for r in results.values())


def test_custom_fields_land_only_when_configured():
    rows = [opportunity(i, Region__c="EMEA", Score__c=float(i)) for i in range(3)]
    with fake_org(org(0, Opportunity=rows)) as fake:
        _, plain = land(fake, ["Opportunity"])
        con2, chosen = land(
            fake, ["Opportunity"], custom_fields=("Opportunity.Region__c", "Opportunity.Nope__c")
        )
        con3, everything = land(fake, ["Opportunity"], custom_fields=("all",))
    assert plain["Opportunity"].custom_fields == []
    assert chosen["Opportunity"].custom_fields == ["Region__c"]
    assert "Nope__c" in chosen["Opportunity"].warning
    assert con2.execute("select distinct Region__c from raw_salesforce.opportunity").fetchall() == [
        ("EMEA",)
    ]
    assert sorted(everything["Opportunity"].custom_fields) == ["Region__c", "Score__c"]
    assert con3.execute(
        "select data_type from information_schema.columns where column_name = 'Score__c'"
    ).fetchone() == ("DOUBLE",)


def test_catalog_fields_the_org_lacks_land_as_null_with_a_warning():
    rows = [{k: v for k, v in opportunity(i).items() if k != "NextStep"} for i in range(2)]
    with fake_org(org(0, Opportunity=rows)) as fake:
        fake.drop_field("Opportunity", "NextStep")
        con, results = land(fake, ["Opportunity"])
    assert results["Opportunity"].missing_fields == ["NextStep"]
    assert con.execute("select count(NextStep) from raw_salesforce.opportunity").fetchone() == (0,)


def test_settings_name_what_is_missing_and_never_print_the_token():
    with pytest.raises(ConfigurationError) as caught:
        SalesforceSettings.from_env({"SALESFORCE_INSTANCE_URL": "https://x.my.salesforce.com"})
    assert "SALESFORCE_ACCESS_TOKEN" in str(caught.value)
    parsed = SalesforceSettings.from_env(
        {"SALESFORCE_INSTANCE_URL": "http://127.0.0.1:9/", "SALESFORCE_ACCESS_TOKEN": TOKEN}
    )
    assert parsed.instance_url == "http://127.0.0.1:9"
    assert parsed.auth_method == "token"
    assert TOKEN not in repr(parsed)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "SALESFORCE_INSTANCE_URL"),
        ({"SALESFORCE_USERNAME": "u@x.com"}, "SALESFORCE_PASSWORD"),
        ({"SALESFORCE_USERNAME": "u@x.com", "SALESFORCE_PASSWORD": "p"}, "SECURITY_TOKEN"),
        ({"SALESFORCE_CONSUMER_KEY": "k"}, "SALESFORCE_USERNAME"),
        (
            {
                "SALESFORCE_CONSUMER_KEY": "k",
                "SALESFORCE_USERNAME": "u",
                "SALESFORCE_PRIVATE_KEY_FILE": "/nonexistent.pem",
            },
            "SALESFORCE_PRIVATE_KEY_FILE",
        ),
        (
            {"SALESFORCE_INSTANCE_URL": "https://x", "SALESFORCE_ACCESS_TOKEN": "t"}
            | {"SALESFORCE_BATCH_SIZE": "50"},
            "SALESFORCE_BATCH_SIZE",
        ),
    ],
)
def test_each_misconfiguration_names_its_setting(env, named):
    with pytest.raises(ConfigurationError, match=named):
        SalesforceSettings.from_env(env)


def test_sync_options_read_bulk_overlap_and_custom_fields():
    parsed = SyncOptions.from_env(
        {
            "SALESFORCE_BULK_THRESHOLD": "0",
            "SALESFORCE_OVERLAP_MINUTES": "3",
            "SALESFORCE_CUSTOM_FIELDS": "Opportunity.Region__c, Task.*",
        }
    )
    assert parsed.bulk_threshold == 0
    assert parsed.overlap.total_seconds() == 180
    assert parsed.wants_custom("Task", "Anything__c")
    assert parsed.wants_custom("opportunity", "region__c")
    assert not parsed.wants_custom("Event", "Region__c")
    with pytest.raises(ConfigurationError, match="SALESFORCE_CUSTOM_FIELDS"):
        SyncOptions.from_env({"SALESFORCE_CUSTOM_FIELDS": "Region__c"})


def test_one_object_sync_on_its_own_needs_no_org_check():
    with fake_org(org(3)) as fake:
        sync = SalesforceSync(connect(settings(fake)))
        result = sync.sync_object(
            duckdb.connect(), OBJECTS_BY_NAME["Opportunity"], loaded_at=LOADED_AT
        )
    assert (result.rows, result.mode) == (3, "full")


def test_an_optional_object_refused_at_query_time_lands_empty_with_a_warning():
    def refuse_contact_roles(request, call_next):
        if "FROM OpportunityContactRole" in request.params.get("q", ""):
            return Response(
                400,
                error_body(
                    "INVALID_TYPE", "sObject type 'OpportunityContactRole' is not supported"
                ),
            )
        return call_next(request)

    with fake_org(org(2)) as fake:
        fake.add_fault(refuse_contact_roles)
        con, results = land(fake, ["OpportunityContactRole", "Opportunity"])
    assert results["OpportunityContactRole"].status == "unavailable"
    assert "INVALID_TYPE" in results["OpportunityContactRole"].warning
    assert con.execute(
        "select count(*) from raw_salesforce.opportunity_contact_role"
    ).fetchone() == (0,)
    assert results["Opportunity"].rows == 2


@pytest.mark.parametrize(
    "entry",
    ["Opportunity.Region__c FROM User --", "Opportunity.Region__c,Id) FROM User", "Opp ty.*"],
)
def test_a_custom_field_setting_that_is_no_api_name_is_refused_before_any_query(entry):
    """(#15 also seen) SALESFORCE_CUSTOM_FIELDS entries reach SOQL: API names only."""
    with pytest.raises(ConfigurationError, match="SALESFORCE_CUSTOM_FIELDS") as caught:
        SyncOptions.from_env({"SALESFORCE_CUSTOM_FIELDS": entry})
    assert "FROM User" not in str(caught.value)


def test_a_described_custom_field_that_is_no_api_name_never_reaches_soql():
    rows = [opportunity(0, **{"Region__c": "EMEA", "Id FROM User WHERE Name != null__c": "x"})]
    with fake_org(org(0, Opportunity=rows)) as fake, pytest.raises(SyncFailed) as caught:
        land(fake, ["Opportunity"], custom_fields=("all",))
    assert "whose name is not an API name" in str(caught.value.failures[0])
