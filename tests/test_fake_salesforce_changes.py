"""The fake org moves between runs and speaks the newer endpoints: the deleted-records
log, Bulk API 2.0 jobs, SOAP and OAuth logins, an exhausted quota, its own clock."""

import csv
import datetime as dt
import io

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)
from simple_salesforce.login import SalesforceLogin

from connectors.salesforce.session import build_session, default_retry
from demo.fake_salesforce import FakeSalesforce
from demo.fake_salesforce.faults import Slow, Truncate

TOKEN = "demo-token"
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def opportunity(i: int, **overrides) -> dict:
    return {
        "Id": f"006{i:015d}",
        "Name": f"Deal {i}",
        "Amount": 1000.0 + i,
        "IsWon": i % 2 == 0,
        "IsDeleted": False,
        "CreatedDate": "2026-01-01T00:00:00.000+0000",
        "SystemModstamp": "2026-01-01T00:00:00.000+0000",
        **overrides,
    }


@pytest.fixture
def fake():
    records = {"Opportunity": [opportunity(i) for i in range(5)]}
    with FakeSalesforce(records=records, access_token=TOKEN) as server:
        server.clock = NOW
        yield server


@pytest.fixture
def sf(fake):
    session = build_session(fake.instance_url, retries=default_retry(total=2, backoff_factor=0))
    return Salesforce(instance_url=fake.instance_url, session_id=TOKEN, session=session)


def bulk(sf, method, path="", **kwargs):
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    return sf.session.request(method, sf.bulk2_url + "query" + path, headers=headers, **kwargs)


# -- org changes ---------------------------------------------------------------------


def test_changes_stamp_rows_with_the_org_clock_and_never_mutate_fixtures(fake, sf):
    fixture = fake.records("Opportunity")[1]
    fake.update("Opportunity", fixture["Id"], Amount=5.0)
    fake.advance(30)
    new = fake.insert("Opportunity", {"Name": "New deal"})

    rows = {
        r["Id"]: r
        for r in sf.query_all("SELECT Id, Amount, SystemModstamp FROM Opportunity")["records"]
    }
    assert rows[fixture["Id"]]["SystemModstamp"] == "2026-03-01T12:00:00.000+0000"
    assert rows[fixture["Id"]]["Amount"] == 5.0
    assert fixture["Amount"] == 1001.0  # the fixture dict is untouched
    assert new["Id"].startswith("006") and new["CreatedDate"] == "2026-03-01T12:00:30.000+0000"
    assert new["IsDeleted"] is False


def test_delete_goes_to_the_recycle_bin_and_purge_removes_the_row(fake, sf):
    fake.delete("Opportunity", f"006{1:015d}")
    fake.purge("Opportunity", f"006{2:015d}")

    live = sf.query_all("SELECT Id FROM Opportunity")["records"]
    everything = sf.query_all("SELECT Id, IsDeleted FROM Opportunity", include_deleted=True)
    assert len(live) == 3
    assert {r["Id"]: r["IsDeleted"] for r in everything["records"]}[f"006{1:015d}"] is True
    assert f"006{2:015d}" not in {r["Id"] for r in everything["records"]}


def test_deleted_endpoint_lists_the_window_and_what_the_log_covers(fake, sf):
    fake.delete("Opportunity", f"006{1:015d}")
    fake.advance(120)
    fake.purge("Opportunity", f"006{3:015d}")
    fake.advance(120)

    result = sf.Opportunity.deleted(NOW - dt.timedelta(minutes=5), NOW + dt.timedelta(hours=1))

    assert result["deletedRecords"] == [
        {"id": f"006{1:015d}", "deletedDate": "2026-03-01T12:00:00.000+0000"},
        {"id": f"006{3:015d}", "deletedDate": "2026-03-01T12:02:00.000+0000"},
    ]
    assert result["earliestDateAvailable"] == "2026-02-14T12:04:00.000+0000"
    assert result["latestDateCovered"] == "2026-03-01T12:04:00.000+0000"


