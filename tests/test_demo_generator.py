"""The demo org generator: deterministic, Salesforce-shaped, and its planted truth holds."""

from __future__ import annotations

import datetime
import itertools
import json
import re
import statistics
import time
from collections import defaultdict

import pytest

from connectors.salesforce.objects import OBJECTS, OBJECTS_BY_NAME
from demo.org.generator import SIZES, DemoOrg, generate_org
from demo.org.wire import ID_PREFIXES, salesforce_id

AS_OF = datetime.date(2026, 11, 27)
SEED = 7
AS_OF_TEXT = AS_OF.isoformat()
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STAGE_ORDER = {
    "Prospecting": 1,
    "Qualification": 2,
    "Needs Analysis": 3,
    "Proposal": 4,
    "Negotiation": 5,
    "Closed Won": 6,
    "Closed Lost": 7,
}


@pytest.fixture(scope="module")
def org() -> DemoOrg:
    return generate_org(size="tiny", seed=SEED, as_of=AS_OF)


@pytest.fixture(scope="module")
def sf(org) -> dict[str, list[dict]]:
    return org.salesforce


@pytest.fixture(scope="module")
def planted(org) -> dict:
    return org.truth["planted"]


@pytest.fixture(scope="module")
def deals(sf) -> dict[str, dict]:
    return {d["Id"]: d for d in sf["Opportunity"]}


@pytest.fixture(scope="module")
def dirty_ids(org) -> set[str]:
    return {row["id"] for row in org.truth["planted"]["dirty_fields"]["rows"]}


def _open_deals_of(sf, user_id: str) -> list[dict]:
    return [d for d in sf["Opportunity"] if d["OwnerId"] == user_id and not d["IsClosed"]]


def _close_date_pushes(sf) -> dict[str, list[tuple[str, str]]]:
    pushes = defaultdict(list)
    for row in sf["OpportunityFieldHistory"]:
        if row["Field"] == "CloseDate" and row["NewValue"] > row["OldValue"]:
            pushes[row["OpportunityId"]].append((row["OldValue"], row["NewValue"]))
    return pushes


def _quarter(date_text: str) -> tuple[int, int]:
    return int(date_text[:4]), (int(date_text[5:7]) - 1) // 3


def _iso_week(timestamp: str) -> str:
    year, week, _ = datetime.date.fromisoformat(timestamp[:10]).isocalendar()
    return f"{year}-W{week:02d}"


# Determinism and shape


def test_same_size_seed_and_as_of_give_identical_output(org):
    again = generate_org(size="tiny", seed=SEED, as_of=AS_OF)
    assert again.tables.keys() == org.tables.keys()
    for name, table in org.tables.items():
        assert again.tables[name].rows == table.rows, name
    assert again.truth == org.truth


def test_another_seed_gives_another_org(org):
    other = generate_org(size="tiny", seed=SEED + 1, as_of=AS_OF)
    assert other.tables["Opportunity"].rows != org.tables["Opportunity"].rows
    assert other.truth["ceo_id"] != org.truth["ceo_id"]


def test_every_catalog_object_is_served_with_exactly_its_fields(sf):
    assert list(sf) == [obj.name for obj in OBJECTS]
    for obj in OBJECTS:
        assert sf[obj.name], f"{obj.name} has no records"
        for record in sf[obj.name]:
            assert list(record) == obj.field_names


def test_ids_are_18_char_salesforce_ids_with_the_right_prefix(sf):
    for name, records in sf.items():
        for record in records:
            record_id = record["Id"]
            assert record_id.startswith(ID_PREFIXES[name])
            assert len(record_id) == 18
            assert salesforce_id(record_id[:3], _base62_value(record_id[6:15])) == record_id
    ids = [r["Id"] for records in sf.values() for r in records]
    assert len(ids) == len(set(ids))


def _base62_value(digits: str) -> int:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    value = 0
    for char in digits:
        value = value * 62 + alphabet.index(char)
    return value


