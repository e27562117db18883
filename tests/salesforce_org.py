"""Fixture orgs and a fast-retrying connection for the Salesforce connector tests."""

from __future__ import annotations

import datetime as dt

import duckdb

from connectors.errors import Secret
from connectors.salesforce.client import SalesforceConnection, connect
from connectors.salesforce.objects import OBJECTS, OBJECTS_BY_NAME
from connectors.salesforce.settings import SalesforceSettings, SyncOptions
from connectors.salesforce.sync import sync_salesforce
from demo.fake_salesforce import FakeSalesforce

TOKEN = "FAKEORG!fake-session-secret-for-tests"
LOADED_AT = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)
# The fake org's clock in these tests: after every fixture's timestamps.
NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
FAST = SyncOptions(bulk_poll_seconds=0.001, bulk_max_poll_seconds=0.01)


def opportunity(i: int, **overrides) -> dict:
    record = {
        "Id": f"006{i:015d}",
        "Name": f"Deal {i}",
        "OwnerId": "005000000000000001",
        "StageName": "Prospecting",
        "Amount": 1000.0 + i,
        "CloseDate": "2026-12-31",
        "IsClosed": False,
        "IsWon": False,
        "IsDeleted": False,
        "CreatedDate": "2026-01-01T00:00:00.000+0000",
        # Many rows share one timestamp: ordering must still be total (by Id).
        "SystemModstamp": f"2026-01-{1 + i // 1500:02d}T00:00:00.000+0000",
    }
    record.update(overrides)
    return record


def org(opportunities: int = 0, **extra) -> dict:
    records = {obj.name: [] for obj in OBJECTS}
    records["Opportunity"] = [opportunity(i) for i in range(opportunities)]
    records.update(extra)
    return records


def fake_org(records: dict, **kwargs) -> FakeSalesforce:
    fake = FakeSalesforce(records=records, access_token=TOKEN, **kwargs)
    fake.clock = NOW
    return fake


def settings(fake: FakeSalesforce, token: str = TOKEN, **overrides) -> SalesforceSettings:
    values = {
        "instance_url": fake.instance_url,
        "access_token": Secret(token),
        "max_retries": 3,
        "backoff_factor": 0,
        "timeout": (2.0, 5.0),
    }
    values.update(overrides)
    return SalesforceSettings(**values)


def options(**overrides) -> SyncOptions:
    values = {"bulk_poll_seconds": 0.001, "bulk_max_poll_seconds": 0.01}
    values.update(overrides)
    return SyncOptions(**values)


def land(fake, names=None, con=None, *, token=TOKEN, **option_overrides):
    """Sync `names` (default: every object) into `con` (default: a new in-memory db)."""
    api = connect(settings(fake, token))
    con = con or duckdb.connect()
    objects = [OBJECTS_BY_NAME[n] for n in names] if names else OBJECTS
    results = {}
    connection = SalesforceConnection(api, options(**option_overrides))
    for _ in sync_salesforce(
        connection,
        con,
        objects=objects,
        loaded_at=LOADED_AT,
        on_result=lambda r: results.setdefault(r.object_name, r),
    ):
        pass
    return con, results


def live_rows(con, table: str = "opportunity", columns: str = "*") -> set[tuple]:
    """The table's current, non-deleted rows as a set (without load times)."""
    return set(
        con.execute(
            f"select {columns} exclude (_loaded_at) from raw_salesforce.{table} "
            "where not coalesce(IsDeleted, false)"
        ).fetchall()
    )