def test_deleted_endpoint_refuses_windows_salesforce_refuses(fake, sf):
    with pytest.raises(SalesforceMalformedRequest) as too_old:
        sf.Opportunity.deleted(NOW - dt.timedelta(days=31), NOW)
    with pytest.raises(SalesforceMalformedRequest) as backwards:
        sf.Opportunity.deleted(NOW, NOW - dt.timedelta(hours=1))
    assert too_old.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"
    assert "precede" in backwards.value.content[0]["message"]


def test_a_purged_delete_log_moves_its_earliest_date(fake, sf):
    fake.delete("Opportunity", f"006{1:015d}")
    fake.advance(3600)
    fake.purge_delete_log(before=fake.now())

    result = sf.Opportunity.deleted(NOW - dt.timedelta(hours=1), NOW + dt.timedelta(hours=2))

    assert result["deletedRecords"] == []
    assert result["earliestDateAvailable"] == "2026-03-01T13:00:00.000+0000"


def test_dropping_a_field_removes_it_from_describe_and_soql(fake, sf):
    fake.drop_field("Opportunity", "Amount")

    assert "Amount" not in {f["name"] for f in sf.Opportunity.describe()["fields"]}
    with pytest.raises(SalesforceMalformedRequest):
        sf.query("SELECT Id, Amount FROM Opportunity")


# -- clock, quota, faults --------------------------------------------------------------


def test_date_header_follows_the_org_clock(fake, sf):
    response = requests.get(f"{fake.instance_url}/services/data/", timeout=5)
    assert response.headers["Date"] == "Sun, 01 Mar 2026 12:00:00 GMT"


def test_every_call_past_the_daily_limit_is_refused_with_request_limit_exceeded(fake, sf):
    fake.api_limit = fake.api_usage + 1
    sf.query("SELECT Id FROM Opportunity")

    with pytest.raises(SalesforceRefusedRequest) as error:
        sf.query("SELECT Id FROM Opportunity")

    assert error.value.content == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    assert fake.request_counts["query"] == 2  # a 403 is never retried


def test_truncate_cuts_the_body_and_slow_delays_it(fake, sf):
    fake.add_fault(Truncate(kinds={"query"}, keep=0.5))
    with pytest.raises(requests.exceptions.JSONDecodeError):
        sf.query("SELECT Id FROM Opportunity")
    fake.add_fault(Slow(0.2, kinds={"query"}))
    started = dt.datetime.now()
    assert sf.query("SELECT Id FROM Opportunity")["totalSize"] == 5
    assert (dt.datetime.now() - started).total_seconds() >= 0.2


# -- Bulk API 2.0 ----------------------------------------------------------------------


def test_bulk_job_lifecycle_pages_csv_by_locator(fake, sf):
    fake.delete("Opportunity", f"006{0:015d}")
    created = bulk(
        sf,
        "POST",
        json={
            "operation": "queryAll",
            "query": "SELECT Id, Name, IsWon, SystemModstamp FROM Opportunity",
        },
    ).json()
    assert created["state"] == "UploadComplete"
    assert bulk(sf, "GET", f"/{created['id']}").json()["state"] == "JobComplete"

    pages, locator = [], None
    while locator != "null":
        params = {"maxRecords": 2, **({"locator": locator} if locator else {})}
        response = bulk(sf, "GET", f"/{created['id']}/results", params=params)
        pages.append(list(csv.reader(io.StringIO(response.text))))
        assert response.headers["Sforce-NumberOfRecords"] == str(len(pages[-1]) - 1)
        locator = response.headers["Sforce-Locator"]

    assert [len(p) - 1 for p in pages] == [2, 2, 1]
    assert pages[0][0] == ["Id", "Name", "IsWon", "SystemModstamp"]
    assert pages[0][1][2:] == ["true", "2026-03-01T12:00:00.000Z"]  # the deleted row, Z form
    assert fake.request_counts["bulk_results"] == 3


