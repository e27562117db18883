"""Incremental dbt models: after a day of changes, the incremental build equals a full one.

The real nightly job lands a demo org served by the fake CRM API and builds it; the
org then lives a mixed day through the fake's change API (inserts, updates,
deletes, owner and stage changes, history that arrives late) and the job runs
again, incrementally. The same raw data, built with `dbt run --full-refresh` in a
copy of the working file, must give the same rows in every incremental model and
every mart, row for row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from benchmarks.changes import apply_day_of_changes
from connectors.errors import ConfigurationError
from demo.fake_salesforce import FakeSalesforce
from demo.fake_salesforce.server import fake_organization_id
from demo.org.generator import generate_org
from demo.org.org_calendar import organization_fields
from pipelines import warehouse as wh
from pipelines.calendar import recorded_calendar
from pipelines.defs.dbt_models import (
    INCREMENTAL_STATE,
    dbt_environment,
    full_rebuild_reason,
    recorded_org_chart,
)
from pipelines.settings import Settings
from tests.dbt_runner import run_dbt
from tests.mart_fingerprints import fingerprints

FIRST_DAY = dt.date(2026, 11, 27)
NEXT_DAY = FIRST_DAY + dt.timedelta(days=1)
TOKEN = "incremental-test-token"
# The models built incrementally (their config blocks), compared row for row.
INCREMENTAL_MODELS = (
    "intermediate.int_deal_field_history",
    "intermediate.int_deal_stage_history",
    # incremental across as-of dates too (macros/incremental_as_of.sql)
    "intermediate.int_deal_actions",
    "intermediate.int_activities_screened",
    "intermediate.int_deal_field_periods",
    "intermediate.int_stage_entries",
)
# The as-of parts over them rebuilt in full (exact for any as_of), compared row for
# row too.
AS_OF_MODELS = (
    "intermediate.int_deal_stage_periods",
    "intermediate.int_stage_transitions",
)
# They and everything downstream of them, in dbt's selection syntax.
DOWNSTREAM = [f"{model.split('.')[1]}+" for model in INCREMENTAL_MODELS]


# The build half of the nightly job: its landing and dbt assets, without their
# checks (dbt data tests, great-expectations suites), the publish or the report.
# Those read the models and write nothing an incremental build reads, and cost more
# than the build itself on the tiny org.
NOT_BUILT = ("published_warehouse", "trust_report", "history/metric_history")


def nightly(published: Path, as_of: dt.date, crm: str = "salesforce", **run_params) -> None:
    """Land the CRM the SALESFORCE_* / HUBSPOT_* variables name and build it, as the
    nightly job does (its own assets, resources and dbt invocation)."""
    from pipelines.definitions import defs

    built = (
        dg.AssetSelection.all()
        - dg.AssetSelection.assets(*(dg.AssetKey.from_user_string(k) for k in NOT_BUILT))
    ).without_checks()
    job = dg.define_asset_job("build_only", selection=built, executor_def=dg.in_process_executor)
    run_config = {
        "resources": {
            "crm": {"config": {"source": crm}},
            "run_params": {"config": {"as_of": as_of.isoformat(), **run_params}},
            "warehouse": {"config": {"path": str(published)}},
        }
    }
    with dg.DagsterInstance.ephemeral() as instance:
        result = (
            dg.Definitions.merge(defs(), dg.Definitions(jobs=[job]))
            .resolve_job_def("build_only")
            .execute_in_process(run_config=run_config, instance=instance, raise_on_error=False)
        )
    assert result.success, [e.message for e in result.all_events if e.is_failure]


def state(working: Path) -> dict[str, tuple]:
    with duckdb.connect(str(working), read_only=True) as con:
        rows = con.execute(
            f"select model, watermark, built_at, full_built_at from {INCREMENTAL_STATE}"
        ).fetchall()
    return {model: rest for model, *rest in rows}


def full_refresh_copy(working: Path, tmp_path: Path, as_of: dt.date) -> Path:
    """The same raw data built from scratch, with the settings the run recorded.

    The incremental models and everything downstream of them are rebuilt; the rest
    read no incremental model, so the run's own copy of them is already a full build."""
    copy = tmp_path / "full" / "trustgap.working.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(working, copy)
    with wh.connect(copy, read_only=True) as con:
        chosen = recorded_calendar(con)
    with dbt_environment(copy, as_of, recorded_org_chart(copy), chosen):
        done = run_dbt(
            ["run", "--full-refresh", "--select", *DOWNSTREAM],
            tmp_path / "full",
            copy,
            as_of.isoformat(),
        )
    assert done.returncode == 0, done.stdout[-3000:]
    return copy