def test_values_use_the_rest_wire_format(sf, dirty_ids):
    for obj in OBJECTS:
        for record in sf[obj.name]:
            for field, value in record.items():
                if value is None:
                    continue
                kind = str(OBJECTS_BY_NAME[obj.name].arrow_schema.field(field).type)
                if kind == "bool":
                    assert isinstance(value, bool), (obj.name, field, value)
                elif kind == "double":
                    assert isinstance(value, int | float) and not isinstance(value, bool)
                elif field in ("CreatedDate", "SystemModstamp", "ActivityDateTime"):
                    assert DATETIME.match(value), (obj.name, field, value)
                elif field in ("CloseDate", "ActivityDate", "LastActivityDate", "PrevCloseDate"):
                    assert DATE.match(value), (obj.name, field, value)
                    if record["Id"] not in dirty_ids:
                        datetime.date.fromisoformat(value)


def test_field_history_values_are_text_in_salesforce_formats(sf):
    data_types = {
        "StageName": {"Picklist"},
        "ForecastCategoryName": {"Picklist"},
        "Amount": {"Currency"},
        "CloseDate": {"Date"},
        "NextStep": {"Text"},
        "Owner": {"EntityId", "Text"},
    }
    seen = set()
    for row in sf["OpportunityFieldHistory"]:
        assert row["DataType"] in data_types[row["Field"]]
        seen.add(row["Field"])
        for value in (row["OldValue"], row["NewValue"]):
            assert value is None or isinstance(value, str)
        if row["Field"] == "CloseDate":
            datetime.date.fromisoformat(row["NewValue"])
        if row["Field"] == "Amount" and row["NewValue"] is not None:
            float(row["NewValue"])
        if row["DataType"] == "EntityId":
            assert row["NewValue"].startswith("005") and len(row["NewValue"]) == 18
    assert seen == set(data_types)


def test_references_point_to_existing_rows_except_planted_orphans(org, sf):
    ids = {name: {r["Id"] for r in records} for name, records in sf.items()}
    users, deals = ids["User"], ids["Opportunity"]
    orphans = {(o["object"], o["id"], o["field"]) for o in org.truth["orphans"]}
    checks = {
        "User": {"ManagerId": users, "UserRoleId": ids["UserRole"]},
        "UserRole": {"ParentRoleId": ids["UserRole"]},
        "Account": {"OwnerId": users},
        "Opportunity": {
            "AccountId": ids["Account"],
            "OwnerId": users,
            "CreatedById": users,
            "LastModifiedById": users,
        },
        "OpportunityHistory": {"OpportunityId": deals, "CreatedById": users},
        "OpportunityFieldHistory": {"OpportunityId": deals, "CreatedById": users},
        "Task": {"WhatId": deals, "OwnerId": users, "CreatedById": users},
        "Event": {"WhatId": deals, "OwnerId": users, "CreatedById": users},
        "OpportunityContactRole": {"OpportunityId": deals},
    }
    broken = set()
    for name, fields in checks.items():
        for record in sf[name]:
            for field, targets in fields.items():
                if record[field] is not None and record[field] not in targets:
                    broken.add((name, record["Id"], field))
    assert broken == orphans
    assert len(orphans) == 1
    contact_ids = [r["ContactId"] for r in sf["OpportunityContactRole"]]
    assert all(c.startswith("003") for c in contact_ids)


def test_hierarchy_is_ceo_directors_managers_reps_and_roles_mirror_it(org, sf):
    truth = org.truth
    users = {u["Id"]: u for u in sf["User"]}
    roles = {r["Id"]: r for r in sf["UserRole"]}
    tops = [u for u in users.values() if u["ManagerId"] is None]
    assert [u["Id"] for u in tops] == [truth["ceo_id"]]
    levels = [
        (truth["director_ids"], {truth["ceo_id"]}),
        (truth["manager_ids"], set(truth["director_ids"])),
        (truth["rep_ids"], set(truth["manager_ids"])),
    ]
    for members, bosses in levels:
        for user_id in members:
            boss = users[user_id]["ManagerId"]
            assert boss in bosses
            role = roles[users[user_id]["UserRoleId"]]
            assert role["ParentRoleId"] == users[boss]["UserRoleId"]
    assert roles[users[truth["ceo_id"]]["UserRoleId"]]["ParentRoleId"] is None
    inactive = {u["Id"] for u in users.values() if not u["IsActive"]}
    assert inactive == set(truth["inactive_user_ids"]) and inactive <= set(truth["rep_ids"])
    assert all(users[i]["ManagerId"] for i in inactive)


