"""Failures real orgs produce: 429 and 5xx storms, slow answers, expired sessions,
an exhausted daily quota, truncated pages."""

import re

import pytest

from connectors.errors import CrmAuthError, CrmQuotaError, SyncFailed
from connectors.landing import CursorKey, read_cursor
from connectors.salesforce.client import SalesforceConnection, connect
from connectors.salesforce.objects import OBJECTS_BY_NAME
from connectors.salesforce.sync import sync_salesforce
from demo.fake_salesforce.faults import Slow, Truncate
from tests.salesforce_org import LOADED_AT, TOKEN, fake_org, land, options, org, settings

OPP = CursorKey("salesforce", "Opportunity")


def land_with(fake, con=None, **settings_overrides):
    import duckdb

    con = con or duckdb.connect()
    api = connect(settings(fake, **settings_overrides))
    reports = sync_salesforce(
        SalesforceConnection(api, options(bulk_threshold=0)),
        con,
        objects=[OBJECTS_BY_NAME["Opportunity"]],
        loaded_at=LOADED_AT,
    )
    list(reports)
    return con


@pytest.mark.parametrize("status", [429, 503])
def test_a_storm_of_rate_limits_or_server_errors_is_ridden_out(status):
    with fake_org(org(4500)) as fake:
        fake.fail_next(6, status, headers={"Retry-After": "0"})
        fake.fail_next(4, status, kinds={"query_more"})
        con = land_with(fake, max_retries=8)
        counts = dict(fake.request_counts)
    assert con.execute("select count(distinct Id) from raw_salesforce.opportunity").fetchone() == (
        4500,
    )
    assert sum(counts.values()) == 8 + 6 + 4  # the sync's 8 requests plus every retry


def test_errors_past_the_retry_budget_fail_the_object_and_keep_its_watermark():
    with fake_org(org(4500)) as fake:
        con = land_with(fake)
        before = read_cursor(con, OPP)
        fake.advance(60)
        fake.fail_next(50, 503, kinds={"queryAll"})
        with pytest.raises(SyncFailed, match="HTTP 503") as caught:
            land_with(fake, con, max_retries=2)
    assert "SERVER_UNAVAILABLE" in str(caught.value)
    assert read_cursor(con, OPP) == before


def test_a_slow_answer_times_out_and_is_retried():
    with fake_org(org(10)) as fake:
        fake.add_fault(Slow(1.0, times=1, kinds={"queryAll"}))
        con = land_with(fake, timeout=(2.0, 0.3))
    assert con.execute("select count(*) from raw_salesforce.opportunity").fetchone() == (10,)


def test_a_server_that_stays_slow_fails_clearly():
    with fake_org(org(10)) as fake:
        fake.add_fault(Slow(0.5, times=None, kinds={"describe"}))
        with pytest.raises(SyncFailed, match=r"did not answer in time.*SALESFORCE_TIMEOUT_SECONDS"):
            land_with(fake, timeout=(2.0, 0.1), max_retries=1)


def test_an_expired_token_fails_clearly_without_revealing_it():
    with fake_org(org(10)) as fake:
        con, _ = land(fake, ["Opportunity"])
        fake.expire_sessions()
        fake.reset_counts()
        with pytest.raises(CrmAuthError) as caught:
            land(fake, ["Opportunity"], con)
        counts = dict(fake.request_counts)
    message = str(caught.value)
    assert "Refresh SALESFORCE_ACCESS_TOKEN" in message
    assert TOKEN not in message and TOKEN.split("!")[1] not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert counts == {"query": 1}  # the run stopped at the first refusal


@pytest.mark.parametrize("concurrency", [1, 3])
def test_request_limit_exceeded_stops_at_once_with_the_usage_figure(concurrency):
    with fake_org(org(4500)) as fake:
        fake.api_limit = fake.api_usage + 4  # the quota runs out mid-object
        fake.reset_counts()
        with pytest.raises(CrmQuotaError) as caught:
            land(fake, ["Account", "Opportunity", "Task"], concurrency=concurrency)
        counts = dict(fake.request_counts)
        usage = fake.api_usage
    message = str(caught.value)
    assert "REQUEST_LIMIT_EXCEEDED" in message
    quoted = re.search(rf"([\d,]+) of {fake.api_limit:,} daily API requests used", message)
    # The figure of the first refusal (later refusals of other workers count on).
    assert quoted and fake.api_limit < int(quoted[1].replace(",", "")) <= usage
    if concurrency == 1:
        assert int(quoted[1].replace(",", "")) == usage
    # Four that fit, one refused, none after; concurrent workers each had at most one
    # request of their own in flight when the first refusal came.
    assert 5 <= sum(counts.values()) <= 4 + concurrency


def test_a_truncated_page_fails_the_object_keeping_the_rows_already_committed():
    with fake_org(org(4500)) as fake:
        fake.add_fault(Truncate(kinds={"query_more"}, keep=0.5))
        with pytest.raises(SyncFailed, match="malformed or truncated"):
            land(fake, ["Opportunity"], bulk_threshold=0)
    with fake_org(org(4500)) as fake:
        import duckdb

        con = duckdb.connect()
        fake.add_fault(Truncate(kinds={"query_more"}, keep=0.5))
        with pytest.raises(SyncFailed):
            # One page per landed chunk, so that one is committed before the cut.
            land(fake, ["Opportunity"], con, bulk_threshold=0, rest_landing_rows=2000)
        # Page one (2000 rows) committed with its watermark; page two never landed.
        assert con.execute("select count(*) from raw_salesforce.opportunity").fetchone() == (2000,)
        assert read_cursor(con, OPP) == "2026-01-02T00:00:00.000+0000"
        land(fake, ["Opportunity"], con, bulk_threshold=0)
    assert con.execute(
        "select count(*), count(distinct Id) from raw_salesforce.opportunity"
    ).fetchone() == (4500, 4500)


def test_a_429_asking_to_wait_a_day_waits_at_most_a_minute(monkeypatch):
    """(#15 D2) urllib3 sleeps a Retry-After's full value; the run would hang for a day."""
    import urllib3.util.retry

    slept = []
    monkeypatch.setattr(urllib3.util.retry.time, "sleep", slept.append)
    with fake_org(org(50)) as fake:
        fake.fail_next(1, 429, headers={"Retry-After": "86400"})
        con = land_with(fake)
    assert con.execute("select count(*) from raw_salesforce.opportunity").fetchone() == (50,)
    assert slept and max(slept) == 60