def differences(left: Path, right: Path, table: str) -> tuple[int, int, int, int]:
    """(rows left, rows right, rows only left, rows only right), duplicates counted."""
    with duckdb.connect(str(left), read_only=True) as con:
        con.execute(f"attach '{right}' as other (read_only)")
        return con.execute(
            f"select (select count(*) from {table}), (select count(*) from other.{table}), "
            f"(select count(*) from (from {table} except all from other.{table})), "
            f"(select count(*) from (from other.{table} except all from {table}))"
        ).fetchone()


def assert_same_rows(working: Path, full: Path) -> None:
    """The incremental build's incremental models, their as-of parts and marts are
    the full refresh's, row for row."""
    for table in INCREMENTAL_MODELS + AS_OF_MODELS:
        left, right, only_left, only_right = differences(working, full, table)
        assert (only_left, only_right) == (0, 0), table
        assert left == right > 0, table
    assert fingerprints(working) == fingerprints(full)


def assert_built_incrementally(first: dict[str, tuple], second: dict[str, tuple]) -> None:
    """Every incremental model's second build was incremental: its watermark moved,
    its last full build did not (an equal full rebuild would prove nothing)."""
    for table in INCREMENTAL_MODELS:
        model = table.split(".")[1]
        assert second[model][0] > first[model][0], model
        assert second[model][2] == first[model][2], model


def stage_events(working: Path, touched: dict[str, str]) -> dict[str, list[str | None]]:
    """The stage each event of the day's restaged, emptied, inserted and deleted
    deals reached, in int_deal_stage_history's order (None: the deal's creation)."""
    names = ("restaged", "emptied", "inserted", "deleted")
    with duckdb.connect(str(working), read_only=True) as con:
        events = dict(
            con.execute(
                "select deal_id, list(to_stage order by event_number) "
                "from intermediate.int_deal_stage_history "
                "where deal_id in (select unnest(?)) group by 1",
                [[touched[name] for name in names]],
            ).fetchall()
        )
    return {name: events.get(touched[name], []) for name in names}


def assert_day_in_stage_history(working: Path, touched: dict[str, str]) -> None:
    """The day's stage changes are in the incremental table, not just equal by accident."""
    events = stage_events(working, touched)
    assert events["restaged"][0] is None
    assert events["restaged"][-1] == "Closed Lost"
    # it lost every logged change: its creation at most (none if it is not live)
    assert events["emptied"] in ([None], [])
    assert events["inserted"] == [None]
    assert events["deleted"] == []


