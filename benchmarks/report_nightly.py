"""The nightly benchmark's sections of RESULTS.md: the summary table, one phase table
per size, latency and run kind, and the machine they ran on (`benchmarks.run`)."""

from __future__ import annotations

from benchmarks.nightly_run import PHASES
from benchmarks.report_format import num


def title(r: dict) -> str:
    run = r["run"].replace("_", "-")
    return f"{r['size']} ({r['generator_size']}), {run} run, latency {r['latency_ms']:g} ms"


def phase_table(r: dict) -> str:
    if not r.get("success"):
        return f"FAILED: {r.get('error', '?')}\n"
    floor = (r.get("floor") or {}).get("phases", {})
    lines = [
        "| phase | wall s | CPU s | rows | rows/s | API requests | peak MB | floor s | x floor |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name in PHASES:
        p = r["phases"][name]
        lines.append(
            f"| {name} | {num(p['wall_s'])} | {num(p['cpu_s'])} | {num(p['rows'])} | "
            f"{num(p['rows_per_s'])} | {num(p['api_requests'])} | {num(p['peak_rss_mb'], 0)} | "
            f"{num(floor.get(name, {}).get('wall_s'), 2)} | {num(p.get('ratio'))} |"
        )
    t = r["total"]
    lines.append(
        f"| **total** | **{num(t['wall_s'])}** | {num(t['cpu_s'])} | {num(t['raw_rows'])} | "
        f"| {num(r['api']['requests'])} | {num(t['peak_rss_mb'], 0)} | "
        f"{num(t.get('floor_wall_s'), 1)} | **{num(t.get('ratio'))}** |"
    )
    notes = [
        f"API: {r['api']['requests']} requests for {r['api']['min_pages']} minimum pages "
        f"({', '.join(f'{k} {v}' for k, v in sorted(r['api']['by_kind'].items()))}).",
        f"Fake Salesforce CPU (its own process): {r.get('fake_server_cpu_s', 0):.1f} s"
        + (
            f", peak resident {r['fake_server_peak_rss_mb']:,} MB (not in the pipeline's peak)."
            if r.get("fake_server_peak_rss_mb")
            else "."
        )
        + (
            f" Bulk results pages served as rendered when the org was loaded "
            f"({r.get('fake_prerender_s', 0):.1f} s, not in any run): "
            f"{r['fake_pages_rendered_ahead']} of {r['api']['by_kind'].get('bulk_results', 0)}."
            if "fake_pages_rendered_ahead" in r
            else ""
        ),
        f"Load average (1/5/15 min) before: {'/'.join(map(str, r['load_average_before']))}.",
    ]
    if r.get("speed_probe_s") is not None:
        notes.append(
            f"Machine speed just before the run: {r['speed_probe_s']:.3f} s for the fixed "
            f"speed probe (benchmarks/machine.py; lower is faster); CPU steal during the run: "
            f"{num(r.get('cpu_steal_pct'))} %."
        )
    if r.get("report"):
        notes.append(
            f"Trust report step: {r['report']['wall_s']:.1f} s wall, "
            f"{r['report']['cpu_s']:.1f} s CPU (in the total; the floor builds no report)."
        )
    if r.get("gx_validations") is not None:
        notes.append(f"Checks: {r['gx_validations']} great-expectations validations.")
    nodes = (r.get("floor") or {}).get("dbt_nodes")
    if nodes:
        notes.append(f"dbt: {nodes['models']} models and {nodes['tests']} data tests ran.")
    return "\n".join(lines) + "\n\n" + " ".join(notes) + "\n"


def summary_table(results: list[dict]) -> str:
    lines = [
        "| size | latency | run | wall s | floor s | x floor | rows landed | landing rows/s "
        "| API requests | min pages | peak MB | floor peak MB | load avg (1 min) "
        "| CPU steal % | speed probe s |",
        "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        if not r.get("success"):
            lines.append(f"| {r['size']} | {r['latency_ms']:g} ms | {r['run']} | FAILED |")
            continue
        t, floor = r["total"], r.get("floor") or {}
        load = f"{r['load_average_before'][0]:.2f} -> {r['load_average_after'][0]:.2f}"
        lines.append(
            f"| {r['size']} | {r['latency_ms']:g} ms | {r['run'].replace('_', '-')} | "
            f"{num(t['wall_s'])} | {num(t.get('floor_wall_s'))} | {num(t.get('ratio'))} | "
            f"{num(t['rows_landed'])} | {num(r['phases']['land']['rows_per_s'])} | "
            f"{num(r['api']['requests'])} | {num(r['api']['min_pages'])} | "
            f"{num(t['peak_rss_mb'], 0)} | {num(floor.get('peak_rss_mb'), 0)} | {load} | "
            f"{num(r.get('cpu_steal_pct'))} | {num(r.get('speed_probe_s'), 2)} |"
        )
    return "\n".join(lines) + "\n"


def machine_line(results: list[dict]) -> str:
    if not results:
        return ""
    m = results[-1]["machine"]
    return (
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}; "
        f"Python {m['python']}, DuckDB {m['duckdb']}, pyarrow {m['pyarrow']}, "
        f"Dagster {m['dagster']}, dbt-core {m['dbt_core']} + dbt-duckdb {m['dbt_duckdb']}, "
        f"great-expectations {m['great_expectations']}.\n"
    )
