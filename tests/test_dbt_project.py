"""The dbt project builds on a small hand-made raw Salesforce database and its
marts hold the hand-computed hygiene values.

The raw tables are landed with the connectors' own landing function from the
Salesforce object catalog, so the test tracks the raw contract; the rows are
inline and each deal covers one behaviour. dbt runs as a subprocess, as Dagster
runs it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from connectors.landing import land_batches
from connectors.salesforce.objects import OBJECTS, RAW_SCHEMA
from tests.dbt_runner import run_dbt

AS_OF = "2026-11-27"
LOADED_AT = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)


def write_raw_salesforce(path: Path, rows_by_table: dict[str, list[dict]]) -> None:
    """Land every raw_salesforce table (empty unless given rows) in a DuckDB file."""
    unknown = set(rows_by_table) - {obj.table for obj in OBJECTS}
    if unknown:
        raise ValueError(f"not raw Salesforce tables: {sorted(unknown)}")
    with duckdb.connect(str(path)) as con:
        for obj in OBJECTS:
            rows = rows_by_table.get(obj.table, [])
            for row in rows:
                extra = set(row) - set(obj.field_names)
                if extra:
                    raise ValueError(f"{obj.table}: unknown fields {sorted(extra)}")
            batch = pa.Table.from_pylist(rows, schema=obj.arrow_schema)
            land_batches(con, RAW_SCHEMA, obj.table, obj.arrow_schema, [batch], loaded_at=LOADED_AT)


def _user(user_id, manager_id=None, *, active=True, name=None):
    return {
        "Id": user_id,
        "Name": name or user_id,
        "Email": f"{user_id.lower()}@example.com",
        "IsActive": active,
        "ManagerId": manager_id,
        "CreatedDate": "2024-01-01T00:00:00.000+0000",
    }


def _stage(api_name, order, *, closed=False, won=False):
    return {
        "Id": f"stage-{order}",
        "ApiName": api_name,
        "MasterLabel": api_name,
        "SortOrder": float(order),
        "IsActive": True,
        "IsClosed": closed,
        "IsWon": won,
    }


def _deal(deal_id, owner_id, stage, **fields):
    row = {
        "Id": deal_id,
        "Name": f"Deal {deal_id}",
        "OwnerId": owner_id,
        "StageName": stage,
        "Amount": 1000.0,
        "CloseDate": "2026-12-31",
        "IsClosed": stage.startswith("Closed"),
        "IsWon": stage == "Closed Won",
        "IsDeleted": False,
        "CreatedDate": "2026-09-01T09:00:00.000+0000",
    }
    row.update(fields)
    return row


def _change(change_id, deal_id, field, old, new, day, *, data_type="Text"):
    """An OpportunityFieldHistory row logged at 10:00 UTC on `day`."""
    return {
        "Id": change_id,
        "OpportunityId": deal_id,
        "Field": field,
        "DataType": data_type,
        "OldValue": old,
        "NewValue": new,
        "CreatedById": "005REP1",
        "CreatedDate": f"{day}T10:00:00.000+0000",
        "IsDeleted": False,
    }


RAW_ROWS = {
    "user": [
        _user("005CEO"),
        _user("005DIR", "005CEO"),
        _user("005MGR", "005DIR"),
        _user("005REP1", "005MGR"),
        _user("005REP2", "005MGR"),
        _user("005GONE", "005MGR", active=False),
    ],
    "opportunity_stage": [
        _stage("Qualification", 1),
        _stage("Proposal", 2),
        _stage("Negotiation", 3),
        _stage("Closed Won", 4, closed=True, won=True),
        _stage("Closed Lost", 5, closed=True),
    ],
    "opportunity": [
        # Created 2026-10-01, never touched, due last week, no next step.
        _deal(
            "006NEGLECTED",
            "005REP1",
            "Proposal",
            CloseDate="2026-11-20",
            CreatedDate="2026-10-01T12:00:00.000+0000",
        ),
        # Pushed twice to later dates and once earlier; a call two days ago.
        _deal("006PUSHED", "005REP1", "Negotiation", CloseDate="2027-01-31", NextStep="Contract"),
        # Closed in the past: never past due.
        _deal("006WON", "005REP2", "Closed Won", CloseDate="2026-10-15", NextStep="  "),
        # Deleted and not-yet-created deals are not in the marts.
        _deal("006DELETED", "005REP2", "Proposal", IsDeleted=True),
        _deal("006FUTURE", "005REP2", "Proposal", CreatedDate="2026-11-30T09:00:00.000+0000"),
        # A close date that is not a date: quarantined, not in the marts.
        _deal("006DIRTY", "005REP2", "Qualification", CloseDate="2026-13-45", NextStep="Demo"),
    ],
    "opportunity_field_history": [
        _change("017A", "006PUSHED", "CloseDate", "2026-11-15", "2026-12-01", "2026-10-01"),
        _change("017B", "006PUSHED", "CloseDate", "2026-12-01", "2026-11-25", "2026-10-15"),
        _change("017C", "006PUSHED", "CloseDate", "2026-11-25", "2026-12-20", "2026-11-01"),
        _change("017D", "006PUSHED", "StageName", "Proposal", "Negotiation", "2026-11-01"),
        # After as_of: not a push yet, and the close date on as_of is still 2026-12-20.
        _change("017E", "006PUSHED", "CloseDate", "2026-12-20", "2027-01-31", "2026-11-28"),
        # Salesforce logs an owner change twice: user ids (EntityId) and names (Text).
        _change(
            "017F", "006WON", "Owner", "005REP1", "005REP2", "2026-10-01", data_type="EntityId"
        ),
        _change("017G", "006WON", "Owner", "Rep One", "Rep Two", "2026-10-01", data_type="Text"),
    ],
    "task": [
        {
            "Id": "00TCALL",
            "WhatId": "006PUSHED",
            "OwnerId": "005REP1",
            "CreatedById": "005REP1",
            "ActivityDate": "2026-11-25",
            "Status": "Completed",
            "IsClosed": True,
            "TaskSubtype": "Call",
            "CreatedDate": "2026-11-25T15:00:00.000+0000",
            "IsDeleted": False,
        },
        {
            "Id": "00TBADDATE",
            "WhatId": "006DIRTY",
            "OwnerId": "005REP2",
            "CreatedById": "005REP2",
            "ActivityDate": "not-a-date",
            "IsClosed": False,
            "CreatedDate": "2026-11-20T15:00:00.000+0000",
            "IsDeleted": False,
        },
    ],
    "opportunity_contact_role": [
        {"Id": "00KA", "OpportunityId": "006PUSHED", "ContactId": "003A", "IsDeleted": False},
    ],
}


@pytest.fixture(scope="module")
def built_warehouse(tmp_path_factory) -> Path:
    """Run `dbt build` as of AS_OF on RAW_ROWS; return the working database."""
    tmp_path = tmp_path_factory.mktemp("dbt")
    warehouse = tmp_path / "working.duckdb"
    write_raw_salesforce(warehouse, RAW_ROWS)
    result = run_dbt(["build"], tmp_path, warehouse, AS_OF)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    return warehouse


def _rows(warehouse: Path, table: str, key: str) -> dict[str, dict]:
    """Rows of a table, as dicts keyed by one column."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(f"select * from {table}")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {row[key]: row for row in rows}