def mixed_day(fake: FakeSalesforce) -> dict[str, str]:
    """A day of every kind of change, on top of the benchmark's ordinary day."""
    apply_day_of_changes(fake, FIRST_DAY, seed=3)
    live = [d for d in fake.records("Opportunity") if not d.get("IsDeleted")]
    open_deals = [d for d in live if not d.get("IsClosed")]
    owners = sorted({d["OwnerId"] for d in live if d.get("OwnerId")})
    deleted, reassigned, restaged, late = open_deals[0], open_deals[1], open_deals[2], live[3]
    fake.advance(60)
    fake.delete("Opportunity", deleted["Id"])
    new_owner = next(o for o in owners if o != reassigned["OwnerId"])
    fake.update("Opportunity", reassigned["Id"], OwnerId=new_owner)
    fake.insert(
        "OpportunityFieldHistory",
        {
            "OpportunityId": reassigned["Id"],
            "Field": "Owner",
            "DataType": "EntityId",
            "OldValue": reassigned["OwnerId"],
            "NewValue": new_owner,
            "CreatedById": new_owner,
            "IsDeleted": False,
        },
    )
    fake.update("Opportunity", restaged["Id"], StageName="Closed Lost", IsClosed=True)
    fake.insert(
        "OpportunityFieldHistory",
        {
            "OpportunityId": restaged["Id"],
            "Field": "StageName",
            "DataType": "Text",
            "OldValue": restaged["StageName"],
            "NewValue": "Closed Lost",
            "CreatedById": restaged["OwnerId"],
            "IsDeleted": False,
        },
    )
    # Late-arriving history: created weeks before the last build, landed only now.
    fake.insert(
        "OpportunityFieldHistory",
        {
            "OpportunityId": late["Id"],
            "Field": "CloseDate",
            "DataType": "Date",
            "OldValue": "2026-09-30",
            "NewValue": late.get("CloseDate"),
            "CreatedById": late["OwnerId"],
            "CreatedDate": "2026-10-15T16:00:00.000+0000",
            "IsDeleted": False,
        },
    )
    # A deal loses a logged change (a deleted history row): its rows must go too.
    gone = next(
        h
        for h in fake.records("OpportunityFieldHistory")
        if h["Field"] == "Amount" and not h.get("IsDeleted")
    )
    fake.delete("OpportunityFieldHistory", gone["Id"])
    # Another loses every logged change: no new row names it in the incremental
    # tables, the pre-hook must still delete its old ones.
    emptied = next(
        h["OpportunityId"]
        for h in fake.records("OpportunityFieldHistory")
        if not h.get("IsDeleted") and h["OpportunityId"] != gone["OpportunityId"]
    )
    for h in fake.records("OpportunityFieldHistory"):
        if h["OpportunityId"] == emptied and not h.get("IsDeleted"):
            fake.delete("OpportunityFieldHistory", h["Id"])
    inserted = fake.insert(
        "Opportunity",
        {
            **{k: v for k, v in live[5].items() if k not in ("Id", "CreatedDate")},
            "Name": "Inserted today",
            "SystemModstamp": None,
        },
    )
    # An activity moves to another deal (its old deal's actions must lose it) and one
    # is deleted.
    on_deals = [
        t
        for t in fake.records("Task")
        if str(t.get("WhatId") or "").startswith("006") and not t.get("IsDeleted")
    ]
    moved = on_deals[0]
    new_deal = next(d["Id"] for d in live[6:] if d["Id"] != moved["WhatId"])
    fake.update("Task", moved["Id"], WhatId=new_deal)
    fake.delete("Task", on_deals[1]["Id"])
    return {
        "moved_task": moved["Id"],
        "moved_from": moved["WhatId"],
        "moved_to": new_deal,
        "deleted_task": on_deals[1]["Id"],
        "deleted": deleted["Id"],
        "reassigned": reassigned["Id"],
        "restaged": restaged["Id"],
        "late": late["Id"],
        "lost_change": gone["OpportunityId"],
        "emptied": emptied,
        "inserted": inserted["Id"],
    }


def dated_ahead(fake: FakeSalesforce) -> dict[str, str]:
    """A task and a deal landed on the first day but created on the next (an import
    that sets their creation dates): only the next as_of sees them, and no later
    landing names their deals again (macros/incremental_as_of.sql's window)."""
    live = [d for d in fake.records("Opportunity") if not d.get("IsDeleted")]
    deal = live[-1]
    # noon UTC: the next day in the demo org's zone (America/Los_Angeles)
    created = f"{NEXT_DAY.isoformat()}T12:00:00.000+0000"
    # last modified a week before the first sync: not the newest row, whose stamp the
    # next sync's overlap reads again (its deal would be in scope)
    modified = "2026-11-20T00:00:00.000+0000"
    task = fake.insert(
        "Task",
        {
            "WhatId": deal["Id"],
            "OwnerId": deal["OwnerId"],
            "CreatedById": deal["OwnerId"],
            "Subject": "Call ahead",
            "Type": "Call",
            "ActivityDate": NEXT_DAY.isoformat(),
            "IsClosed": False,
            "CreatedDate": created,
            "SystemModstamp": modified,
        },
    )
    open_deal = next(d for d in live if not d.get("IsClosed"))
    new_deal = fake.insert(
        "Opportunity",
        {
            **{k: v for k, v in open_deal.items() if k not in ("Id", "CreatedDate")},
            "Name": "Created ahead",
            "CreatedDate": created,
            "SystemModstamp": modified,
        },
    )
    return {"deal": deal["Id"], "task": task["Id"], "new_deal": new_deal["Id"]}


def landed_at(working: Path, opportunity_id: str) -> dt.datetime:
    """When the landing last wrote the opportunity's raw row."""
    with duckdb.connect(str(working), read_only=True) as con:
        (stamp,) = con.execute(
            "select _loaded_at from raw_salesforce.opportunity where id = ?", [opportunity_id]
        ).fetchone()
    return stamp


