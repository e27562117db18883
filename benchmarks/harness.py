"""One benchmark scenario: serve a demo org, run the nightly job, measure each phase.

A scenario is a size and a fake-API latency. It runs the real Dagster `nightly`
job, each run in a fresh Python process as `trustgap run` is each night, against
the fake Salesforce (in its own process, see `fake_process`) through the real
connector (source `salesforce`), then runs the
floor arm (`floor`) on the payloads the fake served. With `incremental`, a day of
changes is applied to the org and the job runs again, then once more with no
change at all.

Phases come from Dagster's step events: `raw_salesforce` is split into extract and
land by `landing_timer`; the raw HubSpot step (which lands empty tables on a
Salesforce run) counts as land; `trustgap_dbt_models` is dbt (models and tests);
the great-expectations checks are checks; `published_warehouse` is publish;
whatever the run spends outside its steps is orchestration.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import json
import math
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import landing_timer, machine
from benchmarks.fake_process import TOKEN, FakeProcess
from benchmarks.probe import Probe, cpu_seconds

SIZES = {"T": "tiny", "S": "small", "M": "medium", "L": "large"}
PHASES = ("extract", "land", "dbt", "checks", "publish", "orchestration")
AS_OF = dt.date(2026, 11, 27)
REST_PAGE = 2000
MB = 1024**2


def _clean_env() -> None:
    for name in list(os.environ):
        if name.startswith(("SALESFORCE_", "HUBSPOT_")):
            del os.environ[name]
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")


def _job():
    from pipelines.definitions import defs

    return defs().resolve_job_def("nightly")


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
    fake = FakeProcess(generator_size, seed, AS_OF, latency_ms)
    log(f"[{label}] org ready in {fake.generated_s:.1f} s: {fake.object_counts}")
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
            result.update(
                _in_fresh_process(
                    published,
                    as_of,
                    full_refresh=full_refresh,
                    profile_to=workdir / f"{kind}.prof" if profile else None,
                )
            )
            result["fake_server_cpu_s"] = round(cpu_seconds(fake.pid) - fake_cpu, 2)
            _add_api(result, fake.call("counts"))
            if floor and result["success"]:
                since = _window_start(kind, AS_OF + dt.timedelta(days=1))
                result["floor"] = _floor(fake, workdir, kind, published, since, result["run_id"])
                _add_ratios(result)
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


def _run_config(published: Path, as_of: dt.date, full_refresh: bool) -> dict:
    return {
        "resources": {
            "crm": {"config": {"source": "salesforce"}},
            "run_params": {"config": {"as_of": as_of.isoformat(), "full_refresh": full_refresh}},
            "warehouse": {"config": {"path": str(published)}},
        },
        "loggers": {"console": {"config": {"log_level": "WARNING"}}},
    }


def _in_fresh_process(published, as_of, *, full_refresh: bool, profile_to) -> dict:
    """One nightly run in a new Python process, as `trustgap run` is each night."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(
        target=_child_run, args=(child, str(published), as_of, full_refresh, profile_to)
    )
    process.start()
    result = parent.recv()
    process.join()
    return result


def _child_run(conn, published: str, as_of, full_refresh: bool, profile_to) -> None:
    try:
        started = time.perf_counter()
        timer = landing_timer.install()
        job = _job()
        load_defs_s = time.perf_counter() - started
        result = _measure(
            job, timer, Path(published), as_of, full_refresh=full_refresh, profile_to=profile_to
        )
        result["load_definitions_s"] = round(load_defs_s, 2)
    except Exception as exc:  # report to the parent rather than hang it
        result = {"success": False, "error": repr(exc), "total": {"wall_s": 0.0}}
    conn.send(result)


