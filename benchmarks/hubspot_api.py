"""HubSpot, API-bound: `python -m benchmarks.hubspot_api --sizes S [--tier starter]`.

The demo org rendered as a HubSpot portal, served by the fake HubSpot in its own
process with a real account's rate limits on (CRM_APIS.md: 100 requests per
rolling 10 s on Free/Starter, 190 on Professional/Enterprise; search 5 per
second) and 150 ms of latency before every answer. Trustgap's HubSpot connector
lands it into a fresh DuckDB file (full refresh) in a process of its own, paced
by its own limiter set for the same tier, with `--concurrency` objects in flight
at once (default: the connector's, `HUBSPOT_CONCURRENCY`).

The floor is what the limit allows at best: `requests needed ÷ allowed rate`.
Requests needed are the pages the objects need, counted from the portal: per
CRM object `ceil(live / page limit)` list pages plus `ceil(archived / limit)`
pages of the archived pass (at least one each), with the connector's page
limits (100 records, 50 when properties are read with their history); plus the
owners (`ceil(owners / 500)` pages, active and archived); plus the calls that
are not list pages, as the fake counted them by kind (deal associations, one
search per object for its watermark, account details, pipelines): the client
cannot do without them, so they are in the floor too. The connector's one count
per object (a search whose `total` orders the work under the limit) is not: it is
in the requests made, not in the requests needed.
The allowed rate is the fake's policy (`max_requests / interval_s`).

Writes benchmarks/results/hubspot-api-<size>-<tier>.json; RESULTS.md shows it.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import machine, report
from benchmarks.harness import AS_OF, SIZES
from benchmarks.probe import cpu_seconds

TOKEN = "bench-hubspot-token"
TIERS = {"starter": 100, "professional": 190}
SEARCH_PER_SECOND = 5
INTERVAL_S = 10.0


class Latency:
    """A fault rule that answers every request `seconds` late (a real API's round trip)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, request, call_next):
        time.sleep(self.seconds)
        return call_next(request)


def _serve(conn, size: str, seed: int, tier: str, latency_ms: float) -> None:
    from demo.fake_hubspot import FakeHubSpot, RateLimitPolicy
    from demo.org.generator import generate_org
    from demo.org.hubspot import render_hubspot

    org = generate_org(size=size, seed=seed, as_of=AS_OF)
    portal = render_hubspot(org).portal
    del org
    policy = RateLimitPolicy(
        max_requests=TIERS[tier], interval_s=INTERVAL_S, search_per_second=SEARCH_PER_SECOND
    )
    fake = FakeHubSpot(portal, TOKEN, rate_limits=policy)
    if latency_ms:
        fake.add_fault(Latency(latency_ms / 1000))
    fake.start()
    with portal.lock:
        stored = {
            name: {
                "live": sum(1 for r in store.records.values() if not r.archived),
                "archived": sum(1 for r in store.records.values() if r.archived),
            }
            for name, store in portal.objects.items()
        }
    conn.send({"url": fake.base_url, "stored": stored, "owners": _owners(portal)})
    while True:
        command = conn.recv()
        if command == "stop":
            fake.stop()
            conn.send(None)
            return
        if command == "reset":
            fake.reset_counts()
            conn.send(None)
        elif command == "counts":
            with fake._lock:
                conn.send(
                    {
                        "by_kind": dict(fake.request_counts),
                        "by_object": dict(fake.object_counts),
                        "refused": dict(fake.limiter.refused),
                        "peak_10s": fake.peak_requests(INTERVAL_S),
                    }
                )


def _owners(portal) -> dict[str, int]:
    owners = getattr(portal, "owners", None)
    if owners is None:
        return {"live": 0, "archived": 0}
    values = list(owners.values()) if isinstance(owners, dict) else list(owners)
    archived = sum(1 for o in values if _field(o, "archived"))
    return {"live": len(values) - archived, "archived": archived}


def _field(record, name: str):
    return record.get(name) if isinstance(record, dict) else getattr(record, name, None)


def requests_needed(stored: dict, owners: dict, other: int) -> dict:
    """The pages a full read needs at the connector's page limits (module docstring)."""
    from connectors.hubspot.object_sync import page_limit
    from connectors.hubspot.objects import CRM_OBJECTS

    pages = {}
    for obj in CRM_OBJECTS:
        counts = stored.get(obj.name, {"live": 0, "archived": 0})
        limit = page_limit(obj)
        pages[obj.name] = max(1, math.ceil(counts["live"] / limit)) + max(
            1, math.ceil(counts["archived"] / limit)
        )
    pages["owners"] = max(1, math.ceil(owners["live"] / 500)) + max(
        1, math.ceil(owners["archived"] / 500)
    )
    return {"pages": pages, "other": other, "total": sum(pages.values()) + other}


def hubspot_arm(spec_path: str) -> int:
    """Child side: Trustgap's HubSpot connector, full refresh, into a fresh DuckDB file."""
    spec = json.loads(Path(spec_path).read_text())
    import duckdb

    from connectors.errors import Secret
    from connectors.hubspot.client import HubSpotApi, HubSpotConnection
    from connectors.hubspot.ratelimit import TIER_LIMITS, RateLimits
    from connectors.hubspot.settings import HubSpotSettings
    from connectors.hubspot.sync import sync_hubspot

    limits = RateLimits(requests=TIER_LIMITS[spec["tier"]])
    settings = HubSpotSettings(Secret(TOKEN), spec["url"], limits)
    if spec.get("concurrency"):
        settings = dataclasses.replace(settings, concurrency=spec["concurrency"])
    api = HubSpotApi(settings)
    started = time.perf_counter()
    con = duckdb.connect(spec["db"])
    rows = 0
    finished = {}
    for table in sync_hubspot(HubSpotConnection(api, full_refresh=True), con):
        rows += table.rows or 0
        finished[table.table] = round(time.perf_counter() - started, 1)
    con.close()
    print(
        json.dumps(
            {
                "work_s": round(time.perf_counter() - started, 3),
                "rows_landed": rows,
                "client_requests": dict(api.requests),
                "concurrency": settings.concurrency,
                # When each table was reported done: the last object's tail.
                "finished_s": finished,
                # Summed over the workers: it can exceed the wall time.
                "limiter_waited_s": round(api.limiter.waited_s, 2),
                # Mean seconds from sending to the answer: each slot's time past its window.
                "mean_answer_s": round(api.limiter.held_s / max(1, api.limiter.answers), 3),
            }
        )
    )
    return 0


def run_size(
    size: str,
    *,
    tier: str,
    latency_ms: float,
    workdir: Path,
    log=print,
    concurrency: int | None = None,
) -> dict:
    from benchmarks.peers_child import child_env, run_child

    ctx = multiprocessing.get_context("spawn")
    conn, child = ctx.Pipe()
    log(f"[{size}] rendering the {SIZES[size]} org as a HubSpot portal in the fake's process ...")
    fake = ctx.Process(target=_serve, args=(child, SIZES[size], 7, tier, latency_ms), daemon=True)
    fake.start()
    hello = conn.recv()
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        db = workdir / f"hubspot-{size}.duckdb"
        db.unlink(missing_ok=True)
        spec_path = workdir / f"hubspot-{size}.json"
        spec = {"url": hello["url"], "tier": tier, "db": str(db), "concurrency": concurrency}
        spec_path.write_text(json.dumps(spec))
        conn.send("reset")
        conn.recv()
        fake_cpu = cpu_seconds(fake.pid)
        load_before = machine.load_average()
        log(f"[{size}] HubSpot sync, {tier} limits, {latency_ms:g} ms latency ...")
        figures = run_child(
            [sys.executable, "-m", "benchmarks.hubspot_api", "--arm", str(spec_path)],
            env=child_env(),
        )
        figures["load_average_before"] = load_before
        figures["load_average_after"] = machine.load_average()
        figures["fake_cpu_s"] = round(cpu_seconds(fake.pid) - fake_cpu, 2)
        conn.send("counts")
        counts = conn.recv()
        db.unlink(missing_ok=True)
    finally:
        conn.send("stop")
        conn.recv()
        fake.join(timeout=30)
    by_kind = counts["by_kind"]
    # The connector's counts (one search per object, to order the work) are not needed.
    counts_made = (figures.get("client_requests") or {}).get("count", 0)
    other = sum(v for k, v in by_kind.items() if k not in ("list", "owners")) - counts_made
    needed = requests_needed(hello["stored"], hello["owners"], other)
    rate = TIERS[tier] / INTERVAL_S
    floor_s = needed["total"] / rate
    requests = sum(by_kind.values())
    result = {
        "kind": "hubspot_api",
        "size": size,
        "generator_size": SIZES[size],
        "tier": tier,
        "latency_ms": latency_ms,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine.describe(),
        "allowed": {
            "requests_per_10s": TIERS[tier],
            "search_per_s": SEARCH_PER_SECOND,
            "rate_per_s": rate,
        },
        "stored": hello["stored"],
        "needed": needed,
        "requests": requests,
        "requests_by_kind": by_kind,
        "requests_by_object": counts["by_object"],
        "refused_429": counts["refused"],
        "peak_requests_10s": counts["peak_10s"],
        "floor_s": round(floor_s, 2),
        "latency_bound_s": round(requests * latency_ms / 1000, 2),
        "run": figures,
    }
    if figures.get("exit_code") == 0:
        result["ratio"] = round(figures["work_s"] / floor_s, 2)
    return result


def save(result: dict, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"hubspot-api-{result['size']}-{result['tier']}.json"
    path.write_text(json.dumps(result, indent=2, sort_keys=True))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="benchmarks.hubspot_api", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--sizes", default="S", help="comma-separated: T, S, M")
    parser.add_argument("--tier", default="starter", choices=sorted(TIERS))
    parser.add_argument("--latency-ms", type=float, default=150)
    parser.add_argument(
        "--concurrency", type=int, help="objects synced at once (default: HUBSPOT_CONCURRENCY's)"
    )
    parser.add_argument("--workdir", help="where the DuckDB file goes (default: a temp dir)")
    parser.add_argument("--results", default=str(report.RESULTS_DIR), help="JSON output folder")
    parser.add_argument("--no-markdown", action="store_true", help="do not rebuild RESULTS.md")
    parser.add_argument("--arm", help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args(argv)
    if args.arm:
        return hubspot_arm(args.arm)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="trustgap-hubspot-"))
    results_dir = Path(args.results)
    failed = False
    for size in [s.strip().upper() for s in args.sizes.split(",") if s.strip()]:
        result = run_size(
            size,
            tier=args.tier,
            latency_ms=args.latency_ms,
            workdir=workdir,
            log=lambda m: print(m, file=sys.stderr, flush=True),
            concurrency=args.concurrency,
        )
        print(report.hubspot_section(result))
        print(f"wrote {save(result, results_dir)}", file=sys.stderr)
        failed |= result["run"].get("exit_code") != 0
    if not args.no_markdown and results_dir == report.RESULTS_DIR:
        print(f"wrote {report.write_markdown(report.load(results_dir))}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
