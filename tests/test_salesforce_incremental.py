"""Incremental syncs: watermarks, deletes, resumption, org identity and schema drift."""

import datetime as dt

import duckdb
import pytest

from connectors.errors import SyncFailed
from connectors.landing import CursorKey, read_cursor
from connectors.salesforce.client import SalesforceConnection, connect
from connectors.salesforce.objects import OBJECTS_BY_NAME
from connectors.salesforce.sync import sync_salesforce
from demo.fake_salesforce import Response
from demo.fake_salesforce.errors import error_body
from tests.salesforce_org import (
    LOADED_AT,
    fake_org,
    land,
    live_rows,
    opportunity,
    options,
    org,
    settings,
)

OPP = CursorKey("salesforce", "Opportunity")


def history(i: int, created: str) -> dict:
    return {
        "Id": f"017{i:015d}",
        "OpportunityId": f"006{i:015d}",
        "Field": "StageName",
        "DataType": "Text",
        "OldValue": "Prospecting",
        "NewValue": "Negotiation",
        "CreatedById": "005000000000000001",
        "CreatedDate": created,
        "IsDeleted": False,
    }


def change_the_org(fake) -> None:
    """Updates (some sharing one timestamp), inserts, soft and hard deletes, an undelete."""
    fake.advance(3600)
    for i in (5, 1999, 2000, 2001, 4000):  # across page boundaries, one shared stamp
        fake.update("Opportunity", f"006{i:015d}", StageName="Negotiation", Amount=9.0)
    fake.advance(1)
    for i in (10, 11, 12):
        fake.delete("Opportunity", f"006{i:015d}")
    fake.purge("Opportunity", f"006{11:015d}")  # emptied from the Recycle Bin
    fake.purge("Opportunity", f"006{20:015d}")  # hard-deleted while live
    fake.undelete("Opportunity", f"006{12:015d}")
    for n in range(3):
        fake.insert("Opportunity", opportunity(90_000 + n, SystemModstamp=None, CreatedDate=None))
    fake.delete("OpportunityFieldHistory", f"017{3:015d}")
    fake.insert("OpportunityFieldHistory", history(7, "2026-03-01T10:00:00.000+0000"))


def starting_org() -> dict:
    return org(
        4500,
        OpportunityFieldHistory=[history(i, "2026-02-01T10:00:00.000+0000") for i in range(5)],
    )


def test_incremental_run_after_changes_equals_a_fresh_full_refresh():
    names = ["Opportunity", "OpportunityFieldHistory"]
    with fake_org(starting_org()) as fake:
        con, first = land(fake, names, bulk_threshold=0)
        change_the_org(fake)
        fake.advance(60)
        _, second = land(fake, names, con, bulk_threshold=0)
        fresh, _ = land(fake, names, bulk_threshold=0)

    assert first["Opportunity"].mode == "full"
    assert second["Opportunity"].mode == "incremental"
    assert live_rows(con) == live_rows(fresh)
    assert len(live_rows(con)) == 4500 - 3 + 3  # two deleted for good, one restored
    assert live_rows(con, "opportunity_field_history") == live_rows(
        fresh, "opportunity_field_history"
    )
    # The hard-deleted rows were never silently kept live: they are flagged.
    flagged = con.execute(
        "select Id from raw_salesforce.opportunity where IsDeleted order by Id"
    ).fetchall()
    assert flagged == [(f"006{i:015d}",) for i in (10, 11, 20)]
    # The log listed 10, 11, 12 and 20; 12 was then revived by its newer copy.
    assert second["Opportunity"].deleted == 4
    # The window re-read the changed rows and the 1500 rows sharing the old watermark.
    assert second["Opportunity"].rows == 1500 + 4 + 2 + 3


def test_an_incremental_run_with_no_changes_uses_a_handful_of_requests():
    with fake_org(starting_org()) as fake:
        con, _ = land(fake, bulk_threshold=0)
        fake.advance(3600)
        fake.reset_counts()
        _, results = land(fake, con=con, bulk_threshold=0)
        counts = dict(fake.request_counts)
    # Org id and calendar (Organization, FiscalYearSettings) + object list, then per
    # incremental object describe + delete log + one window page, per reference object
    # describe + one page (this org has the two currency-rate objects; a single-currency
    # org skips them without a call).
    assert counts == {"query": 2 + 5, "sobjects": 1, "describe": 12, "deleted": 7, "queryAll": 7}
    assert sum(counts.values()) == 34
    assert all(r.mode in ("incremental", "replace") for r in results.values())