def _measure(
    job, timer, published, as_of, *, full_refresh: bool, profile_to: Path | None = None
) -> dict:
    import dagster as dg

    load_before = machine.load_average()
    probe = Probe().start()
    timer.calls.clear()
    profiler = cProfile.Profile() if profile_to else None
    t0 = time.time()
    with dg.DagsterInstance.ephemeral() as instance:
        if profiler:
            profiler.enable()
        run = job.execute_in_process(
            run_config=_run_config(published, as_of, full_refresh),
            instance=instance,
            raise_on_error=False,
        )
        t1 = time.time()
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile_to)
        events = instance.all_logs(run.run_id)
    probe.stop()
    steps = _step_windows(events)
    materialized = _object_results(events)
    out = {
        "success": run.success,
        "load_average_before": load_before,
        "load_average_after": machine.load_average(),
        "steps": {k: round(e - s, 3) for k, (s, e) in steps.items()},
        "run_id": run.run_id,
    }
    if not run.success:
        out["error"] = _failure(run)
        out["total"] = {"wall_s": round(t1 - t0, 2)}
        return out

    raw_rows = _raw_rows(published)
    phases = {name: {"wall_s": 0.0, "cpu_s": 0.0, "peak_rss_mb": 0.0} for name in PHASES}

    def add(phase: str, start: float, end: float, wall=None, cpu=None) -> None:
        entry = phases[phase]
        entry["wall_s"] += end - start if wall is None else wall
        entry["cpu_s"] += probe.cpu_at(end) - probe.cpu_at(start) if cpu is None else cpu
        peak = probe.peak_rss(start, end) / MB
        entry["peak_rss_mb"] = max(entry["peak_rss_mb"], peak)

    landed = 0
    for key, (start, end) in steps.items():
        if "_gx_" in key:
            add("checks", start, end)
        elif key == "raw_salesforce":
            land_wall, land_cpu, landed = timer.within(start, end)
            step_cpu = probe.cpu_at(end) - probe.cpu_at(start)
            add("land", start, end, wall=land_wall, cpu=min(land_cpu, step_cpu))
            add("extract", start, end, wall=end - start - land_wall, cpu=step_cpu - land_cpu)
        elif key.startswith("raw_"):
            add("land", start, end)
        elif key == "trustgap_dbt_models":
            add("dbt", start, end)
        elif key == "published_warehouse":
            add("publish", start, end)
        else:
            add("checks", start, end)  # any other asset check step
    in_steps = sum(e - s for s, e in steps.values())
    step_cpu = sum(probe.cpu_at(e) - probe.cpu_at(s) for s, e in steps.values())
    total_cpu = probe.cpu_at(t1) - probe.cpu_at(t0)
    phases["orchestration"].update(
        wall_s=(t1 - t0) - in_steps,
        cpu_s=max(total_cpu - step_cpu, 0.0),
        peak_rss_mb=probe.peak_rss(t0, t1) / MB,
    )
    for name, entry in phases.items():
        rows = landed if name in ("extract", "land") else raw_rows
        entry["rows"] = rows
        entry["rows_per_s"] = rows / entry["wall_s"] if entry["wall_s"] > 0 else None
        entry["api_requests"] = 0  # set from the fake's counter by the parent
        for k in ("wall_s", "cpu_s", "peak_rss_mb"):
            entry[k] = round(entry[k], 3)
        if entry["rows_per_s"] is not None:
            entry["rows_per_s"] = round(entry["rows_per_s"])
    out.update(
        phases=phases,
        total={
            "wall_s": round(t1 - t0, 2),
            "cpu_s": round(total_cpu, 2),
            "peak_rss_mb": round(probe.peak_rss() / MB, 1),
            "rows_landed": landed,
            "raw_rows": raw_rows,
        },
        objects=materialized,
    )
    return out


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


def _step_windows(events) -> dict[str, tuple[float, float]]:
    starts, windows = {}, {}
    for entry in events:
        event = entry.dagster_event
        if event is None or not event.step_key:
            continue
        kind = event.event_type_value
        if kind == "STEP_START":
            starts[event.step_key] = entry.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in starts:
            windows[event.step_key] = (starts[event.step_key], entry.timestamp)
    return windows


