"""The fake Salesforce serving a demo org from its own process.

The org lives beside the pipeline, not inside it, as a real CRM would: its memory
and CPU are not Trustgap's, and its HTTP threads do not compete with the pipeline
for the GIL. The parent drives it over a pipe: request counts, latency, a day of
changes, and dumps of what it serves (for the DuckDB-alone floor).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
from typing import Any

TOKEN = "bench-session-token"


def _serve(conn, size: str, seed: int, as_of: dt.date, latency_ms: float, prerender: bool) -> None:
    from connectors.salesforce.fields import resolve_fields
    from connectors.salesforce.objects import OBJECTS
    from connectors.salesforce.settings import SyncOptions
    from demo.fake_salesforce import FakeSalesforce, Slow
    from demo.fake_salesforce.server import fake_organization_id
    from demo.org.generator import generate_org

    started = time.perf_counter()
    org = generate_org(size=size, seed=seed, as_of=as_of)
    records = org.salesforce
    counts = {name: len(rows) for name, rows in records.items()}
    generated_s = time.perf_counter() - started
    fake = FakeSalesforce(
        records=records,
        access_token=TOKEN,
        organization_id=fake_organization_id("bench", size, seed),
        # A real org serves far more; the benchmark must never hit the daily quota.
        api_limit=10**9,
    )
    del records
    org.tables.clear()
    # Salesforce keeps SystemModstamp and CreatedDate indexed; the fake indexes the
    # fields the connector's incremental windows read before the first run, not in
    # one (demo/fake_salesforce/soql/lower_bound.py).
    for obj in OBJECTS:
        if obj.name in counts:
            fake.index_field(obj.name, obj.watermark)
    # Salesforce builds a Bulk job's results on its own servers. With `prerender` the
    # fake renders the rows a full extract reads once, here, with the fields the
    # connector selects (its own resolve_fields over the fake's describe), so that
    # serving the pages costs the cores the pipeline is measured on next to nothing;
    # other pages (a window of changes, rows changed since) render when asked for.
    started = time.perf_counter()
    options = SyncOptions()
    for obj in OBJECTS if prerender else ():
        if counts.get(obj.name, 0) > options.bulk_threshold:
            select = resolve_fields(obj, fake.describe(obj.name), options).select
            fake.prerender_bulk(obj.name, select)
    prerendered_s = time.perf_counter() - started
    if latency_ms:
        fake.add_fault(Slow(latency_ms / 1000, times=None))
    fake.start()
    conn.send(
        {
            "url": fake.instance_url,
            "counts": counts,
            "generated_s": generated_s,
            "prerendered_s": prerendered_s,
        }
    )
    while True:
        command, args = conn.recv()
        if command == "stop":
            fake.stop()
            conn.send(None)
            return
        try:
            conn.send(("ok", _COMMANDS[command](fake, **args)))
        except Exception as exc:  # report, keep serving
            conn.send(("error", repr(exc)))


def _counts(fake, reset: bool = False) -> dict[str, int]:
    with fake._lock:
        counts = dict(fake.request_counts)
    if reset:
        fake.reset_counts()
    return counts


def _rendered_ahead(fake) -> int:
    """Bulk results pages served so far from what was rendered at load."""
    return fake.bulk_pages_rendered_ahead


def _set_clock(fake, moment: str) -> None:
    fake.clock = dt.datetime.fromisoformat(moment)


def _apply_day(fake, as_of: str, seed: int) -> dict[str, int]:
    from benchmarks import changes

    return changes.apply_day_of_changes(fake, dt.date.fromisoformat(as_of), seed=seed)


def _dump(fake, directory: str, since: str | None = None) -> dict[str, Any]:
    from benchmarks import changes

    return changes.dump_payloads(fake, directory, since=since)


_COMMANDS = {
    "rendered_ahead": _rendered_ahead,
    "counts": _counts,
    "set_clock": _set_clock,
    "apply_day": _apply_day,
    "dump": _dump,
}


class FakeProcess:
    """Parent side: start the fake in a child process and send it commands."""

    def __init__(
        self,
        size: str,
        seed: int,
        as_of: dt.date,
        latency_ms: float = 0,
        *,
        prerender: bool = False,
    ) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_serve, args=(child, size, seed, as_of, latency_ms, prerender), daemon=True
        )
        self.process.start()
        hello = self._conn.recv()
        self.instance_url: str = hello["url"]
        self.object_counts: dict[str, int] = hello["counts"]
        self.generated_s: float = hello["generated_s"]
        self.prerendered_s: float = hello["prerendered_s"]

    @property
    def pid(self) -> int:
        return self.process.pid

    def call(self, command: str, **args: Any) -> Any:
        self._conn.send((command, args))
        status, value = self._conn.recv()
        if status != "ok":
            raise RuntimeError(f"fake Salesforce {command} failed: {value}")
        return value

    def stop(self) -> None:
        if self.process.is_alive():
            self._conn.send(("stop", {}))
            self._conn.recv()
        self.process.join(timeout=30)
