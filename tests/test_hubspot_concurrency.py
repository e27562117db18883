"""The HubSpot sync with several requests in flight: overlap, pacing, stops and resumes.

Every test runs the real client (hubspot-api-client) against the fake HubSpot, with
latency added by a fault rule, on windows scaled down so the tests stay short.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from connectors.errors import CrmAuthError
from connectors.hubspot.client import HubSpotConnection
from connectors.hubspot.object_sync import HubSpotSync
from connectors.hubspot.objects import OBJECTS_BY_NAME
from connectors.hubspot.ratelimit import RateLimits, RequestLimiter
from connectors.hubspot.sync import sync_hubspot
from connectors.landing import CursorKey, read_cursor
from demo.fake_hubspot import UNLIMITED, FakeHubSpot, RateLimitPolicy
from demo.fake_hubspot.ratelimit import HubSpotApiError
from demo.fake_hubspot.ratelimit import RateLimiter as FakeRateLimiter
from tests.hubspot_fixtures import LOADED_AT, TOKEN, api, portal
from tests.test_hubspot_connector import assert_same_tables

OBJECTS = tuple(OBJECTS_BY_NAME[name] for name in ("deals", "calls", "notes"))


class InFlight:
    """A fault rule: answers `latency_s` late (or a seeded random 0..latency_s when
    `jitter`), and records how many requests were in the fake at once."""

    def __init__(self, latency_s: float, *, jitter: bool = False) -> None:
        self.latency_s = latency_s
        self.random = random.Random(17) if jitter else None
        self.now = 0
        self.most = 0
        self._lock = threading.Lock()

    def __call__(self, request, call_next):
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
            delay = self.random.uniform(0, self.latency_s) if self.random else self.latency_s
        try:
            time.sleep(delay)
            return call_next(request)
        finally:
            with self._lock:
                self.now -= 1


def full_sync(fake, con=None, *, concurrency, **options):
    con = con or duckdb.connect()
    client = options.pop("client", None) or api(fake)
    HubSpotSync(client, con, loaded_at=LOADED_AT, concurrency=concurrency, **options).sync_all(
        OBJECTS
    )
    return con


def worker_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("hubspot-sync-")]


def test_with_latency_the_sync_keeps_several_requests_in_flight_and_lands_the_same_rows():
    latency = 0.1
    with FakeHubSpot(portal(100, calls=300, notes=300), TOKEN, rate_limits=UNLIMITED) as fake:
        reference = full_sync(fake, concurrency=1)
        fake.reset_counts()
        overlapped = fake.add_fault(InFlight(latency))
        started = time.perf_counter()
        concurrent_con = full_sync(fake, concurrency=4)
        concurrent_s = time.perf_counter() - started
        requests = fake.total_requests
    assert overlapped.most >= 3
    # One request after another, the latency alone would take requests x latency.
    assert concurrent_s < requests * latency
    assert_same_tables(reference, concurrent_con)
    assert worker_threads() == []


def test_a_full_budget_at_full_concurrency_draws_no_429_whatever_the_latency():
    """End to end over HTTP: the client's budget equals what the fake allows (no
    headroom left at all) and latency varies per request. (The next test isolates
    why: counted from sends, arrivals would bunch up past the window.)"""
    window = 0.5
    policy = RateLimitPolicy(max_requests=9, interval_s=window, search_per_second=None)
    limits = RateLimits(requests=10, interval_s=window)
    assert limits.request_budget == policy.max_requests
    with FakeHubSpot(portal(300, calls=1500, notes=500), TOKEN, rate_limits=policy) as fake:
        fake.add_fault(InFlight(0.08, jitter=True))
        client = api(fake, limits=limits)
        full_sync(fake, client=client, concurrency=4, chunk_rows=200)
        total = fake.total_requests
        refused = dict(fake.limiter.refused)
        peak = fake.peak_requests(window)
    assert total >= 40  # 5 windows' worth at least
    assert refused == {}
    assert policy.max_requests - 2 <= peak <= policy.max_requests  # paced up to, never over
    assert client.limiter.waited_s > 0


def test_an_auth_error_in_one_object_stops_the_others_and_no_worker_outlives_the_sync():
    with FakeHubSpot(portal(400, calls=1000, notes=1000), TOKEN, rate_limits=UNLIMITED) as fake:
        full = fake.add_fault(InFlight(0.01))
        clean = full_sync(fake, concurrency=3, chunk_rows=100)
        needed = fake.total_requests
        fake.reset_counts()
        fake.clear_faults()
        fake.add_fault(InFlight(0.01))
        fake.fail_next(1, 401, kinds={"list"}, object_types={"calls"}, after=3)
        con = duckdb.connect()
        with pytest.raises(CrmAuthError):
            for _ in sync_hubspot(
                HubSpotConnection(api(fake)), con, objects=OBJECTS, chunk_rows=100
            ):
                pass
        assert worker_threads() == []
        stopped_at = fake.total_requests
        time.sleep(0.1)
        assert fake.total_requests == stopped_at  # nothing still asking
        fake.clear_faults()
        # Every object kept only pages committed with its cursor: a rerun is exact.
        full_sync(fake, con, concurrency=3, chunk_rows=100)
    assert full.most >= 2
    assert stopped_at < needed
    assert_same_tables(con, clean)


CHILD = """
import sys, duckdb
from connectors.errors import Secret
from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.object_sync import HubSpotSync
from connectors.hubspot.objects import OBJECTS_BY_NAME
from connectors.hubspot.settings import HubSpotSettings
from tests.hubspot_fixtures import FAST, LOADED_AT, TOKEN

