"""The HubSpot connector, through the real hubspot-api-client, against the fake API."""

from __future__ import annotations

import math

import duckdb
import pytest

from connectors.errors import ConfigurationError, CrmAuthError, CrmQuotaError, CrmRequestError
from connectors.hubspot.client import HubSpotConnection
from connectors.hubspot.object_sync import HubSpotSync
from connectors.hubspot.objects import OBJECTS_BY_NAME, TABLES
from connectors.hubspot.ratelimit import RateLimits
from connectors.hubspot.settings import HubSpotSettings
from connectors.hubspot.sync import sync_hubspot
from connectors.landing import CursorKey, read_cursor
from demo.fake_hubspot import UNLIMITED, FakeHubSpot, RateLimitPolicy
from demo.fake_hubspot.records import now_ms
from tests.hubspot_fixtures import DEAL_BASE, ENGAGEMENT_BASE, LOADED_AT, TOKEN, api, portal

DEALS = OBJECTS_BY_NAME["deals"]
CALLS = OBJECTS_BY_NAME["calls"]


def sync(fake, con=None, *, objects=(DEALS, CALLS), client=None, **options):
    """Owners, pipelines and `objects` into `con` (a new in-memory warehouse by default)."""
    con = con or duckdb.connect()
    runner = HubSpotSync(client or api(fake), con, loaded_at=LOADED_AT, **options)
    runner.sync_all(objects)
    return con


def landed(con) -> set[str]:
    return {
        t
        for (t,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw_hubspot'"
        ).fetchall()
    }


def assert_same_tables(left, right) -> None:
    assert landed(left) == landed(right)
    for table in landed(left):
        assert rows(left, table) == rows(right, table), table


def rows(con, table: str, where: str = "true") -> list[tuple]:
    columns = ", ".join(f'"{c}"' for c in next(t for t in TABLES if t.name == table).column_names)
    return con.execute(
        f"select {columns} from raw_hubspot.{table} where {where} order by all"
    ).fetchall()


@pytest.mark.parametrize(("deals", "calls"), [(0, 0), (1, 1), (50, 100), (51, 101), (120, 250)])
def test_paging_lands_every_record_once_at_minimum_request_count(deals, calls):
    with FakeHubSpot(portal(deals, calls=calls), TOKEN, rate_limits=UNLIMITED) as fake:
        con = sync(fake)
        counts = dict(fake.object_counts)
    assert con.execute("select count(*), count(distinct id) from raw_hubspot.deals").fetchone() == (
        deals,
        deals,
    )
    assert con.execute("select count(*) from raw_hubspot.calls").fetchone() == (calls,)
    # Full pass (50 deals / 100 calls per page) plus the empty archived page.
    assert counts["list:deals"] == max(1, math.ceil(deals / 50)) + 1
    assert counts["list:calls"] == max(1, math.ceil(calls / 100)) + 1
    # One association read per page chunk that had rows; one catch-up search each, and
    # one count for an object of several pages (it orders the work under the limit).
    assert counts.get("associations:calls", 0) == (1 if calls else 0)
    assert counts["search:deals"] == 1 + (deals > 50)
    assert counts["search:calls"] == 1 + (calls > 100)


def test_properties_history_and_associations_land_as_arrow_columns():
    with FakeHubSpot(portal(3, calls=4), TOKEN, rate_limits=UNLIMITED) as fake:
        fake.portal.associate("deals", DEAL_BASE, "contacts", 77, label="Champion")
        con = sync(fake)
    assert con.execute(
        "select dealname, amount, dealstage, archived from raw_hubspot.deals order by id limit 1"
    ).fetchone() == ("Deal 0", "1000", "open", False)
    assert con.execute(
        "select deal_id, property, value, source_id, updated_by_user_id "
        "from raw_hubspot.deal_property_history order by id limit 1"
    ).fetchone() == (str(DEAL_BASE), "dealstage", "open", "userId:11", "11")
    assert con.execute(
        "select contacts from raw_hubspot.deal_contact_associations where deal_id = ?",
        [str(DEAL_BASE)],
    ).fetchone() == ([{"id": "77", "label": "Champion"}],)
    assert con.execute(
        "select deal_ids from raw_hubspot.engagement_deal_associations where engagement_id = ?",
        [str(ENGAGEMENT_BASE + 3)],
    ).fetchone() == ([str(DEAL_BASE)],)
    assert con.execute(
        "select count(*), count(*) filter (where archived) from raw_hubspot.owners"
    ).fetchone() == (2, 1)