def test_tiny_org_has_the_specified_size(org):
    counts = org.truth["counts"]
    truth = org.truth
    assert len(truth["director_ids"]) == SIZES["tiny"].directors == 2
    assert len(truth["manager_ids"]) == 4
    assert len(truth["rep_ids"]) - len(truth["inactive_user_ids"]) == 16
    assert counts["Opportunity"] == 400
    assert 3_000 <= counts["Task"] + counts["Event"] <= 6_000
    assert counts["OpportunityStage"] == 7
    assert counts["OpportunityHistory"] >= 3 * counts["Opportunity"]
    assert counts == {name: len(table) for name, table in org.tables.items()}


def test_tiny_org_generates_in_under_two_seconds():
    started = time.perf_counter()
    generate_org(size="tiny", seed=11, as_of=AS_OF)
    assert time.perf_counter() - started < 2.0


def test_unknown_size_is_rejected_with_the_choices():
    with pytest.raises(ValueError, match="tiny, small, medium, large"):
        generate_org(size="huge")


# Time


def test_nothing_is_created_or_modified_on_or_after_as_of(sf):
    for name, records in sf.items():
        for record in records:
            for field in ("CreatedDate", "SystemModstamp"):
                if field in record:
                    assert record[field] < AS_OF_TEXT, (name, record["Id"], field)
    for deal in sf["Opportunity"]:
        if deal["IsClosed"]:
            assert deal["CloseDate"] < AS_OF_TEXT
        if deal["LastActivityDate"]:
            assert deal["LastActivityDate"] < AS_OF_TEXT
    for task in sf["Task"]:
        if task["IsClosed"]:
            assert task["ActivityDate"] < AS_OF_TEXT


def test_history_spans_two_years_up_to_the_day_before_as_of(org, sf):
    created = sorted(d["CreatedDate"] for d in sf["Opportunity"])
    start = org.truth["history_start"]
    assert start == (AS_OF - datetime.timedelta(days=730)).isoformat()
    assert start <= created[0] < (AS_OF - datetime.timedelta(days=700)).isoformat()
    assert created[-1] >= (AS_OF - datetime.timedelta(days=14)).isoformat()


def test_system_modstamp_is_never_before_created_date(sf):
    for name, records in sf.items():
        for record in records:
            if "CreatedDate" in record and "SystemModstamp" in record:
                assert record["SystemModstamp"] >= record["CreatedDate"], (name, record["Id"])


# History consistency


def test_opportunity_history_starts_at_creation_and_ends_at_the_current_values(
    sf, deals, dirty_ids
):
    by_deal = defaultdict(list)
    for row in sf["OpportunityHistory"]:
        by_deal[row["OpportunityId"]].append(row)
    assert by_deal.keys() == deals.keys()
    for deal_id, rows in by_deal.items():
        rows.sort(key=lambda r: (r["CreatedDate"], r["Id"]))
        deal = deals[deal_id]
        assert rows[0]["CreatedDate"] == deal["CreatedDate"]
        assert rows[0]["PrevAmount"] is None and rows[0]["StageName"] == "Prospecting"
        for earlier, later in itertools.pairwise(rows):
            assert later["PrevAmount"] == earlier["Amount"]
            assert later["PrevCloseDate"] == earlier["CloseDate"]
            assert earlier["SystemModstamp"] == later["CreatedDate"]
        if deal_id not in dirty_ids:
            assert (rows[-1]["StageName"], rows[-1]["Amount"], rows[-1]["CloseDate"]) == (
                deal["StageName"],
                deal["Amount"],
                deal["CloseDate"],
            )


def test_field_history_records_only_real_changes_and_the_last_modification(sf, deals):
    last_change = {}
    for row in sf["OpportunityFieldHistory"]:
        assert row["OldValue"] != row["NewValue"]
        assert row["Field"] != "created"
        deal_id = row["OpportunityId"]
        if row["CreatedDate"] > last_change.get(deal_id, ("", ""))[0]:
            last_change[deal_id] = (row["CreatedDate"], row["CreatedById"])
    for deal_id, deal in deals.items():
        changed_at, changed_by = last_change.get(
            deal_id, (deal["CreatedDate"], deal["CreatedById"])
        )
        assert deal["SystemModstamp"] == changed_at
        assert deal["LastModifiedById"] == changed_by


