"""One measured nightly run: the real Dagster `nightly` job in a fresh Python process.

Phases come from Dagster's step events: `raw_salesforce` is split into extract and
land by `landing_timer`; the raw HubSpot step (which lands empty tables on a
Salesforce run) counts as land; `trustgap_dbt_models` is dbt (models and tests);
the great-expectations checks are checks; `published_warehouse` is publish;
whatever the run spends outside its steps is orchestration. The trust report
step, after the publish, is timed on its own (`report`): the total includes it,
the DuckDB-alone floor builds no report.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import math
import multiprocessing
import os
import time
from pathlib import Path

from benchmarks import landing_timer, machine
from benchmarks.probe import Probe

PHASES = ("extract", "land", "dbt", "checks", "publish", "orchestration")
REST_PAGE = 2000
MB = 1024**2


def _job():
    from pipelines.definitions import defs

    return defs().resolve_job_def("nightly")


def _run_config(published: Path, as_of: dt.date, full_refresh: bool) -> dict:
    return {
        "resources": {
            "crm": {"config": {"source": "salesforce"}},
            "run_params": {"config": {"as_of": as_of.isoformat(), "full_refresh": full_refresh}},
            "warehouse": {"config": {"path": str(published)}},
        },
        "loggers": {"console": {"config": {"log_level": "WARNING"}}},
    }


def run_in_fresh_process(published, as_of, *, full_refresh: bool, profile_to) -> dict:
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

    speed_probe = machine.speed_probe_s()
    load_before = machine.load_average()
    cpu_before = machine.cpu_jiffies()
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
    from expectations.gx_engine import validation_count

    steps = _step_windows(events)
    materialized = _object_results(events)
    out = {
        "success": run.success,
        "load_average_before": load_before,
        "load_average_after": machine.load_average(),
        "cpu_steal_pct": machine.steal_percent(cpu_before, machine.cpu_jiffies()),
        "speed_probe_s": speed_probe,
        "steps": {k: round(e - s, 3) for k, (s, e) in steps.items()},
        "run_id": run.run_id,
        # Each costs ~20-40 ms whatever it holds (the run is this process's only one).
        "gx_validations": validation_count(),
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
        elif key == "trust_report":
            out["report"] = {
                "wall_s": round(end - start, 3),
                "cpu_s": round(probe.cpu_at(end) - probe.cpu_at(start), 3),
            }
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

    from pipelines.warehouse import working_path

    # Raw tables stay in the working file; the published one holds what readers need.
    con = duckdb.connect(str(working_path(published)), read_only=True)
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