def hubspot_mixed_day(portal) -> dict[str, str]:
    """The same kinds of change in a HubSpot portal, by users, now.

    Now, not on the demo's day: HubSpot's sync window starts where the last sync
    started, by the wall clock (connectors/hubspot/object_sync.py)."""
    at = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    deals = portal.objects["deals"].records
    live = sorted(i for i, r in deals.items() if not r.archived)
    open_deals = [i for i in live if deals[i].properties.get("hs_is_closed") != "true"]
    owners = [o for o in portal.owners if o.get("userId")]
    user = owners[0]["userId"]
    restaged, reassigned, repriced, archived, late = open_deals[:5]
    stages = {deals[i].properties["dealstage"] for i in live}
    new_stage = next(s for s in sorted(stages) if s != deals[restaged].properties["dealstage"])
    portal.update("deals", restaged, {"dealstage": new_stage}, at_ms=at, user_id=user)
    new_owner = next(
        str(o["id"])
        for o in owners
        if str(o["id"]) != deals[reassigned].properties.get("hubspot_owner_id")
    )
    portal.update("deals", reassigned, {"hubspot_owner_id": new_owner}, at_ms=at + 1000)
    portal.update("deals", repriced, {"amount": "123456"}, at_ms=at + 2000, user_id=user)
    portal.archive("deals", archived, at_ms=at + 3000)
    # Late-arriving history: a change logged weeks ago that reaches the API only now.
    past = at - 40 * 86_400_000
    portal.update("deals", late, {"closedate": "2026-12-31T00:00:00Z"}, at_ms=past)
    portal.touch("deals", [late], at_ms=at + 4000)
    source = deals[live[-1]].properties
    inserted = portal.create(
        "deals",
        {
            name: source.get(name)
            for name in ("pipeline", "dealstage", "amount", "closedate", "hubspot_owner_id")
        }
        | {"dealname": "Inserted today"},
        at_ms=at + 5000,
        user_id=user,
    )
    return {
        "restaged": str(restaged),
        "reassigned": str(reassigned),
        "repriced": str(repriced),
        "archived": str(archived),
        "late": str(late),
        "inserted": str(inserted),
        "at": dt.datetime.fromtimestamp(at / 1000, dt.UTC),
        "past": dt.datetime.fromtimestamp(past / 1000, dt.UTC),
    }


@pytest.fixture
def salesforce_org(monkeypatch):
    """The tiny demo org behind the fake Salesforce API, named by SALESFORCE_* variables."""
    org = generate_org(size="tiny", seed=7, as_of=FIRST_DAY)
    with FakeSalesforce(
        records=org.salesforce,
        access_token=TOKEN,
        organization_id=fake_organization_id("tiny", 7, FIRST_DAY.isoformat()),
        organization=organization_fields(org.fiscal_year_start_month),
    ) as fake:
        fake.clock = dt.datetime.combine(FIRST_DAY, dt.time(2), tzinfo=dt.UTC)
        for name in list(os.environ):
            if name.startswith(("SALESFORCE_", "HUBSPOT_")):
                monkeypatch.delenv(name)
        monkeypatch.setenv("SALESFORCE_INSTANCE_URL", fake.instance_url)
        monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("SALESFORCE_BULK_THRESHOLD", "1000000000")
        yield fake