def test_stage_field_history_replays_to_the_current_stage(sf, deals, dirty_ids):
    stage = {deal_id: "Prospecting" for deal_id in deals}
    for row in sorted(sf["OpportunityFieldHistory"], key=lambda r: (r["CreatedDate"], r["Id"])):
        if row["Field"] == "StageName":
            assert row["OldValue"] == stage[row["OpportunityId"]]
            stage[row["OpportunityId"]] = row["NewValue"]
    for deal_id, deal in deals.items():
        if deal_id not in dirty_ids:
            assert stage[deal_id] == deal["StageName"]
            assert deal["IsClosed"] == (STAGE_ORDER[deal["StageName"]] >= 6)
            assert deal["IsWon"] == (deal["StageName"] == "Closed Won")


def test_stage_pipeline_matches_the_spec(sf, org):
    stages = sorted(sf["OpportunityStage"], key=lambda s: s["SortOrder"])
    assert [s["ApiName"] for s in stages] == list(STAGE_ORDER)
    assert [s["IsClosed"] for s in stages] == [False] * 5 + [True, True]
    assert [s["IsWon"] for s in stages] == [False] * 5 + [True, False]
    assert [s["DefaultProbability"] for s in stages] == [10, 20, 40, 60, 80, 100, 0]
    assert [s["name"] for s in org.truth["stages"]] == list(STAGE_ORDER)


def test_deals_look_like_a_real_pipeline(sf):
    closed = [d for d in sf["Opportunity"] if d["IsClosed"]]
    win_rate = sum(d["IsWon"] for d in closed) / len(closed)
    assert 0.2 <= win_rate <= 0.4
    amounts = [d["Amount"] for d in sf["Opportunity"] if d["Amount"] and d["Amount"] > 0]
    assert 15_000 <= statistics.median(amounts) <= 40_000
    contacts = defaultdict(int)
    for role in sf["OpportunityContactRole"]:
        contacts[role["OpportunityId"]] += 1
    counts = list(contacts.values())
    assert len(contacts) == len(sf["Opportunity"])
    assert sum(2 <= c <= 4 for c in counts) / len(counts) > 0.8
    # ...and some are single-threaded, so H7 has something to find.
    assert sum(c == 1 for c in counts) > 0


def test_clean_reps_keep_open_deals_healthy(org, sf, dirty_ids):
    pushes = _close_date_pushes(sf)
    last_activity = defaultdict(str)
    for task in sf["Task"]:
        if task["IsClosed"]:
            last_activity[task["WhatId"]] = max(last_activity[task["WhatId"]], task["ActivityDate"])
    week_ago = (AS_OF - datetime.timedelta(days=7)).isoformat()
    open_deals = [
        d
        for rep in org.truth["clean_rep_ids"]
        for d in _open_deals_of(sf, rep)
        if d["Id"] not in dirty_ids
    ]
    assert len(open_deals) >= 6
    for deal in open_deals:
        assert deal["CloseDate"] >= AS_OF_TEXT
        assert deal["NextStep"]
        assert deal["LastActivityDate"] >= week_ago
    assert sum(len(pushes[d["Id"]]) <= 1 for d in open_deals) / len(open_deals) >= 0.9


# Planted behaviours


def test_planted_people_are_distinct_and_exist(org, planted):
    users = {u["Id"]: u for u in org.salesforce["User"]}
    managers = [
        planted["always_on_manager"]["manager_id"],
        planted["coach_manager"]["manager_id"],
        planted["stage_skipping_team"]["manager_id"],
    ]
    reps = [
        planted["close_date_pusher"]["user_id"],
        planted["stale_past_due_rep"]["user_id"],
        planted["weak_stage_rep"]["user_id"],
        planted["deactivated_owner"]["user_id"],
        *planted["dirty_fields"]["owner_ids"],
    ]
    assert len(set(managers)) == 3 and set(managers) <= set(org.truth["manager_ids"])
    assert len(set(reps)) == len(reps) and set(reps) <= set(org.truth["rep_ids"])
    busy_teams = {managers[0], managers[2]}
    assert all(users[rep]["ManagerId"] not in busy_teams for rep in reps)
    assert not set(reps) & set(org.truth["clean_rep_ids"])
    skipping = set(planted["stage_skipping_team"]["member_ids"])
    assert not skipping & set(org.truth["clean_rep_ids"])


