"""Salesforce objects sync concurrently (issue #18): several objects in flight, each
landed exactly as when synced alone; an error that stops the run stops every
worker, one that fails an object fails only that object."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
import types

import duckdb
import pytest

from connectors.errors import ConfigurationError, CrmAuthError, SyncFailed
from connectors.landing import CursorKey, read_cursor
from connectors.salesforce.client import SalesforceConnection, connect
from connectors.salesforce.objects import OBJECTS, OBJECTS_BY_NAME
from connectors.salesforce.settings import SyncOptions
from connectors.salesforce.sync import sync_salesforce
from demo.fake_salesforce.errors import SalesforceApiError, invalid_session
from tests.salesforce_org import LOADED_AT, fake_org, land, opportunity, options, org, settings

NAMES = ["Account", "Opportunity", "Task"]
TABLES = {"Account": "account", "Opportunity": "opportunity", "Task": "task"}
# Two 2,000-row pages per landing (the fake's page size is 2,000); REST only.
CHUNK = {"bulk_threshold": 0, "rest_landing_rows": 4000}


def _stamp(i: int) -> str:
    # Many rows share one timestamp: the window's order is (SystemModstamp, Id).
    return f"2026-01-{1 + i // 1500:02d}T00:00:00.000+0000"


def _rows(prefix: str, n: int, **fields) -> list[dict]:
    return [
        {
            "Id": f"{prefix}{i:015d}",
            "IsDeleted": False,
            "CreatedDate": "2026-01-01T00:00:00.000+0000",
            "SystemModstamp": _stamp(i),
            **fields,
        }
        for i in range(n)
    ]


def three_objects(n: int) -> dict:
    return org(
        n,
        Account=_rows("001", n, Name="Acme"),
        Task=_rows("00T", n, Subject="Call"),
    )


class InFlight:
    """Fault rule: every data request takes `latency` seconds; counts how many overlap."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.now = self.most = 0
        self._lock = threading.Lock()

    def __call__(self, request, call_next):
        if request.kind not in ("query", "queryAll", "query_more", "describe"):
            return call_next(request)
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            time.sleep(self.latency)
            return call_next(request)
        finally:
            with self._lock:
                self.now -= 1


def _sync(fake, con, names=NAMES, **option_overrides):
    """Sync `names`; returns the reports by table."""
    connection = SalesforceConnection(connect(settings(fake)), options(**option_overrides))
    reports = sync_salesforce(
        connection, con, objects=[OBJECTS_BY_NAME[n] for n in names], loaded_at=LOADED_AT
    )
    return {report.table: report for report in reports}


def _counts(con) -> dict[str, tuple[int, int]]:
    return {
        name: con.execute(
            f"select count(*), count(distinct Id) from raw_salesforce.{table}"
        ).fetchone()
        for name, table in TABLES.items()
    }


def _sync_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("salesforce-")]


# -- objects overlap ---------------------------------------------------------------------


@pytest.mark.parametrize(("concurrency", "overlap"), [(1, False), (3, True)])
def test_objects_are_read_at_once_and_each_reports_its_own_requests(concurrency, overlap):
    with fake_org(three_objects(4500)) as fake:
        slow = fake.add_fault(InFlight(0.02))
        con = duckdb.connect()
        reports = _sync(fake, con, concurrency=concurrency, **CHUNK)
    # Each object on its own costs one describe, one COUNT() and three pages: only
    # several objects at once put more than one request on the wire.
    assert (slow.most >= 2) is overlap
    assert {t: r.details["api_requests"] for t, r in reports.items()} == {
        "account": 5,
        "opportunity": 5,
        "task": 5,
    }
    assert _counts(con) == {name: (4500, 4500) for name in NAMES}
    assert read_cursor(con, CursorKey("salesforce", "Task")) == _stamp(4499)


def test_concurrency_comes_from_the_environment():
    assert SyncOptions.from_env({}).concurrency == 3
    assert SyncOptions.from_env({"SALESFORCE_CONCURRENCY": "1"}).concurrency == 1
    with pytest.raises(ConfigurationError, match="SALESFORCE_CONCURRENCY"):
        SyncOptions.from_env({"SALESFORCE_CONCURRENCY": "0"})


# -- a real kill with several objects mid-way ----------------------------------------------