# Three builds of the tiny org (two landings with dbt builds, a full refresh) and one
# dbt run of the incremental model: minutes on a loaded 2-core machine (the report of
# issue #17 gives the figure measured).
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_salesforce_day_of_changes_incremental_equals_full_refresh(salesforce_org, tmp_path):
    published = tmp_path / "warehouse" / "trustgap.duckdb"
    working = wh.working_path(published)
    ahead = dated_ahead(salesforce_org)
    nightly(published, FIRST_DAY)
    first = state(working)
    ahead_landed = landed_at(working, ahead["new_deal"])

    touched = mixed_day(salesforce_org)
    assert not {ahead["deal"], ahead["new_deal"]} & set(touched.values())
    salesforce_org.clock = dt.datetime.combine(NEXT_DAY, dt.time(2), tzinfo=dt.UTC)
    nightly(published, NEXT_DAY)
    assert_built_incrementally(first, state(working))
    # only the as-of window can bring the deal created ahead into the second build
    assert landed_at(working, ahead["new_deal"]) == ahead_landed

    full = full_refresh_copy(working, tmp_path, NEXT_DAY)
    assert_same_rows(working, full)

    # The day's changes are in the incremental table, not just equal by accident.
    with duckdb.connect(str(working), read_only=True) as con:
        changes = dict(
            con.execute(
                "select deal_id, list(field order by changed_at) "
                "from intermediate.int_deal_field_history "
                "where deal_id in (select unnest(?)) group by 1",
                [list(touched.values())],
            ).fetchall()
        )
    assert "owner" in changes[touched["reassigned"]]
    assert changes[touched["restaged"]][-1] == "stage"
    assert "close_date" in changes[touched["late"]]
    assert touched["emptied"] not in changes
    assert_day_in_stage_history(working, touched)
    with duckdb.connect(str(working), read_only=True) as con:
        activities = con.execute(
            "select action_id, deal_id from intermediate.int_deal_actions "
            "where action_id in (?, ?)",
            [touched["moved_task"], touched["deleted_task"]],
        ).fetchall()
    assert activities == [(touched["moved_task"], touched["moved_to"])]
    # Dated after the first as_of, by the second: in its actions now, though no row of
    # the deal landed again.
    with duckdb.connect(str(working), read_only=True) as con:
        ahead_actions = con.execute(
            "select action_id from intermediate.int_deal_actions "
            "where deal_id = ? and acted_on = ? order by 1",
            [ahead["deal"], NEXT_DAY],
        ).fetchall()
    assert ahead_actions == [(ahead["task"],)]
    # Created after the first as_of, by the second: its field periods and its entry
    # into its stage exist now, though no row of it landed again.
    with duckdb.connect(str(working), read_only=True) as con:
        ahead_periods = con.execute(
            "select count(*) from intermediate.int_deal_field_periods where deal_id = ?",
            [ahead["new_deal"]],
        ).fetchone()
        ahead_entries = con.execute(
            "select count(*) from intermediate.int_stage_entries where deal_id = ?",
            [ahead["new_deal"]],
        ).fetchone()
    assert (ahead_periods, ahead_entries) == ((6,), (1,))

    # A new org time zone moves every change's local date: the model's next build is a
    # full one (its fingerprint changed) although no raw row is newer than its watermark.
    before = state(full)["int_deal_field_history"]
    with wh.connect(full, read_only=True) as con:
        elsewhere = dataclasses.replace(recorded_calendar(con), timezone="Asia/Tokyo")
    with dbt_environment(full, NEXT_DAY, recorded_org_chart(full), elsewhere):
        done = run_dbt(
            ["run", "--select", "int_deal_changes", "int_deal_field_history"],
            tmp_path / "full",
            full,
            NEXT_DAY.isoformat(),
        )
    assert done.returncode == 0, done.stdout[-3000:]
    # Worked out once, though the model's SQL, pre-hook and post-hook all ask.
    assert done.stdout.count("int_deal_field_history build scope: fingerprint changed") == 1
    after = state(full)["int_deal_field_history"]
    assert after[2] > before[2]
    assert after[0] == before[0]
    with duckdb.connect(str(full), read_only=True) as con:
        (wrong_day,) = con.execute(
            "select count(*) from intermediate.int_deal_field_history "
            "where changed_on != cast(timezone('Asia/Tokyo', changed_at) as date)"
        ).fetchone()
        (changes_count,) = con.execute(
            "select count(*) from intermediate.int_deal_field_history"
        ).fetchone()
    assert (wrong_day, changes_count > 0) == (0, True)