def _object_results(events) -> dict[str, dict]:
    """Per Salesforce object: rows, pages, transport, requests and the minimum page count."""
    out = {}
    page_size = int(os.environ.get("SALESFORCE_BULK_PAGE_SIZE") or 50_000)
    for entry in events:
        event = entry.dagster_event
        if event is None or event.event_type_value != "ASSET_MATERIALIZATION":
            continue
        materialization = event.event_specific_data.materialization
        key = materialization.asset_key.path
        if key[0] != "raw_salesforce":
            continue
        meta = {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
        rows = int(meta.get("rows", 0))
        per_page = page_size if meta.get("transport") == "bulk" else REST_PAGE
        out[key[-1]] = {
            "rows": rows,
            "pages": int(meta.get("api_pages", 0)),
            "transport": meta.get("transport"),
            "mode": meta.get("sync_mode"),
            "api_requests": meta.get("api_requests"),
            "min_pages": max(1, math.ceil(rows / per_page)),
        }
    return out


def _failure(run) -> str:
    for event in run.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            return f"{event.step_key}: {(error.cause or error).message.strip()[:2000]}"
    return "run failed"


def _raw_rows(published: Path) -> int:
    import duckdb

    con = duckdb.connect(str(published), read_only=True)
    try:
        tables = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw_salesforce'"
        ).fetchall()
        return sum(
            con.execute(f'select count(*) from raw_salesforce."{t}"').fetchone()[0]
            for (t,) in tables
        )
    finally:
        con.close()


# -- the floor arm -------------------------------------------------------------------


def _floor(fake, workdir: Path, kind: str, published: Path, since: str | None, run_id: str) -> dict:
    """DuckDB alone on the same data: the payloads as files, the same compiled dbt SQL."""
    payloads = workdir / "payloads" / kind
    shutil.rmtree(payloads, ignore_errors=True)
    dumped = fake.call("dump", directory=str(payloads), since=since)
    floor_dir = workdir / "floor"
    # dbt-duckdb names the catalog after the file, and the compiled SQL names it.
    floor_db = floor_dir / "trustgap.working.duckdb"
    if kind == "full":
        shutil.rmtree(floor_dir, ignore_errors=True)
        floor_dir.mkdir(parents=True)
    run_results = _run_results(run_id)
    spec = {
        "mode": "replace" if kind == "full" else "upsert",
        "payloads": str(payloads),
        "objects": dumped,
        "db": str(floor_db),
        "published": str(published),
        "run_results": str(run_results),
        "manifest": str(run_results.with_name("manifest.json")),
    }
    spec_path = workdir / f"floor-{kind}.json"
    spec_path.write_text(json.dumps(spec))
    # Its own process: the floor's memory is not mixed with the pipeline's.
    process = subprocess.run(
        [sys.executable, "-m", "benchmarks.floor", str(spec_path)],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if process.returncode != 0:
        return {"error": f"floor exited {process.returncode}"}
    floor = json.loads(process.stdout.strip().splitlines()[-1])
    floor["peak_rss_mb"] = max(p["peak_rss_mb"] for p in floor["phases"].values())
    floor["payload_bytes"] = sum(o["bytes"] for o in dumped.values())
    return floor


def _run_results(run_id: str) -> Path:
    """dbt's run_results.json of this run (dagster-dbt names its target after the run)."""
    from pipelines.project import DBT_PROJECT_DIR

    candidates = list((DBT_PROJECT_DIR / "target").glob(f"*-{run_id[:7]}-*/run_results.json"))
    return max(candidates, key=lambda p: p.stat().st_mtime)


def _add_ratios(result: dict) -> None:
    floor = result.get("floor", {}).get("phases")
    if not floor:
        return
    for name, entry in result["phases"].items():
        base = floor.get(name, {}).get("wall_s")
        entry["floor_wall_s"] = base
        entry["ratio"] = round(entry["wall_s"] / base, 1) if base else None
    total_floor = sum(p["wall_s"] for p in floor.values())
    result["total"]["floor_wall_s"] = round(total_floor, 2)
    result["total"]["ratio"] = round(result["total"]["wall_s"] / total_floor, 2)