def test_more_than_10000_changes_sharing_one_timestamp_sync_completely():
    with FakeHubSpot(portal(10_050), TOKEN, rate_limits=UNLIMITED) as fake:
        con = sync(fake, objects=(DEALS,))
        moment = now_ms()
        fake.portal.touch("deals", range(DEAL_BASE, DEAL_BASE + 10_050), at_ms=moment)
        for i in (0, 10_049):
            fake.portal.update("deals", DEAL_BASE + i, {"dealstage": "won"}, at_ms=moment)
        fake.reset_counts()
        sync(fake, con, objects=(DEALS,))
        counts = dict(fake.object_counts)
    assert con.execute(
        "select count(*), count(distinct id), count(*) filter (where dealstage = 'won') "
        "from raw_hubspot.deals"
    ).fetchone() == (10_050, 10_050, 2)
    # Keyset pages of 200: never an offset, so never past the 10,000-result cap.
    assert counts["search:deals"] == math.ceil(10_050 / 200)
    assert counts["batch_read:deals"] == math.ceil(10_050 / 50)


def test_archived_deals_and_engagements_end_flagged_not_live():
    with FakeHubSpot(portal(5, calls=5), TOKEN, rate_limits=UNLIMITED) as fake:
        con = sync(fake)
        fake.portal.archive("deals", DEAL_BASE + 1)
        fake.portal.archive("calls", ENGAGEMENT_BASE + 2)
        sync(fake, con)
    assert con.execute(
        "select id from raw_hubspot.deals where archived order by id"
    ).fetchall() == [(str(DEAL_BASE + 1),)]
    assert con.execute(
        "select id, archivedAt is not null from raw_hubspot.calls where archived"
    ).fetchall() == [(str(ENGAGEMENT_BASE + 2), True)]
    assert con.execute("select count(*) from raw_hubspot.deals").fetchone() == (5,)


def test_incremental_after_updates_archives_and_inserts_equals_a_fresh_full_sync():
    with FakeHubSpot(portal(60, calls=150, notes=20), TOKEN, rate_limits=UNLIMITED) as fake:
        objects = (DEALS, CALLS, OBJECTS_BY_NAME["notes"])
        incremental = sync(fake, objects=objects)
        p = fake.portal
        p.update("deals", DEAL_BASE + 3, {"dealstage": "won", "amount": "5"}, user_id=11)
        p.update("deals", DEAL_BASE + 4, {"hs_next_step": "Call back"}, user_id=12)
        p.archive("deals", DEAL_BASE + 5)
        p.archive("calls", ENGAGEMENT_BASE + 7)
        new_deal = p.create("deals", {"dealname": "New", "dealstage": "open"}, user_id=11)
        new_call = p.create("calls", {"hs_timestamp": "2026-11-20T10:00:00.000Z"})
        p.associate("calls", new_call, "deals", new_deal)
        p.dissociate("calls", ENGAGEMENT_BASE + 9, "deals", DEAL_BASE + 9)
        p.update("calls", ENGAGEMENT_BASE + 9, {"hs_call_status": "COMPLETED"})
        sync(fake, incremental, objects=objects)
        fresh = sync(fake, objects=objects)
    assert_same_tables(incremental, fresh)
    assert (
        rows(
            incremental, "engagement_deal_associations", f"engagement_id = '{ENGAGEMENT_BASE + 9}'"
        )[0][2]
        == []
    )


def test_a_run_killed_midway_resumes_and_loses_or_duplicates_nothing():
    with FakeHubSpot(portal(400, calls=300), TOKEN, rate_limits=UNLIMITED) as fake:
        con = duckdb.connect()
        # Every retry of the 5th deals page fails: the run dies after 2 committed chunks.
        fake.fail_next(20, 500, kinds={"list"}, object_types={"deals"}, after=4)
        with pytest.raises(CrmRequestError):
            sync(fake, con, chunk_rows=100, client=api(fake, retries=1))
        cursor = read_cursor(con, CursorKey("hubspot", "deals"))
        assert '"phase": "full"' in cursor
        assert con.execute("select count(*) from raw_hubspot.deals").fetchone() == (200,)
        fake.clear_faults()
        fake.reset_counts()
        sync(fake, con, chunk_rows=100)
        resumed_pages = fake.object_counts["list:deals"]
        clean = sync(fake, chunk_rows=100)
    assert resumed_pages == (400 - 200) // 50 + 1  # the rest, plus the archived page
    assert_same_tables(con, clean)


def test_a_429_storm_on_search_recovers_and_counts_each_logical_call_once():
    with FakeHubSpot(portal(30, calls=30), TOKEN, rate_limits=UNLIMITED) as fake:
        con = sync(fake)
        fake.portal.update("calls", ENGAGEMENT_BASE + 1, {"hs_call_status": "BUSY"})
        fake.reset_counts()
        storm = fake.rate_limit_storm(3, kinds={"search"}, policy="SECONDLY")
        client = api(fake)
        sync(fake, con, client=client)
    assert storm.fired == 3
    assert fake.request_counts["search"] == client.requests["search"] + 3
    assert con.execute(
        "select hs_call_status from raw_hubspot.calls where id = ?", [str(ENGAGEMENT_BASE + 1)]
    ).fetchone() == ("BUSY",)


