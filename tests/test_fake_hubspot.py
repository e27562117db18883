"""The fake HubSpot API speaks the real wire format to the real hubspot-api-client.

Calls here go through the SDK's normal (deserialising) methods: its models
validate every required field, so a field the fake forgot fails these tests.
(Each SDK package has its own ApiException class: these tests call the objects
API wherever they expect an error.)
"""

from __future__ import annotations

import pytest
from hubspot import HubSpot
from hubspot.crm.objects.exceptions import ApiException

from demo.fake_hubspot import UNLIMITED, FakeHubSpot, RateLimitPolicy
from tests.hubspot_fixtures import DEAL_BASE, ENGAGEMENT_BASE, TOKEN, portal


@pytest.fixture(scope="module")
def fake():
    with FakeHubSpot(portal(120, calls=30), TOKEN, rate_limits=UNLIMITED) as server:
        server.portal.archive("deals", DEAL_BASE + 5)
        server.portal.associate("deals", DEAL_BASE, "contacts", 9, label="Decision maker")
        yield server


@pytest.fixture(scope="module")
def crm(fake):
    return HubSpot(access_token=TOKEN, host=fake.base_url).crm


def search(crm, after=None, limit=200, filters=()):
    body = {
        "filterGroups": [{"filters": list(filters)}] if filters else [],
        "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        "limit": limit,
    }
    if after is not None:
        body["after"] = after
    return crm.objects.search_api.do_search("deals", body)


def test_owners_active_and_archived_with_teams(crm):
    active = crm.owners.owners_api.get_page(limit=100).results
    archived = crm.owners.owners_api.get_page(archived=True).results
    assert [(o.id, o.type, o.user_id) for o in active] == [("1", "PERSON", 11)]
    assert active[0].teams[0].primary is True
    # A deactivated user keeps its id only in userIdIncludingInactive.
    assert [(o.id, o.archived, o.user_id, o.user_id_including_inactive) for o in archived] == [
        ("2", True, None, 12)
    ]


def test_pipeline_stage_metadata_is_strings(crm):
    stages = crm.pipelines.pipelines_api.get_all("deals").results[0].stages
    assert [(s.id, s.display_order, s.metadata) for s in stages][1] == (
        "won",
        1,
        {"isClosed": "true", "probability": "1.0"},
    )


def test_list_pages_with_history_carry_50_rows_and_an_opaque_cursor(crm):
    page = crm.objects.basic_api.get_page(
        "deals", limit=50, properties=["dealname"], properties_with_history=["dealstage"]
    )
    assert len(page.results) == 50
    first = page.results[0]
    assert first.properties["dealname"] == "Deal 0"
    assert first.properties_with_history["dealstage"][0].source_id == "userId:11"
    assert not page.paging.next.after.isdigit()
    rest = []
    after = page.paging.next.after
    while after:
        page = crm.objects.basic_api.get_page("deals", limit=50, after=after)
        rest += page.results
        after = page.paging.next.after if page.paging else None
    assert len(rest) == 119 - 50  # 120 deals, one archived


def test_more_than_50_rows_with_history_is_a_400(crm):
    with pytest.raises(ApiException) as caught:
        crm.objects.basic_api.get_page("deals", limit=51, properties_with_history=["dealstage"])
    assert caught.value.status == 400
    assert "VALIDATION_ERROR" in caught.value.body


def test_archived_records_are_listed_only_with_archived_true(crm):
    archived = crm.objects.basic_api.get_page("deals", limit=100, archived=True).results
    assert [(d.id, d.archived, d.archived_at is not None) for d in archived] == [
        (str(DEAL_BASE + 5), True, True)
    ]
    assert search(crm).total == 119  # search never returns archived records


def test_search_pages_by_offset_and_refuses_past_10000_results():
    with FakeHubSpot(portal(10_050), TOKEN, rate_limits=UNLIMITED) as fake:
        crm = HubSpot(access_token=TOKEN, host=fake.base_url).crm
        page = search(crm, after="9800")
        assert (page.total, len(page.results), page.paging.next.after) == (10_050, 200, "10000")
        with pytest.raises(ApiException) as caught:
            search(crm, after="10000")
        assert caught.value.status == 400
        keyset = search(crm, filters=[_gt("hs_object_id", DEAL_BASE + 10_000)])
        assert [r.id for r in keyset.results][:2] == [
            str(DEAL_BASE + 10_001),
            str(DEAL_BASE + 10_002),
        ]