def test_ceo_intervenes_near_quarter_end_in_one_directors_org(org, sf, planted):
    ceo = planted["ceo_quarter_end_intervention"]
    assert ceo["leader_id"] == org.truth["ceo_id"]
    assert len(ceo["quarters"]) == 4
    windows = [(w["start"], w["end"] + "T99") for w in ceo["windows"]]
    subtree = {
        rep
        for manager in org.truth["director_managers"][ceo["director_id"]]
        for rep in org.truth["teams"][manager]
    }
    creator = {d["Id"]: d["CreatedById"] for d in sf["Opportunity"]}
    in_windows = [
        row
        for row in sf["OpportunityFieldHistory"]
        if row["CreatedById"] == ceo["leader_id"]
        and any(start <= row["CreatedDate"] <= end for start, end in windows)
    ]
    assert len(in_windows) == ceo["field_changes_in_windows"] >= 40
    assert {creator[row["OpportunityId"]] for row in in_windows} <= subtree
    assert {_iso_week(row["CreatedDate"]) for row in in_windows} == set(ceo["iso_weeks"])
    assert {row["Field"] for row in in_windows} >= {
        "StageName",
        "Amount",
        "ForecastCategoryName",
        "Owner",
    }
    takeovers = [r for r in in_windows if r["Field"] == "Owner" and r["DataType"] == "EntityId"]
    assert len(takeovers) >= 2
    assert all(creator[r["OpportunityId"]] == r["OldValue"] for r in takeovers)


def test_ceo_edits_others_deals_only_inside_the_quarter_end_windows(org, sf, planted):
    ceo = planted["ceo_quarter_end_intervention"]
    windows = [(w["start"], w["end"] + "T99") for w in ceo["windows"]]
    taken_over = set(ceo["takeover_deal_ids"])
    outside = [
        row
        for row in sf["OpportunityFieldHistory"]
        if row["CreatedById"] == ceo["leader_id"]
        and not any(start <= row["CreatedDate"] <= end for start, end in windows)
    ]
    # Outside the windows the CEO only works deals he or his pick now owns.
    assert {row["OpportunityId"] for row in outside} <= taken_over


def test_always_on_manager_edits_team_deals_every_week_and_assigns_tasks(org, sf, planted):
    always_on = planted["always_on_manager"]
    manager = always_on["manager_id"]
    team = set(always_on["member_ids"])
    creator = {d["Id"]: d["CreatedById"] for d in sf["Opportunity"]}
    weeks = {
        _iso_week(row["CreatedDate"])
        for row in sf["OpportunityFieldHistory"]
        if row["CreatedById"] == manager and creator[row["OpportunityId"]] in team
    }
    last_year = {
        _iso_week((AS_OF - datetime.timedelta(days=days)).isoformat()) for days in range(1, 365)
    }
    # The pipeline starts empty two years back, so early weeks can be quiet.
    assert len(weeks & last_year) >= len(last_year) - 2
    assert len(weeks) >= 85
    on_team = [
        row
        for row in sf["OpportunityFieldHistory"]
        if creator[row["OpportunityId"]] in team and row["Field"] != "NextStep"
    ]
    share = sum(row["CreatedById"] == manager for row in on_team) / len(on_team)
    assert share > 0.3
    directive = defaultdict(int)
    for task in sf["Task"]:
        if task["CreatedById"] != task["OwnerId"]:
            directive[task["CreatedById"]] += 1
    assert directive[manager] == always_on["directive_tasks"]
    others = [n for user, n in directive.items() if user != manager]
    assert directive[manager] >= 10 * max(others, default=1)
    assert always_on["activities_logged"] > 50


def test_coach_manager_never_touches_the_teams_deals(sf, planted):
    coach = planted["coach_manager"]["manager_id"]
    assert not [r for r in sf["OpportunityFieldHistory"] if r["CreatedById"] == coach]
    assert not [r for r in sf["OpportunityHistory"] if r["CreatedById"] == coach]
    assert not [t for t in sf["Task"] + sf["Event"] if t["CreatedById"] == coach]
    assert len(planted["coach_manager"]["member_ids"]) >= 3