def test_the_limiter_keeps_a_long_sync_under_the_configured_rate(capsys):
    # Scaled windows keep the test short: 20 requests per second, 4 searches per second.
    policy = RateLimitPolicy(max_requests=20, interval_s=1.0, search_per_second=4)
    limits = RateLimits(requests=20, interval_s=1.0, search_per_second=4)
    with FakeHubSpot(portal(600, calls=2000, notes=1000), TOKEN, rate_limits=policy) as fake:
        client = api(fake, limits=limits)
        objects = (DEALS, CALLS, OBJECTS_BY_NAME["notes"])
        sync(fake, client=client, objects=objects, chunk_rows=200)
        total = fake.total_requests
        peak, search_peak = fake.peak_requests(1.0), fake.peak_requests(1.0, {"search"})
        refused = dict(fake.limiter.refused)
    with capsys.disabled():
        print(f"\nlimiter: {total} requests, peak {peak}/s (limit 20), search {search_peak}/s (4)")
    assert total >= 60
    assert refused == {}
    assert peak <= 20
    assert search_peak <= 4


def test_the_limiter_adopts_a_lower_limit_the_api_reports():
    policy = RateLimitPolicy(max_requests=10, interval_s=1.0, search_per_second=None)
    with FakeHubSpot(portal(100, calls=600), TOKEN, rate_limits=policy) as fake:
        # Configured for a bigger tier than the account has.
        client = api(fake, limits=RateLimits(requests=200, interval_s=1.0))
        sync(fake, client=client)
        refused = dict(fake.limiter.refused)
    assert client.limiter.budget == 9
    assert refused.get("TEN_SECONDLY_ROLLING", 0) <= 1


def test_expired_token_fails_clearly_without_revealing_it():
    with (
        FakeHubSpot(portal(1), TOKEN, rate_limits=UNLIMITED) as fake,
        pytest.raises(CrmAuthError) as caught,
    ):
        sync(fake, client=api(fake, token="stale-" + TOKEN))
    message = str(caught.value)
    assert "HUBSPOT_ACCESS_TOKEN" in message
    assert TOKEN not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_missing_scope_names_the_scope_to_grant():
    with (
        FakeHubSpot(portal(1), TOKEN, scopes={"crm.objects.owners.read"}) as fake,
        pytest.raises(CrmAuthError, match=r"crm\.objects\.deals\.read"),
    ):
        sync(fake)


@pytest.mark.parametrize("workers", [1, 4])
def test_daily_limit_stops_at_once_with_a_quota_error(workers):
    with FakeHubSpot(portal(1), TOKEN, rate_limits=RateLimitPolicy(daily_limit=2)) as fake:
        with pytest.raises(CrmQuotaError, match="daily"):
            sync(fake, concurrency=workers)
        # Two answered, then no retries burnt on a 24-hour quota: one worker stops at its
        # first refusal; with more, each may have had one request in flight when it came.
        if workers == 1:
            assert fake.total_requests == 3
        else:
            assert 3 <= fake.total_requests <= 2 + workers


def test_settings_name_what_is_wrong_and_never_print_the_token():
    with pytest.raises(ConfigurationError, match="HUBSPOT_ACCESS_TOKEN"):
        HubSpotSettings.from_env({})
    with pytest.raises(ConfigurationError, match="HUBSPOT_API_TIER"):
        HubSpotSettings.from_env({"HUBSPOT_ACCESS_TOKEN": TOKEN, "HUBSPOT_API_TIER": "gold"})
    settings = HubSpotSettings.from_env(
        {
            "HUBSPOT_ACCESS_TOKEN": TOKEN,
            "HUBSPOT_API_BASE": "http://127.0.0.1:9/",
            "HUBSPOT_API_TIER": "professional",
        }
    )
    assert (settings.base_url, settings.rate_limits.requests) == ("http://127.0.0.1:9", 190)
    assert TOKEN not in repr(settings)


def test_sync_hubspot_lands_every_catalog_table():
    with FakeHubSpot(portal(2, calls=2, notes=1), TOKEN, rate_limits=UNLIMITED) as fake:
        con = duckdb.connect()
        results = {
            r.table: r for r in sync_hubspot(HubSpotConnection(api(fake)), con, loaded_at=LOADED_AT)
        }
    landed = {t for (t,) in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'raw_hubspot'"
    ).fetchall()}  # fmt: skip
    assert landed == {t.name for t in TABLES}
    assert results["notes"].rows == 1