def test_batch_read_answers_207_for_missing_ids(crm):
    body = {"inputs": [{"id": str(DEAL_BASE)}, {"id": "404"}], "properties": ["dealname"]}
    result = crm.objects.batch_api.read("deals", body)
    assert (len(result.results), result.status, result.errors[0].category) == (
        1,
        "COMPLETE",
        "OBJECT_NOT_FOUND",
    )


def test_v4_association_batch_read_with_labels_and_207_for_none(crm):
    result = crm.associations.v4.batch_api.get_page(
        "deals", "contacts", {"inputs": [{"id": str(DEAL_BASE)}, {"id": str(DEAL_BASE + 1)}]}
    )
    (found,) = result.results
    types = {(t.category, t.label) for t in found.to[0].association_types}
    assert types == {("HUBSPOT_DEFINED", None), ("USER_DEFINED", "Decision maker")}
    assert result.errors[0].sub_category == "crm.associations.NO_ASSOCIATIONS_FOUND"
    calls = crm.associations.v4.batch_api.get_page(
        "calls", "deals", {"inputs": [{"id": str(ENGAGEMENT_BASE + 3)}]}
    )
    assert str(calls.results[0].to[0].to_object_id) == str(DEAL_BASE + 3)


def test_wrong_token_is_a_401_with_hubspots_body(fake):
    crm = HubSpot(access_token="wrong", host=fake.base_url).crm
    with pytest.raises(ApiException) as caught:
        crm.objects.basic_api.get_page("deals")
    assert caught.value.status == 401
    assert "INVALID_AUTHENTICATION" in caught.value.body


def test_missing_scope_is_a_403_naming_it():
    with FakeHubSpot(portal(1), TOKEN, scopes={"crm.objects.owners.read"}) as fake:
        crm = HubSpot(access_token=TOKEN, host=fake.base_url).crm
        with pytest.raises(ApiException) as caught:
            crm.objects.basic_api.get_page("deals")
    assert caught.value.status == 403
    assert "crm.objects.deals.read" in caught.value.body


def test_rate_limits_answer_429_with_policy_names_and_headers():
    policy = RateLimitPolicy(max_requests=2, interval_s=60, search_per_second=1)
    with FakeHubSpot(portal(1), TOKEN, rate_limits=policy) as fake:
        crm = HubSpot(access_token=TOKEN, host=fake.base_url).crm
        search(crm)
        with pytest.raises(ApiException) as secondly:
            search(crm)
        crm.objects.basic_api.get_page("deals")
        with pytest.raises(ApiException) as ten_secondly:
            crm.objects.basic_api.get_page("deals")
    assert (secondly.value.status, '"policyName": "SECONDLY"' in secondly.value.body) == (
        429,
        True,
    )
    headers = ten_secondly.value.headers
    assert "TEN_SECONDLY_ROLLING" in ten_secondly.value.body
    assert (headers["X-HubSpot-RateLimit-Max"], headers["X-HubSpot-RateLimit-Remaining"]) == (
        "2",
        "0",
    )
    assert fake.limiter.refused == {"SECONDLY": 1, "TEN_SECONDLY_ROLLING": 1}


def test_requests_are_counted_per_endpoint_and_object(fake, crm):
    fake.reset_counts()
    crm.owners.owners_api.get_page()
    search(crm)
    crm.objects.basic_api.get_page("calls", limit=10)
    assert dict(fake.request_counts) == {"owners": 1, "search": 1, "list": 1}
    assert fake.object_counts["list:calls"] == 1
    assert fake.peak_requests(60.0) == 3


def test_injected_faults_fire_on_matching_requests_only(fake, crm):
    fake.rate_limit_storm(1, kinds={"search"}, policy="SECONDLY")
    crm.owners.owners_api.get_page()
    with pytest.raises(ApiException) as caught:
        search(crm)
    assert caught.value.status == 429
    assert search(crm).total == 119


def _gt(prop: str, value: int) -> dict:
    return {"propertyName": prop, "operator": "GT", "value": str(value)}