class HoldEveryQuery:
    """Fault rule: each query's ``nth`` next-page request waits until the test lets go.

    A query's page n+1 is only requested once page n is in hand, so when the 3rd
    next-page request of a 10,000-row query waits, pages 1-2 are landed (one
    4,000-row chunk) and page 3 is fetched and buffered, not landed.
    """

    def __init__(self, nth: int, queries: int) -> None:
        self.nth = nth
        self.queries = queries
        self.seen: dict[str, int] = {}
        self.held = 0
        self.all_held = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, request, call_next):
        if request.kind == "query_more" and not self.release.is_set():
            locator = request.args["locator"].rpartition("-")[0]
            with self._lock:
                self.seen[locator] = self.seen.get(locator, 0) + 1
                hold = self.seen[locator] == self.nth
                if hold:
                    self.held += 1
                    if self.held == self.queries:
                        self.all_held.set()
            if hold:
                self.release.wait(timeout=60)
        return call_next(request)


def _sync_in_child(instance_url: str, path: str) -> None:
    land(
        types.SimpleNamespace(instance_url=instance_url),
        NAMES,
        duckdb.connect(path),
        concurrency=3,
        **CHUNK,
    )


def test_a_concurrent_sync_killed_with_every_object_mid_way_resumes_exactly(tmp_path):
    path = str(tmp_path / "warehouse.duckdb")
    with fake_org(three_objects(10_000)) as fake:
        hold = fake.add_fault(HoldEveryQuery(3, queries=3))
        child = multiprocessing.get_context("spawn").Process(
            target=_sync_in_child, args=(fake.instance_url, path)
        )
        child.start()
        try:
            deadline = time.monotonic() + 120
            while not hold.all_held.wait(0.1) and child.is_alive() and time.monotonic() < deadline:
                pass
            # All three objects wait for their 4th page at once: three in flight.
            assert hold.all_held.is_set(), f"not every object got mid-way ({child.exitcode=})"
            os.kill(child.pid, signal.SIGKILL)
            child.join(timeout=30)
        finally:
            hold.release.set()
            if child.is_alive():
                child.kill()
        assert child.exitcode == -signal.SIGKILL

        con = duckdb.connect(path)
        # Each object kept its one landed chunk, with the watermark of its last row.
        assert _counts(con) == {name: (4000, 4000) for name in NAMES}
        for name in NAMES:
            assert read_cursor(con, CursorKey("salesforce", name)) == _stamp(3999)

        reports = _sync(fake, con, concurrency=3, **CHUNK)
        reference = duckdb.connect()
        _sync(fake, reference, concurrency=1, **CHUNK)

    assert {r.mode for r in reports.values()} == {"incremental"}  # resumed from the cursors
    assert _counts(con) == {name: (10_000, 10_000) for name in NAMES}
    for table in TABLES.values():
        query = f"select * exclude (_loaded_at) from raw_salesforce.{table}"
        assert set(con.execute(query).fetchall()) == set(reference.execute(query).fetchall())


# -- the error policy ----------------------------------------------------------------------


class ExpireOnQuery:
    """Fault rule: the `nth` next-page request of the run is refused as an expired
    session; every request is slowed so that the other objects are mid-way; records
    the requests that came after."""

    def __init__(self, nth: int) -> None:
        self.remaining = nth
        self.expired = False
        self.after: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, request, call_next):
        time.sleep(0.02)
        with self._lock:
            if self.expired:
                # Answered: only the run's own stop keeps the others from going on.
                self.after.append(request.kind)
                return call_next(request)
            if request.kind == "query_more":
                self.remaining -= 1
                if self.remaining == 0:
                    self.expired = True
                    raise invalid_session()
        return call_next(request)