@pytest.fixture
def hubspot_portal(monkeypatch, tmp_path):
    """The tiny demo org as a portal behind the fake HubSpot API, with its hierarchy files."""
    from demo.fake_hubspot import FakeHubSpot
    from demo.org.hubspot import render_hubspot

    rendering = render_hubspot(generate_org(size="tiny", seed=7, as_of=FIRST_DAY))
    org_chart = rendering.write_org_chart(tmp_path / "org_chart.csv")
    team_managers = rendering.write_team_managers(tmp_path / "team_managers.csv")
    with FakeHubSpot(rendering.portal, TOKEN) as fake:
        for name in list(os.environ):
            if name.startswith(("SALESFORCE_", "HUBSPOT_")):
                monkeypatch.delenv(name)
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("HUBSPOT_API_BASE", fake.base_url)
        monkeypatch.setenv("HUBSPOT_RATE_LIMIT", "2000")
        monkeypatch.setenv("HUBSPOT_SEARCH_RATE_LIMIT", "50")
        monkeypatch.setenv("TRUSTGAP_TEAM_MANAGERS", str(team_managers))
        # Every rebuilt key set read as a subquery, as over a mass update's 20,000 keys
        # (macros/incremental.sql, incremental_key_list); the Salesforce tests inline them.
        monkeypatch.setenv("TRUSTGAP_INCREMENTAL_KEY_LIMIT", "0")
        yield fake.portal, str(org_chart)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_hubspot_day_of_changes_incremental_equals_full_refresh(hubspot_portal, tmp_path):
    portal, org_chart = hubspot_portal
    published = tmp_path / "warehouse" / "trustgap.duckdb"
    working = wh.working_path(published)
    nightly(published, FIRST_DAY, "hubspot", org_chart=org_chart)
    first = state(working)

    touched = hubspot_mixed_day(portal)
    today = dt.datetime.now(dt.UTC).date()  # the portal's zone is UTC
    nightly(published, today, "hubspot", org_chart=org_chart)
    assert_built_incrementally(first, state(working))

    full = full_refresh_copy(working, tmp_path, today)
    assert_same_rows(working, full)

    # The day's changes are in the incremental table, not just equal by accident.
    with duckdb.connect(str(working), read_only=True) as con:
        changed = set(
            con.execute(
                "select deal_id, field from intermediate.int_deal_field_history "
                "where changed_at >= ?",
                [touched["at"]],
            ).fetchall()
        )
        late = con.execute(
            "select count(*) from intermediate.int_deal_field_history "
            "where deal_id = ? and field = 'close_date' and changed_at = ?",
            [touched["late"], touched["past"]],
        ).fetchone()[0]
        archived = con.execute(
            "select count(*) from intermediate.int_deal_field_history where deal_id = ?",
            [touched["archived"]],
        ).fetchone()[0]
        stage_moves = con.execute(
            "select deal_id, to_stage from intermediate.int_deal_stage_history "
            "where occurred_at >= ? and event_number > 0",
            [touched["at"]],
        ).fetchall()
        archived_events = con.execute(
            "select count(*) from intermediate.int_deal_stage_history where deal_id = ?",
            [touched["archived"]],
        ).fetchone()[0]
    assert {
        (touched["restaged"], "stage"),
        (touched["reassigned"], "owner"),
        (touched["repriced"], "amount"),
    } <= changed
    assert late == 1
    assert [deal for deal, _ in stage_moves] == [touched["restaged"]]
    # An archived deal's history goes with it.
    assert (archived, archived_events) == (0, 0)


def test_periodic_full_rebuild_is_due_after_the_setting_days(tmp_path):
    working = tmp_path / "w.duckdb"
    now = dt.datetime(2026, 11, 28, 2, tzinfo=dt.UTC)
    # No working file yet: nothing to rebuild, the first build is full anyway.
    assert full_rebuild_reason(working, full_refresh=False, every_days=7, now=now) is None
    assert "full-refresh run" in full_rebuild_reason(
        working, full_refresh=True, every_days=7, now=now
    )
    assert "every run" in full_rebuild_reason(working, full_refresh=False, every_days=0, now=now)
    with duckdb.connect(str(working)) as con:
        con.execute("create schema trustgap_build")
        con.execute(
            f"create table {INCREMENTAL_STATE} (model varchar, watermark timestamptz, "
            "fingerprint varchar, built_at timestamptz, full_built_at timestamptz)"
        )
        con.execute(
            f"insert into {INCREMENTAL_STATE} values "
            "('a', null, '', null, '2026-11-22 02:00:00+00'), "
            "('b', null, '', null, '2026-11-20 02:00:00+00')"
        )
    # The oldest full build counts: b's, 8 days ago.
    assert "2026-11-20 02:00" in full_rebuild_reason(
        working, full_refresh=False, every_days=7, now=now
    )
    assert full_rebuild_reason(working, full_refresh=False, every_days=9, now=now) is None


def test_incremental_settings_are_checked():
    assert Settings.from_env({}).full_rebuild_days == 7
    assert Settings.from_env({"TRUSTGAP_FULL_REBUILD_DAYS": "0"}).full_rebuild_days == 0
    assert Settings.from_env({}).incremental_key_limit == 20_000
    with pytest.raises(ConfigurationError, match="TRUSTGAP_INCREMENTAL_KEY_LIMIT"):
        Settings.from_env({"TRUSTGAP_INCREMENTAL_KEY_LIMIT": "lots"})
    with pytest.raises(ConfigurationError, match="TRUSTGAP_FULL_REBUILD_DAYS"):
        Settings.from_env({"TRUSTGAP_FULL_REBUILD_DAYS": "weekly"})
