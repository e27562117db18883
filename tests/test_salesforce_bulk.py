"""Bulk API 2.0: same rows as REST, page-bounded memory, fallbacks and failures."""

import tracemalloc

import pytest

from connectors.errors import SyncFailed
from connectors.landing import CursorKey, read_cursor
from demo.fake_salesforce.faults import Truncate
from tests.salesforce_org import fake_org, land, opportunity, org

NAMES = ["Opportunity", "OpportunityFieldHistory"]


def awkward_org(n: int) -> dict:
    """Rows that stress CSV: unicode, quotes, commas, newlines, nulls, deletes, anyType."""
    rows = [
        opportunity(
            i,
            Name=f'Deal "{i}", Société – Ω 🚀' if i % 3 else f"Deal {i}",
            NextStep=None if i % 4 == 0 else 'Call back,\nthen send the "MSA"',
            Amount=None if i % 7 == 0 else 1000.5 + i,
            IsDeleted=i % 50 == 0,
            Probability=10.0,
            Region__c="EMEA" if i % 2 else None,
        )
        for i in range(n)
    ]
    history = [
        {
            "Id": f"017{i:015d}",
            "OpportunityId": f"006{i:015d}",
            "Field": "Amount",
            "DataType": "Currency",
            "OldValue": [1000.5, 2000, True, "text, with comma", None][i % 5],
            "NewValue": 3000.25,
            "CreatedById": "005000000000000001",
            "CreatedDate": "2026-02-01T10:00:00.000+0000",
            "IsDeleted": False,
        }
        for i in range(n)
    ]
    return org(0, Opportunity=rows, OpportunityFieldHistory=history)


def table_rows(con, table):
    return sorted(
        con.execute(f"select * exclude (_loaded_at) from raw_salesforce.{table}").fetchall(),
        key=lambda row: row[0],
    )


def test_bulk_lands_the_same_rows_as_rest():
    with fake_org(awkward_org(5000)) as fake:
        rest, by_rest = land(fake, NAMES, bulk_threshold=0, custom_fields=("all",))
        fake.reset_counts()
        bulk, by_bulk = land(
            fake, NAMES, bulk_threshold=100, bulk_page_size=1000, custom_fields=("all",)
        )
        counts = dict(fake.request_counts)
    for name, table in (("Opportunity", "opportunity"), ("OpportunityFieldHistory", None)):
        table = table or "opportunity_field_history"
        assert (by_rest[name].transport, by_bulk[name].transport) == ("rest", "bulk")
        assert table_rows(bulk, table) == table_rows(rest, table)
        assert by_bulk[name].watermark == by_rest[name].watermark
    assert by_bulk["Opportunity"].pages == 5
    # Per object: describe, COUNT(), create, one poll, one request per 1000-row page.
    assert counts == {
        "query": 2,  # Organization and FiscalYearSettings
        "sobjects": 1,
        "describe": 2,
        "queryAll": 2,
        "bulk_create": 2,
        "bulk_job": 2,
        "bulk_results": 10,
    }
    assert [j["operation"] for j in fake.bulk_jobs] == ["queryAll", "queryAll"]


def test_bulk_memory_is_bounded_by_one_result_page():
    def peak(page_size):
        with fake_org(org(20_000)) as fake:
            tracemalloc.start()
            land(fake, ["Opportunity"], bulk_threshold=100, bulk_page_size=page_size)
            _, high = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        return high

    one_page = peak(20_000)
    small_pages = peak(1_000)
    assert small_pages < one_page / 3


def test_a_failed_bulk_job_falls_back_to_rest():
    with fake_org(org(3000)) as fake:
        fake.fail_bulk_jobs(1, "InternalServerError: query timed out")
        con, results = land(fake, ["Opportunity"], bulk_threshold=100)
    result = results["Opportunity"]
    assert result.transport == "rest"
    assert "query timed out" in result.warning
    assert con.execute("select count(distinct Id) from raw_salesforce.opportunity").fetchone() == (
        3000,
    )


def test_an_object_bulk_does_not_support_falls_back_to_rest():
    with fake_org(org(3000)) as fake:
        fake.bulk_unsupported.add("Opportunity")
        con, results = land(fake, ["Opportunity"], bulk_threshold=100)
        jobs = fake.bulk_jobs
    assert results["Opportunity"].transport == "rest"
    assert "not supported by the Bulk API" in results["Opportunity"].warning
    assert jobs == []
    assert con.execute("select count(*) from raw_salesforce.opportunity").fetchone() == (3000,)