def test_stale_rep_has_past_due_open_deals_without_recent_touches(sf, planted):
    stale = planted["stale_past_due_rep"]
    quiet_since = stale["quiet_since"]
    assert 30 <= (AS_OF - datetime.date.fromisoformat(quiet_since)).days <= 60
    open_deals = _open_deals_of(sf, stale["user_id"])
    assert sorted(d["Id"] for d in open_deals) == sorted(stale["open_deal_ids"])
    assert len(open_deals) >= 4
    assert sum(d["CloseDate"] < AS_OF_TEXT for d in open_deals) / len(open_deals) >= 0.8
    ids = set(stale["open_deal_ids"])
    touches = [r["CreatedDate"] for r in sf["OpportunityFieldHistory"] if r["OpportunityId"] in ids]
    touches += [a["CreatedDate"] for a in sf["Task"] + sf["Event"] if a["WhatId"] in ids]
    assert touches and max(touches) < quiet_since
    assert all(d["SystemModstamp"] < quiet_since for d in open_deals)


def test_pusher_keeps_pushing_open_deals_close_dates(org, sf, planted):
    pusher = planted["close_date_pusher"]
    pushes = _close_date_pushes(sf)
    open_ids = pusher["open_deal_ids"]
    assert len(open_ids) >= 3
    counts = [len(pushes[deal_id]) for deal_id in open_ids]
    assert statistics.median(counts) >= 3
    assert max(counts) <= 6
    crossing = [p for d in open_ids for p in pushes[d] if _quarter(p[0]) != _quarter(p[1])]
    assert crossing
    clean_open = [d["Id"] for rep in org.truth["clean_rep_ids"] for d in _open_deals_of(sf, rep)]
    assert statistics.median(len(pushes[d]) for d in clean_open) == 0


def test_weak_stage_rep_loses_most_deals_at_the_stage(org, sf, planted):
    weak = planted["weak_stage_rep"]
    order = STAGE_ORDER[weak["stage"]]

    def conversion(reps: set[str]) -> float:
        """Of the deals that reached the stage and left it, the share that moved on."""
        top_open, won = defaultdict(int), set()
        for row in sf["OpportunityHistory"]:
            deal_id, stage = row["OpportunityId"], STAGE_ORDER[row["StageName"]]
            if stage <= 5:
                top_open[deal_id] = max(top_open[deal_id], stage)
            won.update([deal_id] if row["StageName"] == "Closed Won" else [])
        closed = {d["Id"] for d in sf["Opportunity"] if d["IsClosed"]}
        owner = {d["Id"]: d["CreatedById"] for d in sf["Opportunity"]}
        left = [
            d
            for d, top in top_open.items()
            if owner[d] in reps and (top > order or (top == order and d in closed))
        ]
        moved_on = [d for d in left if top_open[d] > order or d in won]
        assert len(left) >= 10
        return len(moved_on) / len(left)

    assert weak["stage"] in STAGE_ORDER
    assert conversion({weak["user_id"]}) < 0.35
    assert conversion(set(org.truth["clean_rep_ids"])) > 0.6


def test_stage_skipping_team_jumps_stages(org, sf, planted):
    team = planted["stage_skipping_team"]
    owner = {d["Id"]: d["CreatedById"] for d in sf["Opportunity"]}

    def skip_rate(reps: set[str]) -> float:
        moves = [
            STAGE_ORDER[r["NewValue"]] - STAGE_ORDER[r["OldValue"]]
            for r in sf["OpportunityFieldHistory"]
            if r["Field"] == "StageName"
            and owner[r["OpportunityId"]] in reps
            and STAGE_ORDER[r["OldValue"]] < STAGE_ORDER[r["NewValue"]] <= 5
        ]
        return sum(step > 1 for step in moves) / len(moves)

    assert team["manager_id"] in org.truth["manager_ids"]
    assert set(team["member_ids"]) == set(org.truth["teams"][team["manager_id"]])
    assert skip_rate(set(team["member_ids"])) > 0.25
    assert skip_rate(set(org.truth["clean_rep_ids"])) < 0.08