def _deals(warehouse: Path) -> dict[str, dict]:
    return _rows(warehouse, "marts.fct_deals", "deal_id")


def test_fct_deals_keeps_live_deals_as_of(built_warehouse):
    deals = _deals(built_warehouse)
    assert set(deals) == {"006NEGLECTED", "006PUSHED", "006WON"}
    assert {d["as_of"] for d in deals.values()} == {dt.date(2026, 11, 27)}
    assert deals["006PUSHED"]["manager_id"] == "005MGR"


def test_deal_without_activity_is_stale_past_due_and_missing_next_step(built_warehouse):
    deal = _deals(built_warehouse)["006NEGLECTED"]
    assert deal["days_since_activity"] == 57
    assert deal["is_stale"] and deal["is_past_due"] and deal["is_missing_next_step"]
    assert not deal["is_slipping"]
    assert deal["is_stuck"] is None  # no closed deal went through Proposal
    # Past the first stage without a contact, while the org has contact data.
    assert deal["is_single_threaded"]
    assert not deal["has_stage_regression"] and not deal["is_stale_value"]
    assert deal["hygiene_issue_count"] == 4


def test_pushes_count_later_dates_only_up_to_as_of(built_warehouse):
    deal = _deals(built_warehouse)["006PUSHED"]
    assert deal["push_count"] == 2
    assert deal["is_slipping"]
    assert deal["close_date"] == dt.date(2026, 12, 20)  # the later push is after as_of
    assert deal["days_since_activity"] == 2
    assert deal["days_in_stage"] == 26
    assert not deal["is_stale"] and not deal["is_missing_next_step"]
    assert deal["is_complete"]


