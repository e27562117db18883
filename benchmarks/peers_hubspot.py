"""The HubSpot peer arms: Trustgap's connector against a dlt pipeline, on one portal.

The demo org is rendered as a portal and served by the fake HubSpot in its own
process (`HubSpotFakeProcess`) with rate limits and latency off, so the arms are
CPU-bound like the Salesforce ones (the API-bound run is `benchmarks.hubspot_api`):

- `trustgap-hubspot`: the real connector through its public entry point
  (`sync_hubspot`, full refresh), its client's limiter opened wide
  (`trustgap_hubspot_arm`, the child of `python -m benchmarks.peers --hubspot-arm SPEC`);
- `dlt-hubspot-arrow`: a dlt pipeline fed pyarrow tables built from the same pages
  (`peer/dlt_hubspot_arm.py`): the same objects, properties, page sizes, archived
  pass and association reads, merged on the same keys.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.harness import AS_OF
from benchmarks.peers_child import print_figures

HUBSPOT_ARMS = ("trustgap-hubspot", "dlt-hubspot-arrow")
ARMS = HUBSPOT_ARMS
CHILD_FLAG = "--hubspot-arm"
SCHEMA = "raw_hubspot"
# The median extract + land ratio reported (Trustgap arm ÷ dlt arm).
RATIO = ("hubspot_over_dlt_arrow", "trustgap-hubspot", "dlt-hubspot-arrow")
HUBSPOT_TOKEN = "bench-hubspot-token"


def trustgap_hubspot_arm(spec_path: str) -> int:
    """Child side of the Trustgap HubSpot arm: the connector's public entry point,
    full refresh, its limiter opened wide (the fake enforces no limit either)."""
    spec = json.loads(Path(spec_path).read_text())
    started = time.perf_counter()
    import duckdb

    from connectors.errors import Secret
    from connectors.hubspot.client import HubSpotApi, HubSpotConnection
    from connectors.hubspot.ratelimit import RateLimits
    from connectors.hubspot.settings import HubSpotSettings
    from connectors.hubspot.sync import sync_hubspot

    imported = time.perf_counter()
    limits = RateLimits(requests=10**9, search_per_second=10**6)
    api = HubSpotApi(HubSpotSettings(Secret(spec["token"]), spec["url"], limits))
    con = duckdb.connect(spec["db"])
    for _ in sync_hubspot(HubSpotConnection(api, full_refresh=True), con):
        pass
    con.close()
    print_figures(started, imported, client_requests=dict(api.requests))
    return 0


def objects_spec() -> list[dict]:
    """The catalog's objects, as the dlt arm reads them."""
    from connectors.hubspot.object_sync import HISTORY_LIST_LIMIT, LIST_LIMIT
    from connectors.hubspot.objects import CRM_OBJECTS

    return [
        {
            "name": o.name,
            "table": o.table.name,
            "properties": list(o.properties),
            "history": list(o.history),
            "history_table": o.history_table.name if o.history_table else None,
            "associations": {to: t.name for to, t in o.associations.items()},
            "engagement_type": o.engagement_type,
            "limit": HISTORY_LIST_LIMIT if o.history else LIST_LIMIT,
        }
        for o in CRM_OBJECTS
    ]


def tables() -> list[str]:
    """Every raw_hubspot table of the catalog."""
    from connectors.hubspot.objects import TABLES

    return [t.name for t in TABLES]


def start_fake(
    size: str, generator: str, seed: int, log: Callable[[str], None]
) -> HubSpotFakeProcess:
    """The portal rendered from the demo org, served in its own process."""
    log(f"[{size}] rendering the {generator} org as a HubSpot portal in the fake's process")
    return HubSpotFakeProcess(generator, seed)


def arm_spec(_arm: str, fake: HubSpotFakeProcess) -> dict:
    """What one arm's child needs beyond the DuckDB file and the objects."""
    from connectors.hubspot.associations import ASSOCIATION_INPUTS

    return {
        "url": fake.instance_url,
        "token": HUBSPOT_TOKEN,
        "association_inputs": ASSOCIATION_INPUTS,
    }


def _serve_hubspot(conn, size: str, seed: int) -> None:
    """The fake HubSpot in its own process, no rate limits, no latency."""
    from demo.fake_hubspot import FakeHubSpot
    from demo.fake_hubspot.ratelimit import UNLIMITED
    from demo.org.generator import generate_org
    from demo.org.hubspot import render_hubspot

    portal = render_hubspot(generate_org(size=size, seed=seed, as_of=AS_OF)).portal
    # Without a policy the fake enforces Professional limits (190 per 10 s): off here.
    fake = FakeHubSpot(portal, HUBSPOT_TOKEN, rate_limits=UNLIMITED)
    fake.start()
    with portal.lock:
        stored = {
            f"{name} ({state})": sum(1 for r in store.records.values() if r.archived == archived)
            for name, store in portal.objects.items()
            for state, archived in (("live", False), ("archived", True))
        }
    conn.send({"url": fake.base_url, "counts": stored})
    while True:
        command, args = conn.recv()
        if command == "stop":
            fake.stop()
            conn.send(None)
            return
        with fake._lock:
            counts = dict(fake.request_counts)
        if args.get("reset"):
            fake.reset_counts()
        conn.send(("ok", counts))


class HubSpotFakeProcess:
    """The fake HubSpot's process, driven like `FakeProcess` (only `counts`)."""

    def __init__(self, size: str, seed: int) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve_hubspot, args=(child, size, seed), daemon=True)
        self.process.start()
        hello = self._conn.recv()
        self.instance_url: str = hello["url"]
        self.object_counts: dict[str, int] = hello["counts"]

    @property
    def pid(self) -> int:
        return self.process.pid

    def call(self, command: str, **args) -> dict:
        self._conn.send((command, args))
        return self._conn.recv()[1]

    def stop(self) -> None:
        if self.process.is_alive():
            self._conn.send(("stop", {}))
            self._conn.recv()
        self.process.join(timeout=30)
