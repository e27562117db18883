"""One benchmark scenario: serve a demo org, run the nightly job, measure each phase.

A scenario is a size and a fake-API latency. It runs the real Dagster `nightly`
job, each run in a fresh Python process as `trustgap run` is each night
(`nightly_run`, which also says how phases are measured), against the fake
Salesforce (in its own process, see `fake_process`) through the real connector
(source `salesforce`), then runs the floor arm (`floor_arm`) on the payloads the
fake served. With `incremental`, a day of changes is applied to the org and the
job runs again, then once more with no change at all.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

from benchmarks import machine
from benchmarks.fake_process import TOKEN, FakeProcess
from benchmarks.floor_arm import add_ratios, run_floor
from benchmarks.nightly_run import PHASES, run_in_fresh_process
from benchmarks.probe import cpu_seconds, memory_mb

__all__ = ["AS_OF", "PHASES", "SIZES", "run_scenario"]

SIZES = {"T": "tiny", "S": "small", "M": "medium", "L": "large"}
AS_OF = dt.date(2026, 11, 27)


def _clean_env() -> None:
    for name in list(os.environ):
        if name.startswith(("SALESFORCE_", "HUBSPOT_")):
            del os.environ[name]
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")


def run_scenario(
    size: str,
    *,
    latency_ms: float = 0,
    incremental: bool = False,
    workdir: Path,
    seed: int = 7,
    floor: bool = True,
    log=print,
    on_result=None,
    profile: bool = False,
) -> list[dict]:
    """Full run (and, with `incremental`, a day-of-changes run and a no-change run).

    With `profile`, each run is also profiled (cProfile, main thread) into
    `<workdir>/<size>-<latency>ms/<run>.prof`; profiling slows the run down.
    """
    generator_size = SIZES.get(size, size)
    label = next((k for k, v in SIZES.items() if v == generator_size), size)
    workdir = Path(workdir) / f"{label}-{int(latency_ms)}ms"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    saved_env = dict(os.environ)
    try:
        return _run_plan(
            label,
            generator_size,
            workdir,
            latency_ms=latency_ms,
            incremental=incremental,
            seed=seed,
            floor=floor,
            log=log,
            on_result=on_result,
            profile=profile,
        )
    finally:
        # The fake's URL and token must not outlive the scenario (e.g. in pytest).
        os.environ.clear()
        os.environ.update(saved_env)


def _run_plan(
    label: str,
    generator_size: str,
    workdir: Path,
    *,
    latency_ms: float,
    incremental: bool,
    seed: int,
    floor: bool,
    log,
    on_result,
    profile: bool,
) -> list[dict]:
    _clean_env()

    log(f"[{label}] generating the {generator_size} org in the fake's process ...")
    # Bulk results rendered at load (fake_process.py): a real org's CPU is not on the
    # 2 cores the nightly is measured on. The peer benchmark leaves it off, so its
    # Bulk and REST arms pay the fake alike.
    fake = FakeProcess(generator_size, seed, AS_OF, latency_ms, prerender=True)
    log(
        f"[{label}] org ready in {fake.generated_s:.1f} s (Bulk results rendered ahead in "
        f"{fake.prerendered_s:.1f} s): {fake.object_counts}"
    )
    os.environ["SALESFORCE_INSTANCE_URL"] = fake.instance_url
    os.environ["SALESFORCE_ACCESS_TOKEN"] = TOKEN
    published = workdir / "warehouse" / "trustgap.duckdb"
    common = {
        "size": label,
        "generator_size": generator_size,
        "latency_ms": latency_ms,
        "seed": seed,
        "org_rows": fake.object_counts,
        "org_generate_s": round(fake.generated_s, 1),
        "fake_prerender_s": round(fake.prerendered_s, 1),
        "machine": machine.describe(),
    }
    plan = [("full", AS_OF, dt.time(2), True)]
    if incremental:
        next_day = AS_OF + dt.timedelta(days=1)
        plan += [("incremental", next_day, dt.time(2), False)]
        plan += [("no_change", next_day, dt.time(3), False)]
    results = []
    try:
        for kind, as_of, clock, full_refresh in plan:
            if kind == "incremental":
                touched = fake.call("apply_day", as_of=AS_OF.isoformat(), seed=seed)
                log(f"[{label}] applied a day of changes: {touched}")
            moment = dt.datetime.combine(as_of, clock, tzinfo=dt.UTC)
            fake.call("set_clock", moment=moment.isoformat())
            fake.call("counts", reset=True)
            log(f"[{label}] {kind} run (as of {as_of}, latency {latency_ms:g} ms) ...")
            result = {**common, "run": kind, "as_of": as_of.isoformat()}
            fake_cpu = cpu_seconds(fake.pid)
            served_ahead = fake.call("rendered_ahead")
            result.update(
                run_in_fresh_process(
                    published,
                    as_of,
                    full_refresh=full_refresh,
                    profile_to=workdir / f"{kind}.prof" if profile else None,
                )
            )
            result["fake_server_cpu_s"] = round(cpu_seconds(fake.pid) - fake_cpu, 2)
            result["fake_pages_rendered_ahead"] = fake.call("rendered_ahead") - served_ahead
            # The org lives in the fake's process: its memory is reported apart from
            # the pipeline's (whose probe excludes the fake), never inside it.
            result["fake_server_peak_rss_mb"] = memory_mb(fake.pid)["peak_rss_mb"]
            _add_api(result, fake.call("counts"))
            if floor and result["success"]:
                since = _window_start(kind, AS_OF + dt.timedelta(days=1))
                result["floor"] = run_floor(fake, workdir, kind, published, since, result["run_id"])
                add_ratios(result)
            results.append(result)
            if on_result:
                on_result(result)
            status = "" if result["success"] else f" FAILED: {result['error']}"
            log(f"[{label}] {kind}: {result['total']['wall_s']:.1f} s{status}")
    finally:
        fake.stop()
    return results


def _window_start(kind: str, next_day: dt.date) -> str | None:
    """The rows an incremental run reads: stamped since the previous run's clock."""
    if kind == "full":
        return None
    # The generated org ends the day before AS_OF; the day of changes is AS_OF.
    start = dt.datetime.combine(AS_OF if kind == "incremental" else next_day, dt.time(0))
    if kind == "no_change":
        start = dt.datetime.combine(next_day, dt.time(2))
    return start.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _add_api(result: dict, requests: dict[str, int]) -> None:
    """The fake's request counter for the run, against the minimum page count."""
    total = sum(requests.values())
    min_pages = sum(o["min_pages"] for o in result.get("objects", {}).values())
    result["api"] = {
        "requests": total,
        "by_kind": requests,
        "min_pages": min_pages,
        "overhead": total - min_pages,
    }
    if "phases" in result:
        result["phases"]["extract"]["api_requests"] = total


# -- the floor arm -------------------------------------------------------------------