def test_owner_changes_keep_the_user_id_rows(built_warehouse):
    changes = _rows(built_warehouse, "intermediate.int_deal_changes", "change_id")
    owner_changes = {k: v for k, v in changes.items() if v["field"] == "owner"}
    assert set(owner_changes) == {"017F"}
    assert owner_changes["017F"]["new_value"] == "005REP2"


def test_closed_deals_are_not_flagged(built_warehouse):
    won = _deals(built_warehouse)["006WON"]
    assert not won["is_past_due"] and not won["is_missing_next_step"] and won["is_stuck"] is False
    assert won["hygiene_issue_count"] == 0


def test_unparseable_dates_are_quarantined_with_the_value_sent(built_warehouse):
    deals = _rows(built_warehouse, "quarantine.deals", "deal_id")
    assert {k: (v["reason"], v["field"], v["value"]) for k, v in deals.items()} == {
        "006DIRTY": ("unparseable_date", "close_date", "2026-13-45")
    }
    activities = _rows(built_warehouse, "quarantine.activities", "activity_id")
    assert {k: (v["reason"], v["value"]) for k, v in activities.items()} == {
        "00TBADDATE": ("unparseable_date", "not-a-date")
    }


def test_rep_hygiene_rolls_up_open_deals(built_warehouse):
    reps = _rows(built_warehouse, "marts.rep_hygiene", "rep_id")
    rep1 = reps["005REP1"]
    assert rep1["manager_id"] == "005MGR"
    assert rep1["open_deals"] == 2 and rep1["open_value"] == 2000.0
    assert rep1["stale_deals"] == 1 and rep1["past_due_deals"] == 1
    assert rep1["slipping_deals"] == 1 and rep1["missing_next_step_deals"] == 1
    assert rep1["completeness"] == pytest.approx(0.5)
    assert rep1["clean_deal_share"] == 0.0


def test_dim_users_hierarchy(built_warehouse):
    users = _rows(built_warehouse, "marts.dim_users", "user_id")
    assert users["005CEO"]["depth"] == 0 and users["005CEO"]["director_id"] is None
    assert users["005REP1"]["depth"] == 3 and users["005REP1"]["director_id"] == "005DIR"
    assert users["005MGR"]["span_of_control"] == 2  # the inactive report does not count
    assert users["005MGR"]["is_manager"] and not users["005REP1"]["is_manager"]


def test_won_deal_without_stage_history_closes_on_its_close_date(built_warehouse):
    # 006WON has no stage history: it closed on its close date, 2026-10-15, after
    # REP1 handed it to REP2 (2026-10-01), so the outcome is REP2's.
    won = _deals(built_warehouse)["006WON"]
    assert won["closed_on"] == dt.date(2026, 10, 15)
    assert won["close_owner_id"] == "005REP2"


def test_quiet_org_has_leader_weeks_without_breaches(built_warehouse):
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        leaders, breaches, interventions = con.execute(
            "select count(distinct leader_id), count(*) filter (where micromanagement_index > 0), "
            "sum(interventions) from marts.leader_signals_weekly"
        ).fetchone()
    # REP1 moved and edited their own deals: nobody above intervened.
    assert leaders == 3 and breaches == 0 and interventions == 0


def test_kpi_catalog_reports_history_coverage_and_empty_raw_tables(built_warehouse):
    catalog = _rows(built_warehouse, "marts.kpi_catalog", "metric_id")
    assert len(catalog) == 33
    # 006PUSHED and 006WON have field history; 006NEGLECTED has none (006DIRTY is
    # quarantined).
    assert catalog["K2"]["org_value"] == pytest.approx(2 / 3)
    assert catalog["K3"]["org_value"] == 1.0
    # The hand-made org lands no events: metrics reading them say so.
    assert "raw_salesforce.event" in catalog["H5"]["note"]
    assert catalog["H2"]["note"] is None
    assert catalog["K1"]["org_value"] == 0.0
    assert all(row["computed_as_of"] == dt.date(2026, 11, 27) for row in catalog.values())