def test_a_job_that_never_finishes_is_aborted_and_rest_used():
    with fake_org(org(3000), bulk_polls=10_000) as fake:
        con, results = land(fake, ["Opportunity"], bulk_threshold=100, bulk_timeout_seconds=0.05)
        jobs = fake.bulk_jobs
    assert results["Opportunity"].transport == "rest"
    assert [j["state"] for j in jobs] == ["Aborted"]
    assert con.execute("select count(*) from raw_salesforce.opportunity").fetchone() == (3000,)


def test_a_truncated_bulk_page_fails_without_moving_the_watermark_or_losing_rows():
    key = CursorKey("salesforce", "Opportunity")
    with fake_org(org(3000)) as fake:
        con, _ = land(fake, ["Opportunity"], bulk_threshold=0)
        before = read_cursor(con, key)
        fake.advance(60)
        fake.update("Opportunity", f"006{1:015d}", Name="changed")
        fake.add_fault(Truncate(kinds={"bulk_results"}, keep=0.6))
        with pytest.raises(SyncFailed, match=r"truncated|does not parse"):
            land(fake, ["Opportunity"], con, bulk_threshold=100, bulk_page_size=1000)
        assert con.execute("select count(*) from raw_salesforce.opportunity").fetchone() == (3000,)
        assert read_cursor(con, key) == before
        _, results = land(fake, ["Opportunity"], con, bulk_threshold=100, bulk_page_size=1000)
    assert results["Opportunity"].rows >= 1
    assert con.execute(
        "select Name from raw_salesforce.opportunity where Id = '006000000000000001'"
    ).fetchone() == ("changed",)


def test_a_large_change_window_goes_through_bulk():
    with fake_org(org(3000)) as fake:
        con, _ = land(fake, ["Opportunity"], bulk_threshold=0)
        fake.advance(3600)
        fake.update_many(
            "Opportunity", [f"006{i:015d}" for i in range(0, 3000, 2)], StageName="Closed Won"
        )
        _, results = land(fake, ["Opportunity"], con, bulk_threshold=1000, bulk_page_size=500)
    result = results["Opportunity"]
    # The window: the 1500 rows sharing the old watermark plus 750 older updated rows.
    assert (result.mode, result.transport, result.rows, result.pages) == (
        "incremental",
        "bulk",
        2250,
        5,
    )
    assert result.watermark.startswith("2026-03-01T10:00:00")
    assert con.execute(
        "select count(*), count(distinct Id) filter (where StageName = 'Closed Won') "
        "from raw_salesforce.opportunity"
    ).fetchone() == (3000, 1500)


def test_the_next_bulk_page_downloads_while_this_one_lands():
    """(#17) A Bulk job's pages were requested one after another's landing: the
    connector waited on the CRM, then the CRM on the connector. Now, while each page
    lands (the progress callback runs after it), the next one is already asked for."""
    import time

    import duckdb

    from connectors.salesforce.client import SalesforceConnection, connect
    from connectors.salesforce.objects import OBJECTS_BY_NAME
    from connectors.salesforce.sync import sync_salesforce
    from tests.salesforce_org import options, settings

    asked_while_landing = {}

    with fake_org(org(5000)) as fake:

        def landed(name, rows):
            # Page rows // 1000 has landed; give the next request up to 2 s to arrive.
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                if fake.request_counts.get("bulk_results", 0) > rows // 1000:
                    break
                time.sleep(0.01)
            asked_while_landing[rows] = fake.request_counts.get("bulk_results", 0) > rows // 1000

        connection = SalesforceConnection(
            connect(settings(fake)), options(bulk_threshold=100, bulk_page_size=1000)
        )
        con = duckdb.connect()
        reports = list(
            sync_salesforce(
                connection, con, objects=[OBJECTS_BY_NAME["Opportunity"]], on_progress=landed
            )
        )

    assert [r.rows for r in reports] == [5000]
    assert con.execute("select count(*) from raw_salesforce.opportunity").fetchone() == (5000,)
    assert asked_while_landing == {1000: True, 2000: True, 3000: True, 4000: True, 5000: False}
