"""The fake Salesforce API speaks the real wire format to the real simple-salesforce client."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from connectors.salesforce.objects import OBJECTS_BY_NAME
from connectors.salesforce.session import build_session, default_retry
from demo.fake_salesforce import FakeSalesforce, soql
from demo.fake_salesforce.schema import ObjectSchema

TOKEN = "demo-token"
START = datetime(2026, 1, 1, tzinfo=UTC)


def sf_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def opportunity(i: int, **overrides) -> dict:
    """One Opportunity with every catalog field; three rows share each SystemModstamp."""
    record = {
        "Id": f"006{i:015d}",
        "Name": f"Deal {i}",
        "AccountId": f"001{i % 7:015d}",
        "OwnerId": f"005{i % 5:015d}",
        "StageName": ("Prospecting", "Negotiation", "Closed Won")[i % 3],
        "Amount": 1000.0 + i,
        "CloseDate": "2026-03-31",
        "Probability": 10.0,
        "ForecastCategoryName": "Pipeline",
        "NextStep": None if i % 4 == 0 else "Call back",
        "IsClosed": i % 3 == 2,
        "IsWon": i % 3 == 2,
        "LastActivityDate": "2026-01-15",
        "CreatedDate": sf_datetime(START),
        "CreatedById": "005000000000000000",
        "LastModifiedById": "005000000000000001",
        "SystemModstamp": sf_datetime(START + timedelta(hours=i // 3)),
        "IsDeleted": False,
    }
    record.update(overrides)
    return record


def opportunities(n: int, *, deleted_every: int = 0) -> list[dict]:
    """``n`` Opportunities in shuffled order, so only ORDER BY can sort them."""
    rows = [
        opportunity(i, IsDeleted=bool(deleted_every) and i % deleted_every == 0) for i in range(n)
    ]
    random.Random(n).shuffle(rows)
    return rows


def ids(records) -> list[str]:
    return [r["Id"] for r in records]


@pytest.fixture
def fake():
    with FakeSalesforce(records={"Opportunity": [], "User": []}, access_token=TOKEN) as server:
        yield server


def connect(fake: FakeSalesforce, token: str = TOKEN, **session_options) -> Salesforce:
    session = build_session(fake.instance_url, **session_options)
    return Salesforce(
        instance_url=fake.instance_url, session_id=token, version="59.0", session=session
    )


@pytest.fixture
def sf(fake):
    # No backoff sleeps in tests; retries still happen.
    return connect(fake, retries=default_retry(total=3, backoff_factor=0))


# -- paging ----------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2000, 2001, 4500])
def test_query_more_pages_return_every_row_exactly_once(fake, sf, n):
    fake.set_records("Opportunity", opportunities(n))

    page = sf.query("SELECT Id FROM Opportunity ORDER BY Id")
    pages = [page]
    while not page["done"]:
        page = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
        pages.append(page)

    assert [len(p["records"]) for p in pages] == [min(2000, n - k) for k in range(0, n or 1, 2000)]
    assert ids(r for p in pages for r in p["records"]) == sorted(ids(opportunities(n)))
    assert all(p["totalSize"] == n for p in pages)
    assert all("nextRecordsUrl" in p for p in pages[:-1])
    assert "nextRecordsUrl" not in pages[-1]


@pytest.mark.parametrize("n", [0, 1, 2000, 2001, 4500])
def test_query_all_collects_every_row_across_pages(fake, sf, n):
    fake.set_records("Opportunity", opportunities(n))

    result = sf.query_all("SELECT Id, Name FROM Opportunity")

    assert sorted(ids(result["records"])) == sorted(ids(opportunities(n)))
    assert fake.request_counts["query"] == 1
    assert fake.request_counts["query_more"] == max(math.ceil(n / 2000) - 1, 0)
    assert fake.total_requests == max(math.ceil(n / 2000), 1)


@pytest.mark.parametrize(("requested", "served"), [(500, 500), (50, 200), (5000, 2000)])
def test_batch_size_header_sets_the_page_size_within_salesforce_bounds(fake, sf, requested, served):
    fake.set_records("Opportunity", opportunities(2500))
    sf.session.headers["Sforce-Query-Options"] = f"batchSize={requested}"

    page = sf.query("SELECT Id FROM Opportunity")
    sizes = [len(page["records"])]
    while not page["done"]:
        page = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
        sizes.append(len(page["records"]))

    assert sizes == [min(served, 2500 - k) for k in range(0, 2500, served)]


def test_records_carry_attributes_and_only_the_selected_fields(fake, sf):
    fake.set_records("Opportunity", [opportunity(7)])

    record = sf.query("SELECT Id, Amount FROM Opportunity")["records"][0]

    assert record == {
        "attributes": {
            "type": "Opportunity",
            "url": "/services/data/v59.0/sobjects/Opportunity/006000000000000007",
        },
        "Id": "006000000000000007",
        "Amount": 1007.0,
    }


def test_query_all_cursors_page_under_the_query_all_path(fake, sf):
    fake.set_records("Opportunity", opportunities(2001))

    page = sf.query("SELECT Id FROM Opportunity", include_deleted=True)

    assert page["nextRecordsUrl"].startswith("/services/data/v59.0/queryAll/01g")
    assert fake.request_counts == {"queryAll": 1}


def test_cursor_serves_the_rows_snapshotted_when_the_query_ran(fake, sf):
    fake.set_records("Opportunity", opportunities(2500))
    first = sf.query("SELECT Id FROM Opportunity ORDER BY Id")

    fake.set_records("Opportunity", [opportunity(99_999)])
    rest = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)

    assert ids(first["records"] + rest["records"]) == sorted(ids(opportunities(2500)))


def test_last_page_can_be_fetched_again_by_a_retrying_client(fake, sf):
    fake.set_records("Opportunity", opportunities(2001))
    url = sf.query("SELECT Id FROM Opportunity")["nextRecordsUrl"]

    first = sf.query_more(url, identifier_is_url=True)
    again = sf.query_more(url, identifier_is_url=True)

    assert first == again
    assert len(again["records"]) == 1


def test_opening_an_eleventh_cursor_releases_the_oldest_as_in_a_real_org(fake, sf):
    fake.set_records("Opportunity", opportunities(2001))
    urls = [sf.query("SELECT Id FROM Opportunity")["nextRecordsUrl"] for _ in range(11)]

    with pytest.raises(SalesforceMalformedRequest) as error:
        sf.query_more(urls[0], identifier_is_url=True)

    assert error.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
    assert len(sf.query_more(urls[1], identifier_is_url=True)["records"]) == 1


def test_unknown_query_locator_is_rejected(sf):
    with pytest.raises(SalesforceMalformedRequest) as error:
        sf.query_more("/services/data/v59.0/query/01gFAKE00000000042-2000", identifier_is_url=True)

    assert error.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


# -- SOQL --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "literal",
    [
        "2026-01-02T05:00:00Z",
        "2026-01-02T05:00:00.000Z",
        "2026-01-02T05:00:00+0000",
        "2026-01-02T05:00:00+00:00",
        "2026-01-02T07:00:00+02:00",
        "2026-01-02T00:00:00-05:00",
    ],
)
def test_incremental_window_compares_datetimes_as_instants_and_orders_by_modstamp_then_id(
    fake, sf, literal
):
    rows = opportunities(300)
    fake.set_records("Opportunity", rows)
    watermark = datetime(2026, 1, 2, 5, tzinfo=UTC)

    result = sf.query_all(
        "SELECT Id, SystemModstamp FROM Opportunity "
        f"WHERE SystemModstamp >= {literal} ORDER BY SystemModstamp, Id"
    )

    expected = sorted(
        (r for r in rows if datetime.fromisoformat(r["SystemModstamp"]) >= watermark),
        key=lambda r: (r["SystemModstamp"], r["Id"]),
    )
    assert ids(result["records"]) == ids(expected)
    assert len(expected) == 300 - 29 * 3


def test_query_hides_deleted_rows_and_query_all_includes_them(fake, sf):
    fake.set_records("Opportunity", opportunities(100, deleted_every=4))

    live = sf.query_all("SELECT Id, IsDeleted FROM Opportunity")["records"]
    everything = sf.query_all("SELECT Id, IsDeleted FROM Opportunity", include_deleted=True)

    assert len(live) == 75
    assert not any(r["IsDeleted"] for r in live)
    assert len(everything["records"]) == 100
    assert sum(r["IsDeleted"] for r in everything["records"]) == 25


def test_count_returns_the_total_size_without_records(fake, sf):
    fake.set_records("Opportunity", opportunities(4500, deleted_every=10))

    result = sf.query("SELECT COUNT() FROM Opportunity WHERE StageName = 'Closed Won'")

    assert result == {"totalSize": 1350, "done": True, "records": []}


def test_keywords_and_names_are_case_insensitive_and_results_use_api_names(fake, sf):
    fake.set_records("Opportunity", [opportunity(1)])

    record = sf.query("select id, stagename from OPPORTUNITY where isclosed = FALSE")["records"][0]

    assert record["attributes"]["type"] == "Opportunity"
    assert list(record) == ["attributes", "Id", "StageName"]


def test_quoted_strings_in_lists_and_unicode_round_trip(fake, sf):
    names = ["O'Brien & Søn", "Ünïcødé ☃ 商談", "plain"]
    fake.set_records("Opportunity", [opportunity(i, Name=name) for i, name in enumerate(names)])

    result = sf.query(
        "SELECT Name FROM Opportunity WHERE Name IN ('o\\'brien & søn', 'Ünïcødé ☃ 商談')"
    )

    assert sorted(r["Name"] for r in result["records"]) == sorted(names[:2])


def test_unknown_field_is_an_invalid_field_error(sf):
    with pytest.raises(SalesforceMalformedRequest) as error:
        sf.query("SELECT Id, Revenue FROM Opportunity")

    assert error.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert "Revenue" in error.value.content[0]["message"]


def test_object_missing_from_the_org_is_an_invalid_type_error(sf):
    with pytest.raises(SalesforceMalformedRequest) as error:
        sf.query("SELECT Id FROM OpportunityFieldHistory")

    assert error.value.content[0]["errorCode"] == "INVALID_TYPE"


@pytest.mark.parametrize(
    "query",
    [
        "SELECT FROM Opportunity",
        "SELECT Id Opportunity",
        "SELECT Id FROM Opportunity WHERE",
        "SELECT Id FROM Opportunity WHERE Amount > 1 AND Amount < 5 OR IsWon = true",
        "SELECT Id FROM Opportunity WHERE Name = 'unterminated",
        "SELECT Id FROM Opportunity LIMIT ten",
        "SELECT Id FROM Opportunity GROUP BY Id",
    ],
)
def test_malformed_soql_is_a_malformed_query_error(sf, query):
    with pytest.raises(SalesforceMalformedRequest) as error:
        sf.query(query)

    assert error.value.content[0]["errorCode"] == "MALFORMED_QUERY"


def test_quoted_datetime_is_rejected_as_salesforce_does(sf):
    with pytest.raises(SalesforceMalformedRequest) as error:
        sf.query("SELECT Id FROM Opportunity WHERE SystemModstamp > '2026-01-01T00:00:00Z'")

    assert error.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert "should not be enclosed in quotes" in error.value.content[0]["message"]


def run_soql(text: str, rows: list[dict], *, include_deleted: bool = False) -> list[str]:
    schemas = {"Opportunity": ObjectSchema.from_records("Opportunity", rows)}
    return ids(soql.parse(text, schemas).run(rows, include_deleted=include_deleted))


def test_not_equal_and_not_in_match_nulls_as_in_soql():
    rows = [opportunity(i) for i in range(8)]  # NextStep is null for 0 and 4

    assert run_soql("SELECT Id FROM Opportunity WHERE NextStep != 'Call back'", rows) == ids(
        [rows[0], rows[4]]
    )
    assert run_soql(
        "SELECT Id FROM Opportunity WHERE NextStep NOT IN ('Call back') ORDER BY Id", rows
    ) == ids([rows[0], rows[4]])
    assert run_soql("SELECT Id FROM Opportunity WHERE NextStep = null", rows) == ids(
        [rows[0], rows[4]]
    )


def test_parenthesised_and_or_like_order_nulls_limit_and_offset():
    rows = [opportunity(i) for i in range(12)]

    result = run_soql(
        "SELECT Id FROM Opportunity WHERE (StageName LIKE 'neg%' OR Amount >= 1010) "
        "AND NOT IsWon = true ORDER BY NextStep DESC NULLS LAST, Id DESC LIMIT 3 OFFSET 1",
        rows,
    )

    # Negotiation (1, 4, 7, 10) or Amount >= 1010 (10, 11), minus won 11: NextStep is
    # set on 10, 7, 1 (then by Id desc) and null on 4, which sorts last; offset skips 10.
    assert result == ids([rows[7], rows[1], rows[4]])


def test_date_fields_take_unquoted_date_literals():
    rows = [opportunity(1, CloseDate="2026-02-01"), opportunity(2, CloseDate="2026-04-01")]

    assert run_soql("SELECT Id FROM Opportunity WHERE CloseDate < 2026-03-01", rows) == ids(
        rows[:1]
    )


# -- describe, limits, versions --------------------------------------------------


def test_describe_global_lists_objects_present_in_the_org_even_when_empty(sf):
    result = sf.describe()

    # Every org has its Organization row (who the org is).
    assert [o["name"] for o in result["sobjects"]] == ["Organization", "Opportunity", "User"]
    assert all(o["queryable"] for o in result["sobjects"])
    assert result["encoding"] == "UTF-8"


def test_describe_has_currency_iso_code_only_in_a_multi_currency_org(fake, sf):
    fake.set_records("Opportunity", opportunities(2))
    assert "CurrencyIsoCode" not in {f["name"] for f in sf.Opportunity.describe()["fields"]}
    fake.set_records("Opportunity", [{**o, "CurrencyIsoCode": "EUR"} for o in opportunities(2)])
    fields = {f["name"]: f for f in sf.Opportunity.describe()["fields"]}
    assert fields["CurrencyIsoCode"]["type"] == "picklist"
    assert [p["value"] for p in fields["CurrencyIsoCode"]["picklistValues"]] == ["EUR"]


def test_describe_reports_catalog_fields_with_salesforce_types(fake, sf):
    fake.set_records("Opportunity", opportunities(10))

    fields = {f["name"]: f for f in sf.Opportunity.describe()["fields"]}

    # CurrencyIsoCode only in a multi-currency org (records that carry it)
    catalog = OBJECTS_BY_NAME["Opportunity"].field_names
    assert list(fields) == [name for name in catalog if name != "CurrencyIsoCode"]
    assert {name: fields[name]["type"] for name in ("Id", "Amount", "Probability")} == {
        "Id": "id",
        "Amount": "currency",
        "Probability": "percent",
    }
    assert fields["CloseDate"]["type"] == "date"
    assert fields["SystemModstamp"]["type"] == "datetime"
    assert fields["IsDeleted"]["type"] == "boolean"
    assert fields["OwnerId"]["referenceTo"] == ["User"]
    assert fields["NextStep"]["nillable"] is True
    assert fields["Id"]["nillable"] is False
    assert [v["value"] for v in fields["StageName"]["picklistValues"]] == sorted(
        ["Prospecting", "Negotiation", "Closed Won"],
        key=[r["StageName"] for r in opportunities(10)].index,
    )


def test_describe_of_an_object_missing_from_the_org_is_not_found(sf):
    with pytest.raises(SalesforceResourceNotFound) as error:
        sf.Task.describe()

    assert error.value.content == [
        {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
    ]


def test_limits_report_daily_api_usage(fake, sf):
    sf.describe()

    limits = sf.limits()

    assert limits["DailyApiRequests"] == {"Max": 15000, "Remaining": 15000 - 2}


def test_versions_list_needs_no_token_and_includes_the_api_version(fake):
    response = requests.get(f"{fake.instance_url}/services/data/", timeout=5)

    assert response.status_code == 200
    assert {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"} in (
        response.json()
    )


# -- auth, headers, counters, faults ---------------------------------------------


def test_wrong_token_raises_expired_session(fake):
    sf = connect(fake, token="stale-token")

    with pytest.raises(SalesforceExpiredSession) as error:
        sf.query("SELECT Id FROM User")

    assert error.value.content == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_missing_token_is_401_with_limit_info_and_json_content_type(fake):
    response = requests.get(
        f"{fake.instance_url}/services/data/v59.0/query/",
        params={"q": "SELECT Id FROM User"},
        timeout=5,
    )

    assert response.status_code == 401
    assert response.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert response.headers["Sforce-Limit-Info"] == "api-usage=1/15000"


def test_every_response_reports_api_usage_to_the_client(sf):
    sf.query("SELECT Id FROM User")
    sf.query("SELECT Id FROM User")

    assert sf.api_usage["api-usage"].used == 2
    assert sf.api_usage["api-usage"].total == 15000


def test_request_counts_are_exact_per_endpoint_kind(fake, sf):
    fake.set_records("Opportunity", opportunities(4500, deleted_every=2))

    sf.describe()
    sf.Opportunity.describe()
    sf.query_all("SELECT Id FROM Opportunity")
    sf.query_all("SELECT Id FROM Opportunity", include_deleted=True)
    sf.query("SELECT COUNT() FROM Opportunity")
    sf.limits()

    assert fake.request_counts == {
        "sobjects": 1,
        "describe": 1,
        "query": 2,
        "queryAll": 1,
        "query_more": 1 + 2,
        "limits": 1,
    }
    assert fake.total_requests == 9
    fake.reset_counts()
    assert fake.total_requests == 0
    assert fake.request_counts == {}


def test_injected_server_errors_are_retried_by_the_session(fake, sf):
    fake.set_records("Opportunity", opportunities(2500))
    fake.fail_next(2, 503, kinds=["query_more"])

    result = sf.query_all("SELECT Id FROM Opportunity")

    assert len(result["records"]) == 2500
    assert fake.request_counts == {"query": 1, "query_more": 3}
    assert fake.faults == []


def test_rate_limited_request_honours_retry_after_and_succeeds(fake, sf):
    fake.fail_next(1, 429, headers={"Retry-After": "0"})

    assert sf.query("SELECT Id FROM User")["totalSize"] == 0
    assert fake.request_counts == {"query": 2}


def test_server_errors_past_the_retry_budget_surface_salesforce_error(fake):
    sf = connect(fake, retries=default_retry(total=2, backoff_factor=0))
    fake.fail_next(5, 500)

    with pytest.raises(SalesforceGeneralError) as error:
        sf.query("SELECT Id FROM User")

    assert error.value.status == 500
    assert error.value.content[0]["errorCode"] == "UNKNOWN_EXCEPTION"
    assert fake.request_counts == {"query": 3}


def test_request_limit_exceeded_is_not_retried(fake, sf):
    fake.fail_next(
        1,
        403,
        [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
    )

    with pytest.raises(SalesforceRefusedRequest):
        sf.query("SELECT Id FROM User")

    assert fake.request_counts == {"query": 1}


def test_session_sends_trustgap_user_agent_over_http(fake, sf):
    seen = []
    fake.add_fault(lambda request, call_next: seen.append(request) or call_next(request))

    sf.query("SELECT Id FROM User")

    assert seen[0].header("User-Agent") == "trustgap"


def test_session_rewrites_https_only_for_an_http_instance():
    http_session = build_session("http://127.0.0.1:8123")
    adapter = http_session.get_adapter("https://127.0.0.1:8123")
    https_adapter = build_session("https://acme.my.salesforce.com").get_adapter("https://x")

    assert adapter.rewrite_url("https://127.0.0.1:8123/services/data/v59.0/query/?q=x") == (
        "http://127.0.0.1:8123/services/data/v59.0/query/?q=x"
    )
    assert adapter.rewrite_url("https://login.salesforce.com/services/oauth2/token") == (
        "https://login.salesforce.com/services/oauth2/token"
    )
    assert https_adapter.rewrite_url("https://acme.my.salesforce.com/services/data/") == (
        "https://acme.my.salesforce.com/services/data/"
    )
    assert adapter.timeout == (5, 120)