@pytest.mark.parametrize("killed_in", ["full", "incremental"])
def test_a_run_killed_after_pages_resumes_without_duplicates_or_gaps(killed_in):
    class Killed(BaseException):
        pass

    def kill_at(rows):
        def progress(name, landed):
            if landed >= rows:
                raise Killed

        return progress

    def run(fake, con, on_progress=None):
        # One page per landed chunk, so that pages land before the kill.
        chunked = options(bulk_threshold=0, rest_landing_rows=2000)
        reports = sync_salesforce(
            SalesforceConnection(connect(settings(fake)), chunked),
            con,
            objects=[OBJECTS_BY_NAME["Opportunity"]],
            loaded_at=LOADED_AT,
            on_progress=on_progress,
        )
        list(reports)

    # 700 rows share each stamp, so stamps straddle the 2000-row pages.
    stamps = [f"2026-01-01T00:00:{i // 700:02d}.000+0000" for i in range(9000)]
    rows = [opportunity(i, SystemModstamp=stamp) for i, stamp in enumerate(stamps)]
    with fake_org(org(0, Opportunity=rows)) as fake:
        con = duckdb.connect()
        if killed_in == "incremental":
            run(fake, con)
            fake.advance(60)
            # 4500 rows sharing one new stamp
            fake.update_many("Opportunity", [f"006{i:015d}" for i in range(0, 9000, 2)], Amount=1.0)
        with pytest.raises(Killed):
            # Full: two of five pages land. Incremental: one of three.
            run(fake, con, kill_at(6000 if killed_in == "full" else 4000))
        committed = read_cursor(con, OPP)
        assert committed is not None
        # The org moves on before the rerun.
        fake.advance(60)
        fake.update("Opportunity", f"006{1:015d}", Name="changed after the kill")
        fake.insert("Opportunity", opportunity(50_000, SystemModstamp=None))
        run(fake, con)
        fresh = duckdb.connect()
        run(fake, fresh)
    total, distinct = con.execute(
        "select count(*), count(distinct Id) from raw_salesforce.opportunity"
    ).fetchone()
    assert total == distinct == 9001
    assert live_rows(con) == live_rows(fresh)


def test_the_watermark_is_the_highest_landed_stamp_and_history_uses_created_date():
    seen = []
    with fake_org(starting_org()) as fake:
        fake.add_fault(
            lambda request, call_next: (
                seen.append(request.params.get("q", "")) or call_next(request)
            )
        )
        con, _ = land(fake, ["OpportunityFieldHistory", "Opportunity"])
        fake.advance(600)
        land(fake, ["OpportunityFieldHistory", "Opportunity"], con)
    assert read_cursor(con, OPP) == "2026-01-03T00:00:00.000+0000"
    # Objects sync concurrently (SALESFORCE_CONCURRENCY): their windows come in any order.
    windows = sorted(q for q in seen if "WHERE" in q)
    assert windows == sorted(
        [
            "SELECT Id, OpportunityId, Field, DataType, OldValue, NewValue, CreatedById, "
            "CreatedDate, IsDeleted FROM OpportunityFieldHistory "
            "WHERE CreatedDate >= 2026-02-01T09:50:00Z ORDER BY CreatedDate, Id",
            "SELECT Id, Name, AccountId, OwnerId, StageName, Amount, CloseDate, Probability, "
            "ForecastCategoryName, NextStep, IsClosed, IsWon, LastActivityDate, CreatedDate, "
            "CreatedById, LastModifiedById, SystemModstamp, IsDeleted FROM Opportunity "
            "WHERE SystemModstamp >= 2026-01-02T23:50:00Z ORDER BY SystemModstamp, Id",
        ]
    )


@pytest.mark.parametrize("gap", ["stale checkpoint", "purged log"])
def test_a_gap_in_the_deleted_records_log_rereads_the_object_in_full(gap):
    with fake_org(org(30)) as fake:
        con, _ = land(fake, ["Opportunity"])
        fake.advance(60)
        fake.purge("Opportunity", f"006{4:015d}")
        if gap == "stale checkpoint":
            fake.advance(16 * 86400)
        else:
            fake.advance(3600)
            fake.purge_delete_log(before=fake.now())
        _, results = land(fake, ["Opportunity"], con)
    assert results["Opportunity"].mode == "full"
    assert "re-read in full" in results["Opportunity"].warning
    assert len(live_rows(con)) == 29
    assert con.execute("select count(*) from raw_salesforce.opportunity").fetchone() == (29,)


def test_full_refresh_rebuilds_from_scratch():
    with fake_org(org(10)) as fake:
        con, _ = land(fake, ["Opportunity"])
        con.execute("insert into raw_salesforce.opportunity (Id) values ('006NOT_IN_THE_ORG')")
        fake.advance(60)
        _, incremental = land(fake, ["Opportunity"], con)
        assert con.execute("select count(*) from raw_salesforce.opportunity").fetchone() == (11,)
        _, refreshed = land(fake, ["Opportunity"], con, full_refresh=True)
    assert (incremental["Opportunity"].mode, refreshed["Opportunity"].mode) == (
        "incremental",
        "full",
    )
    assert con.execute("select count(*) from raw_salesforce.opportunity").fetchone() == (10,)