def test_an_expired_session_in_one_worker_stops_every_worker_at_a_committed_landing():
    with fake_org(three_objects(10_000)) as fake:
        con = duckdb.connect()
        expire = fake.add_fault(ExpireOnQuery(5))
        with pytest.raises(CrmAuthError, match="Refresh SALESFORCE_ACCESS_TOKEN"):
            _sync(fake, con, concurrency=3, **CHUNK)
        # Raised only once every worker (and page prefetch) has ended.
        assert _sync_threads() == []
        # The others stopped at their next request. Each other object has one
        # request at a time on the wire: the one in flight when the refusal was sent,
        # and at most one more sent before the refusal reached the client.
        assert len(expire.after) <= 2 * 2
        landed = _counts(con)
        # Every landed chunk came with its watermark: rows are whole 4,000-row
        # chunks, and the cursor is the last landed row's.
        for name, (rows, distinct) in landed.items():
            assert rows == distinct and rows % 4000 == 0 and rows < 10_000
            cursor = read_cursor(con, CursorKey("salesforce", name))
            assert cursor == (_stamp(rows - 1) if rows else None)
        assert sum(rows for rows, _ in landed.values()) < 30_000

        fake.clear_faults()
        _sync(fake, con, concurrency=3, **CHUNK)
    assert _counts(con) == {name: (10_000, 10_000) for name in NAMES}


class RefuseDescribe:
    """Fault rule: one object's describe is refused (a request error of that object)."""

    def __init__(self, object_name: str) -> None:
        self.object_name = object_name

    def __call__(self, request, call_next):
        if request.kind == "describe" and request.args.get("object") == self.object_name:
            raise SalesforceApiError(400, "MALFORMED_QUERY", "Injected refusal")
        return call_next(request)


def test_a_request_error_fails_only_its_object_while_the_others_land():
    with fake_org(three_objects(4500)) as fake:
        fake.add_fault(RefuseDescribe("Opportunity"))
        con = duckdb.connect()
        landed: list[str] = []
        connection = SalesforceConnection(connect(settings(fake)), options(concurrency=3, **CHUNK))
        reports = sync_salesforce(
            connection,
            con,
            objects=[OBJECTS_BY_NAME[n] for n in NAMES],
            loaded_at=LOADED_AT,
        )
        with pytest.raises(SyncFailed, match="Opportunity") as caught:
            for report in reports:
                landed.append(report.table)
    assert "Account" not in str(caught.value) and "Task" not in str(caught.value)
    assert sorted(landed) == ["account", "task"]
    assert con.execute("select count(*) from raw_salesforce.account").fetchone() == (4500,)
    assert con.execute("select count(*) from raw_salesforce.task").fetchone() == (4500,)
    assert _sync_threads() == []


def test_reports_name_every_object_whatever_order_they_finish_in():
    # Opportunity is the biggest: with three workers it finishes last, not second.
    records = org(6000, Account=_rows("001", 10, Name="Acme"), Task=_rows("00T", 10))
    records["Opportunity"] = [opportunity(i) for i in range(6000)]
    with fake_org(records) as fake:
        fake.add_fault(InFlight(0.02))
        con = duckdb.connect()
        reports = _sync(fake, con, concurrency=3, **CHUNK)
    assert list(reports)[-1] == "opportunity"
    assert {t: r.rows for t, r in reports.items()} == {
        "account": 10,
        "opportunity": 6000,
        "task": 10,
    }


class ReadTogether:
    """Fault rule: each object's one data query (its only page) waits until every object
    has sent its own, so that all then land and record their status at once."""

    def __init__(self, names: list[str]) -> None:
        self.names = set(names)
        self.barrier = threading.Barrier(len(names), timeout=20)

    def __call__(self, request, call_next):
        soql = request.params.get("q", "")
        if "COUNT()" not in soql and soql.rpartition(" FROM ")[2].split(" ")[0] in self.names:
            self.barrier.wait()
        return call_next(request)


def test_a_first_run_with_every_object_at_once_lands_them_all(tmp_path):
    # DuckDB refuses two transactions creating one table at once: the tables every
    # object writes to (sync state, the raw schema) exist before the workers start.
    # A race: five fresh warehouses make it show (before the fix, most runs did).
    names = [obj.name for obj in OBJECTS]
    with fake_org(three_objects(10)) as fake:
        for attempt in range(5):
            fake.clear_faults()
            fake.add_fault(ReadTogether(names))
            con = duckdb.connect(str(tmp_path / f"warehouse-{attempt}.duckdb"))
            reports = _sync(fake, con, names, concurrency=len(OBJECTS))
            assert set(reports) == {obj.table for obj in OBJECTS}
            statuses = con.execute("select count(*) from sync_state.salesforce_objects")
            assert statuses.fetchone() == (len(OBJECTS),)
