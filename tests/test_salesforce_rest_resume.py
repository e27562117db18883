"""A REST sync killed for real while a fetched page waits to be landed resumes with
every row exactly once (issue #18: pages are fetched one ahead and landed in chunks)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
import types

import duckdb
import pytest

from connectors.errors import ConfigurationError
from connectors.landing import CursorKey, read_cursor
from connectors.salesforce.settings import SyncOptions
from tests.salesforce_org import fake_org, land, live_rows, org

OPP = CursorKey("salesforce", "Opportunity")
# Two 2,000-row pages per landing: the fake's page size is 2,000.
CHUNK = {"bulk_threshold": 0, "rest_landing_rows": 4000}


class HoldPage:
    """Fault rule: the ``nth`` next-page request waits (its client is killed meanwhile)."""

    def __init__(self, nth: int) -> None:
        self.remaining = nth
        self.reached = threading.Event()
        self.release = threading.Event()
        self.exhausted = False

    def __call__(self, request, call_next):
        if request.kind == "query_more" and not self.exhausted:
            self.remaining -= 1
            if self.remaining == 0:
                self.exhausted = True
                self.reached.set()
                self.release.wait(timeout=60)
        return call_next(request)


def _sync_in_child(instance_url: str, path: str) -> None:
    land(
        types.SimpleNamespace(instance_url=instance_url),
        ["Opportunity"],
        duckdb.connect(path),
        **CHUNK,
    )


def test_a_sync_killed_with_a_fetched_page_not_yet_landed_resumes_without_loss_or_duplicates(
    tmp_path,
):
    path = str(tmp_path / "warehouse.duckdb")
    with fake_org(org(10_000)) as fake:
        # Pages 1-2 are landed as one chunk; page 3 is fetched and decoded, and
        # the request for page 4 (the 3rd next-page request) is only sent once
        # page 3 is in hand: the kill hits with page 3 buffered, not landed.
        hold = fake.add_fault(HoldPage(3))
        child = multiprocessing.get_context("spawn").Process(
            target=_sync_in_child, args=(fake.instance_url, path)
        )
        child.start()
        try:
            deadline = time.monotonic() + 120
            while not hold.reached.wait(0.1) and child.is_alive() and time.monotonic() < deadline:
                pass
            assert hold.reached.is_set(), f"the sync never asked for page 4 ({child.exitcode=})"
            os.kill(child.pid, signal.SIGKILL)
            child.join(timeout=30)
        finally:
            hold.release.set()
            if child.is_alive():
                child.kill()
        assert child.exitcode == -signal.SIGKILL

        con = duckdb.connect(path)
        # Only the landed chunk survived, with the watermark of its last row (i = 3999).
        assert con.execute("select count(*) from raw_salesforce.opportunity").fetchone() == (4000,)
        assert read_cursor(con, OPP) == "2026-01-03T00:00:00.000+0000"

        _, results = land(fake, ["Opportunity"], con, **CHUNK)
        reference, _ = land(fake, ["Opportunity"], **CHUNK)

    assert results["Opportunity"].mode == "incremental"  # resumed from the cursor
    assert con.execute(
        "select count(*), count(distinct Id) from raw_salesforce.opportunity"
    ).fetchone() == (10_000, 10_000)
    assert live_rows(con) == live_rows(reference)


def test_rows_per_rest_landing_come_from_the_environment():
    assert SyncOptions.from_env({}).rest_landing_rows == 50_000
    assert SyncOptions.from_env({"SALESFORCE_REST_LANDING_ROWS": "2000"}).rest_landing_rows == 2000
    with pytest.raises(ConfigurationError, match="SALESFORCE_REST_LANDING_ROWS"):
        SyncOptions.from_env({"SALESFORCE_REST_LANDING_ROWS": "0"})