def test_deactivated_owner_still_owns_open_deals(sf, planted):
    gone = planted["deactivated_owner"]
    user = next(u for u in sf["User"] if u["Id"] == gone["user_id"])
    assert user["IsActive"] is False and user["ManagerId"]
    open_deals = _open_deals_of(sf, gone["user_id"])
    assert len(open_deals) >= 2
    assert sorted(d["Id"] for d in open_deals) == sorted(gone["open_deal_ids"])
    deactivated = gone["deactivated_on"]
    assert all(d["SystemModstamp"] < deactivated for d in open_deals)


def test_dirty_fields_are_where_the_truth_says(org, sf, planted):
    dirty = planted["dirty_fields"]
    records = {r["Id"]: r for name in ("Opportunity", "Account") for r in sf[name]}
    kinds = {row["kind"] for row in dirty["rows"]}
    assert kinds == {
        "null_amount",
        "negative_amount",
        "zero_amount",
        "blank_next_step",
        "unicode_name",
        "long_next_step",
        "malformed_date",
        "unknown_stage",
    }
    for row in dirty["rows"]:
        record = records[row["id"]]
        value = record[row["field"]]
        if row["kind"] == "long_next_step":
            assert len(value) >= 9_000
        elif row["kind"] == "malformed_date":
            assert value.endswith("-02-30")
            with pytest.raises(ValueError):
                datetime.date.fromisoformat(value)
        elif row["kind"] == "unknown_stage":
            assert value not in STAGE_ORDER
        elif row["kind"] == "unicode_name":
            assert not value.isascii()
        else:
            assert value == row["value"]
        if row["object"] == "Opportunity":
            assert record["OwnerId"] in dirty["owner_ids"]
    assert not set(dirty["owner_ids"]) & set(org.truth["clean_rep_ids"])


def test_truth_file_round_trips_as_json(org, tmp_path):
    path = org.write_truth(tmp_path / "demo" / "truth.json")
    assert json.loads(path.read_text(encoding="utf-8")) == org.truth
    assert org.truth["size"] == "tiny" and org.truth["seed"] == SEED
    assert org.truth["as_of"] == AS_OF_TEXT


def test_arrow_tables_use_the_catalog_schema(org):
    for obj in OBJECTS:
        table = org.arrow(obj.name)
        assert table.schema == obj.arrow_schema
        assert table.num_rows == org.truth["counts"][obj.name]


def test_the_cli_offers_exactly_the_generator_sizes():
    from demo import ORG_SIZES
    from demo.org.generator import SIZES

    assert tuple(SIZES) == ORG_SIZES


def test_owners_never_leave_an_open_deal_untouched_for_two_weeks_unless_planted(org, sf, planted):
    """Staleness is planted, not an accident of the random cadence: at every week of the
    last half-year, each open deal outside the planted quiet owners was touched (or created)
    within the last 14 days (the stale_days var), so the history is as clean as the as-of."""
    quiet = {planted["stale_past_due_rep"]["user_id"], planted["deactivated_owner"]["user_id"]}
    closed_on = {
        r["OpportunityId"]: r["CreatedDate"][:10]
        for r in sorted(sf["OpportunityHistory"], key=lambda r: r["CreatedDate"])
        if r["StageName"] in ("Closed Won", "Closed Lost")
    }
    touched = defaultdict(list)
    for task in sf["Task"]:
        if task["IsClosed"]:
            touched[task["WhatId"]].append(task["ActivityDate"])
    for event in sf["Event"]:
        touched[event["WhatId"]].append(event["ActivityDateTime"][:10])
    checked = 0
    for weeks_back in range(1, 27):
        day = (AS_OF - datetime.timedelta(weeks=weeks_back)).isoformat()
        for deal in sf["Opportunity"]:
            created = deal["CreatedDate"][:10]
            if deal["OwnerId"] in quiet or created >= day or closed_on.get(deal["Id"], "9") < day:
                continue
            last = max([created, *(t for t in touched[deal["Id"]] if t < day)])
            age = (datetime.date.fromisoformat(day) - datetime.date.fromisoformat(last)).days
            assert age <= 14, (day, deal["Id"], last)
            checked += 1
    assert checked > 1000