def test_bulk_refuses_count_and_unsupported_objects(fake, sf):
    count = bulk(
        sf, "POST", json={"operation": "query", "query": "SELECT COUNT() FROM Opportunity"}
    )
    fake.bulk_unsupported.add("Opportunity")
    unsupported = bulk(
        sf, "POST", json={"operation": "query", "query": "SELECT Id FROM Opportunity"}
    )

    assert count.status_code == 400
    assert unsupported.json()[0]["errorCode"] == "INVALIDENTITY"


def test_bulk_jobs_can_fail_poll_for_a_while_and_be_aborted(fake, sf):
    fake.fail_bulk_jobs(1, "InternalServerError")
    failed = bulk(sf, "POST", json={"operation": "query", "query": "SELECT Id FROM Opportunity"})
    info = bulk(sf, "GET", f"/{failed.json()['id']}").json()
    assert (info["state"], info["errorMessage"]) == ("Failed", "InternalServerError")

    fake.bulk_polls = 3
    slow = bulk(sf, "POST", json={"operation": "query", "query": "SELECT Id FROM Opportunity"})
    job = slow.json()["id"]
    assert bulk(sf, "GET", f"/{job}").json()["state"] == "InProgress"
    assert bulk(sf, "GET", f"/{job}/results").status_code == 400
    assert bulk(sf, "PATCH", f"/{job}", json={"state": "Aborted"}).json()["state"] == "Aborted"
    assert bulk(sf, "DELETE", f"/{job}").status_code == 204


# -- logins ----------------------------------------------------------------------------


def test_soap_login_issues_a_session_for_the_right_password(fake):
    fake.allow_password_login("api@acme.example", "pw&<>", "TOKEN1")
    session = build_session()
    domain = fake.instance_url.removeprefix("http://").split(":")[0]
    session.adapter.add_rewrite(
        f"{domain}.salesforce.com", "http", fake.instance_url.removeprefix("http://")
    )

    session_id, instance = SalesforceLogin(
        username="api@acme.example",
        password="pw&<>",
        security_token="TOKEN1",
        domain=domain,
        session=session,
    )
    assert instance == fake.instance_url.removeprefix("http://")
    assert fake.logins.accepts(session_id)
    with pytest.raises(SalesforceAuthenticationFailed) as refused:
        SalesforceLogin(
            username="api@acme.example",
            password="pw&<>",
            security_token="WRONG",
            domain=domain,
            session=session,
        )
    assert refused.value.code == "INVALID_LOGIN"


def test_expired_sessions_are_refused(fake, sf):
    fake.expire_sessions()
    response = requests.get(
        f"{fake.instance_url}/services/data/v59.0/limits/",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
    )
    assert response.status_code == 401


def activity(prefix: str, i: int, what_id: str) -> dict:
    return {
        "Id": f"{prefix}{i:015d}",
        "WhatId": what_id,
        "IsDeleted": False,
        "CreatedDate": "2026-01-01T00:00:00.000+0000",
        "SystemModstamp": "2026-01-01T00:00:00.000+0000",
    }


@pytest.fixture
def with_activities():
    """Deal 1 has a task and an event, deal 2 a task (and one task was deleted alone)."""
    deal = [f"006{i:015d}" for i in range(3)]
    records = {
        "Opportunity": [opportunity(i) for i in range(3)],
        "Task": [
            activity("00T", 1, deal[1]),
            activity("00T", 2, deal[2]),
            activity("00T", 3, deal[1]),
        ],
        "Event": [activity("00U", 1, deal[1])],
    }
    with FakeSalesforce(records=records, access_token=TOKEN) as server:
        server.clock = NOW
        server.delete("Task", f"00T{3:015d}")
        server.advance(60)
        yield server


def deleted_flags(sf, sobject: str) -> dict[str, bool]:
    rows = sf.query_all(f"SELECT Id, IsDeleted FROM {sobject}", include_deleted=True)["records"]
    return {r["Id"][-1:]: r["IsDeleted"] for r in rows}