def progress(table, rows):
    print(table, rows, flush=True)

client = HubSpotApi(HubSpotSettings(Secret(TOKEN), sys.argv[2], FAST))
objects = [OBJECTS_BY_NAME[n] for n in ("deals", "calls", "notes")]
con = duckdb.connect(sys.argv[1])
sync = HubSpotSync(client, con, loaded_at=LOADED_AT, chunk_rows=100, concurrency=3,
                   on_progress=progress)
sync.sync_all(objects)
print("finished", flush=True)
"""


def test_a_run_killed_with_several_objects_in_flight_resumes_exactly(tmp_path: Path):
    db = tmp_path / "killed.duckdb"
    full_pages = {"deals": 400 // 50, "calls": 1500 // 100, "notes": 1500 // 100}
    with FakeHubSpot(portal(400, calls=1500, notes=1500), TOKEN, rate_limits=UNLIMITED) as fake:
        fake.add_fault(InFlight(0.04))
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db), fake.base_url],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        landing = set()
        for line in child.stdout:
            table = line.split()[0]
            assert table != "finished", "the sync ended before it could be killed"
            if table in ("deals", "calls", "notes"):
                landing.add(table)
            if len(landing) >= 2:
                break
        os.kill(child.pid, signal.SIGKILL)  # no cleanup of any kind
        child.wait()
        child.stdout.close()
        con = duckdb.connect(str(db))
        cursors = {n: read_cursor(con, CursorKey("hubspot", n)) for n in full_pages}
        mid_pass = [n for n, c in cursors.items() if c is not None and '"phase": "full"' in c]
        fake.clear_faults()
        fake.reset_counts()
        full_sync(fake, con, concurrency=3, chunk_rows=100)
        resumed_pages = sum(fake.object_counts[f"list:{n}"] for n in mid_pass)
        clean = full_sync(fake, concurrency=3, chunk_rows=100)
    assert len(mid_pass) >= 2, cursors
    # The resumed objects read only the pages after their cursors, not all of them again
    # (a full read is every list page plus one archived page).
    assert resumed_pages < sum(full_pages[n] + 1 for n in mid_pass)
    assert_same_tables(con, clean)


def test_the_limiter_counts_a_request_until_its_answer_so_arrivals_never_exceed_the_window():
    """Four threads share one limiter whose budget is exactly the fake's limit; each
    request reaches the fake's own window (demo.fake_hubspot.ratelimit) after a random
    delay, as over a network. Counted from sends, a request delayed past later ones
    would still sit in the fake's window when their slots free: 429s. Counted until
    the answer, none."""
    window = 0.2
    server = FakeRateLimiter(RateLimitPolicy(max_requests=9, interval_s=window))
    limiter = RequestLimiter(RateLimits(requests=10, interval_s=window))
    assert limiter.budget == 9
    delays = random.Random(5)
    refused = []

    def client(requests: int) -> None:
        for _ in range(requests):
            limiter.acquire()
            time.sleep(delays.uniform(0, 0.03))  # on the way
            try:
                server.admit("list")
            except HubSpotApiError:
                refused.append(1)
            time.sleep(0.002)  # the answer's way back
            limiter.release()

    threads = [threading.Thread(target=client, args=(40,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert refused == []
    assert server.peak(window) == 9


def test_retries_free_their_attempts_slot_so_a_tiny_budget_never_deadlocks():
    """A 429's retry waits for a slot; the refused attempt's slot is free by then,
    or a budget of one (HUBSPOT_RATE_LIMIT=1) would wait on itself forever."""
    limits = RateLimits(requests=1, interval_s=0.05)
    assert limits.request_budget == 1
    with FakeHubSpot(portal(2, calls=2, notes=1), TOKEN, rate_limits=UNLIMITED) as fake:
        storm = fake.rate_limit_storm(4, kinds={"list"}, interval_ms=20)
        done = []
        thread = threading.Thread(
            target=lambda: done.append(
                full_sync(fake, client=api(fake, limits=limits), concurrency=2)
            ),
            daemon=True,
        )
        thread.start()
        thread.join(timeout=30)
    assert done, "the sync never finished"
    assert storm.fired == 4


def test_a_free_slot_goes_to_the_waiting_thread_with_more_pages_left():
    """The window is full; the thread with 800 pages left waits for its next free slot
    and wakes late (a busy machine). A thread with 3 pages left that arrives while the
    slot is free steps back until the first has taken it, then gets the next one."""
    interval = 0.3

    def sleep(seconds: float) -> None:
        late = 0.25 if threading.current_thread().name == "long" else 0.0
        time.sleep(seconds + late)

    limiter = RequestLimiter(RateLimits(requests=1, interval_s=interval), sleep=sleep)
    assert limiter.budget == 1
    limiter.acquire()
    limiter.release()  # the window is full until `interval` after this answer
    order = []

    def client(priority: int) -> None:
        limiter.prioritise(priority)
        limiter.acquire()
        order.append(threading.current_thread().name)
        limiter.release()

    long = threading.Thread(target=client, args=(800,), name="long")
    short = threading.Thread(target=client, args=(3,), name="short")
    long.start()
    time.sleep(interval + 0.05)  # the slot is free; "long" is still asleep
    short.start()
    long.join(timeout=5)
    short.join(timeout=5)
    assert order == ["long", "short"]