def test_another_org_is_rebuilt_instead_of_mixed_in():
    with fake_org(org(10)) as first:
        con, _ = land(first, ["Opportunity"])
    other_rows = [opportunity(100 + i) for i in range(4)]
    with fake_org(org(0, Opportunity=other_rows), organization_id="00DOTHERORG000001") as other:
        _, results = land(other, ["Opportunity"], con)
    assert results["Opportunity"].mode == "full"
    assert {row[0] for row in live_rows(con)} == {r["Id"] for r in other_rows}


def test_a_new_custom_field_is_added_and_a_vanished_one_kept_as_null():
    rows = [opportunity(i, Region__c="EMEA") for i in range(5)]
    with fake_org(org(0, Opportunity=rows)) as fake:
        con, _ = land(fake, ["Opportunity"], custom_fields=("all",))
        fake.advance(3600)
        fake.update("Opportunity", f"006{1:015d}", Segment__c="SMB")
        fake.advance(3600)
        fake.update("Opportunity", f"006{4:015d}", Name="the watermark row")
        _, added = land(fake, ["Opportunity"], con, custom_fields=("all",))
        fake.advance(3600)
        fake.drop_field("Opportunity", "Region__c")
        fake.update("Opportunity", f"006{2:015d}", Name="renamed")
        _, vanished = land(fake, ["Opportunity"], con, custom_fields=("all",))
    assert added["Opportunity"].mode == "incremental"
    assert sorted(added["Opportunity"].custom_fields) == ["Region__c", "Segment__c"]
    assert "Region__c" in vanished["Opportunity"].warning
    assert con.execute(
        "select Id, Region__c, Segment__c from raw_salesforce.opportunity order by Id limit 3"
    ).fetchall() == [
        ("006000000000000000", "EMEA", None),
        ("006000000000000001", "EMEA", "SMB"),
        ("006000000000000002", None, None),
    ]


def test_a_custom_field_that_changes_type_rebuilds_the_table():
    rows = [opportunity(i, Score__c="high") for i in range(5)]
    with fake_org(org(0, Opportunity=rows)) as fake:
        con, _ = land(fake, ["Opportunity"], custom_fields=("all",))
        fake.advance(60)
        fake.set_records("Opportunity", [opportunity(i, Score__c=float(i)) for i in range(5)])
        _, results = land(fake, ["Opportunity"], con, custom_fields=("all",))
    assert results["Opportunity"].mode == "full"
    assert "changed type" in results["Opportunity"].warning
    assert con.execute("select sum(Score__c) from raw_salesforce.opportunity").fetchone() == (10.0,)


def test_a_value_of_the_wrong_type_fails_the_object_without_moving_its_watermark():
    with fake_org(org(10)) as fake:
        con, _ = land(fake, ["Opportunity"])
        before = read_cursor(con, OPP)
        fake.advance(60)
        fake.update("Opportunity", f"006{3:015d}", Amount="lots")
        with pytest.raises(SyncFailed, match=r"Opportunity\.Amount values that are not double"):
            land(fake, ["Opportunity"], con)
    assert read_cursor(con, OPP) == before
    assert con.execute("select count(*) from raw_salesforce.opportunity").fetchone() == (10,)


def test_one_failing_object_does_not_stop_the_others():
    def account_describe_fails(request, call_next):
        if request.kind == "describe" and request.args["object"] == "Account":
            return Response(500, error_body("UNKNOWN_EXCEPTION", "An unexpected error occurred"))
        return call_next(request)

    with fake_org(org(10)) as fake:
        fake.add_fault(account_describe_fails)
        con = duckdb.connect()
        with pytest.raises(SyncFailed, match="Account"):
            land(fake, ["Account", "Opportunity"], con)
    assert con.execute("select count(*) from raw_salesforce.opportunity").fetchone() == (10,)
    assert con.execute(
        "select object, status from sync_state.salesforce_objects order by object"
    ).fetchall() == [("Account", "failed"), ("Opportunity", "synced")]


def test_server_clock_not_the_machine_clock_drives_the_delete_window():
    with fake_org(org(5)) as fake:
        fake.clock = dt.datetime(2031, 6, 1, tzinfo=dt.UTC)  # far from this machine's clock
        con, _ = land(fake, ["Opportunity"])
        fake.advance(120)
        fake.purge("Opportunity", f"006{1:015d}")
        fake.advance(120)
        _, results = land(fake, ["Opportunity"], con)
    assert results["Opportunity"].mode == "incremental"
    assert results["Opportunity"].deleted == 1


def test_an_object_without_a_deleted_records_log_still_syncs_with_a_warning():
    def no_log(request, call_next):
        if request.kind == "deleted":
            return Response(404, error_body("NOT_FOUND", "The requested resource does not exist"))
        return call_next(request)

    with fake_org(org(5)) as fake:
        con, _ = land(fake, ["Opportunity"])
        fake.add_fault(no_log)
        fake.advance(60)
        fake.delete("Opportunity", f"006{1:015d}")
        _, results = land(fake, ["Opportunity"], con)
    assert results["Opportunity"].mode == "incremental"
    assert "no deleted-records log" in results["Opportunity"].warning
    assert len(live_rows(con)) == 4  # the Recycle Bin row still arrives flagged