def test_deleting_an_opportunity_deletes_its_tasks_and_events(with_activities):
    """(#15 also seen) As Salesforce does: queryAll shows them deleted, the log lists them."""
    fake = with_activities
    session = build_session(fake.instance_url, retries=default_retry(total=2, backoff_factor=0))
    sf = Salesforce(instance_url=fake.instance_url, session_id=TOKEN, session=session)
    fake.delete("Opportunity", f"006{1:015d}")

    assert deleted_flags(sf, "Task") == {"1": True, "2": False, "3": True}
    assert deleted_flags(sf, "Event") == {"1": True}
    window = (NOW, NOW + dt.timedelta(hours=1))
    assert [d["id"] for d in sf.Task.deleted(*window)["deletedRecords"]] == [
        f"00T{3:015d}",
        f"00T{1:015d}",
    ]
    # Undeleting the deal restores what its delete took, not the task deleted on its own.
    fake.undelete("Opportunity", f"006{1:015d}")
    assert deleted_flags(sf, "Task") == {"1": False, "2": False, "3": True}
    assert deleted_flags(sf, "Event") == {"1": False}
    # A hard delete takes its activities out of queryAll too.
    fake.purge("Opportunity", f"006{1:015d}")
    assert deleted_flags(sf, "Task") == {"2": False}
    assert deleted_flags(sf, "Event") == {}


# -- the watermark index ---------------------------------------------------------------


def _watermark_query(sf, since: str, object_name: str = "Opportunity") -> list[str]:
    soql = (
        f"SELECT Id, SystemModstamp FROM {object_name} "
        f"WHERE SystemModstamp >= {since} AND IsWon = false ORDER BY SystemModstamp, Id"
    )
    return [row["Id"] for row in sf.query_all(soql)["records"]]


def _scanned(fake, since: str) -> list[str]:
    """The same answer by testing every row (what the fake did before its index)."""
    bound = dt.datetime.fromisoformat(since)
    rows = [
        r
        for r in fake.records("Opportunity")
        if not r["IsDeleted"]
        and not r["IsWon"]
        and dt.datetime.fromisoformat(r["SystemModstamp"]) >= bound
    ]
    rows.sort(key=lambda r: (r["SystemModstamp"], r["Id"]))
    return [r["Id"] for r in rows]


def test_watermark_queries_answer_from_the_index_exactly_as_a_scan_through_org_changes():
    # 60 quiet rows, so a day's changes are few enough for the index to be used.
    records = {"Opportunity": [opportunity(i) for i in range(60)]}
    with FakeSalesforce(records=records, access_token=TOKEN) as fake:
        fake.clock = NOW
        session = build_session(fake.instance_url, retries=default_retry(total=2))
        sf = Salesforce(instance_url=fake.instance_url, session_id=TOKEN, session=session)
        fake.index_field("Opportunity", "SystemModstamp")
        since = "2026-02-01T00:00:00Z"
        assert _watermark_query(sf, since) == [] == _scanned(fake, "2026-02-01T00:00:00+00:00")

        fake.update("Opportunity", opportunity(3)["Id"], Amount=1.0)  # replaced row
        fake.advance(60)
        fake.insert("Opportunity", opportunity(99, IsWon=False, SystemModstamp=None))
        fake.update("Opportunity", opportunity(8)["Id"], IsWon=True)  # now filtered out
        fake.delete("Opportunity", opportunity(5)["Id"])  # queryAll would keep it
        answer = _watermark_query(sf, since)
        assert answer == _scanned(fake, "2026-02-01T00:00:00+00:00")
        assert answer == [opportunity(3)["Id"], opportunity(99)["Id"]]
        # The index answered: the bound keeps 2 rows of 61.
        index = fake._lower_bounds._indexes[("Opportunity", "SystemModstamp")]
        assert index.changed == [3, 5, 8]

        # A purge moves positions: the index is rebuilt, the answer unchanged.
        fake.purge("Opportunity", opportunity(1)["Id"])
        assert _watermark_query(sf, since) == _scanned(fake, "2026-02-01T00:00:00+00:00")
        assert fake._lower_bounds._indexes[("Opportunity", "SystemModstamp")] is not index
        # A bound older than most rows is a scan; the answer is the scan's.
        old = "2025-12-31T00:00:00Z"
        assert _watermark_query(sf, old) == _scanned(fake, "2025-12-31T00:00:00+00:00")
