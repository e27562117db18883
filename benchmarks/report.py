"""Tables of benchmark results: printed, as JSON files, and as benchmarks/RESULTS.md.

RESULTS.md is rebuilt from every JSON in benchmarks/results/ (the newest result
per size, latency and run kind); the hand-written notes after the NOTES marker
are kept as they are.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.nightly_run import PHASES

HERE = Path(__file__).parent
RESULTS_DIR = HERE / "results"
RESULTS_MD = HERE / "RESULTS.md"
NOTES_MARKER = "<!-- notes: everything below is kept when the tables are rebuilt -->"
RUN_ORDER = {"full": 0, "incremental": 1, "no_change": 2}
SIZE_ORDER = {"T": 0, "S": 1, "M": 2, "L": 3}


def save(result: dict, directory: Path = RESULTS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{result['size']}-{int(result['latency_ms'])}ms-{result['run']}.json"
    path = directory / name
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2, sort_keys=True))
    tmp.replace(path)
    return path


def load(directory: Path = RESULTS_DIR) -> list[dict]:
    results = [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))]
    return sorted(results, key=_order)


def _order(r: dict) -> tuple:
    return (SIZE_ORDER.get(r["size"], 9), r["latency_ms"], RUN_ORDER.get(r["run"], 9))


def _num(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) or (isinstance(value, float) and value >= 1000):
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


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
            f"| {name} | {_num(p['wall_s'])} | {_num(p['cpu_s'])} | {_num(p['rows'])} | "
            f"{_num(p['rows_per_s'])} | {_num(p['api_requests'])} | {_num(p['peak_rss_mb'], 0)} | "
            f"{_num(floor.get(name, {}).get('wall_s'), 2)} | {_num(p.get('ratio'))} |"
        )
    t = r["total"]
    lines.append(
        f"| **total** | **{_num(t['wall_s'])}** | {_num(t['cpu_s'])} | {_num(t['raw_rows'])} | "
        f"| {_num(r['api']['requests'])} | {_num(t['peak_rss_mb'], 0)} | "
        f"{_num(t.get('floor_wall_s'), 1)} | **{_num(t.get('ratio'))}** |"
    )
    notes = [
        f"API: {r['api']['requests']} requests for {r['api']['min_pages']} minimum pages "
        f"({', '.join(f'{k} {v}' for k, v in sorted(r['api']['by_kind'].items()))}).",
        f"Fake Salesforce CPU (its own process): {r.get('fake_server_cpu_s', 0):.1f} s.",
        f"Load average (1/5/15 min) before: {'/'.join(map(str, r['load_average_before']))}.",
    ]
    if r.get("report"):
        notes.append(
            f"Trust report step: {r['report']['wall_s']:.1f} s wall, "
            f"{r['report']['cpu_s']:.1f} s CPU (in the total; the floor builds no report)."
        )
    nodes = (r.get("floor") or {}).get("dbt_nodes")
    if nodes:
        notes.append(f"dbt: {nodes['models']} models and {nodes['tests']} data tests ran.")
    return "\n".join(lines) + "\n\n" + " ".join(notes) + "\n"


def summary_table(results: list[dict]) -> str:
    lines = [
        "| size | latency | run | wall s | floor s | x floor | rows landed | landing rows/s "
        "| API requests | min pages | peak MB | floor peak MB | load avg (1 min) |",
        "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        if not r.get("success"):
            lines.append(f"| {r['size']} | {r['latency_ms']:g} ms | {r['run']} | FAILED |")
            continue
        t, floor = r["total"], r.get("floor") or {}
        load = f"{r['load_average_before'][0]:.2f} -> {r['load_average_after'][0]:.2f}"
        lines.append(
            f"| {r['size']} | {r['latency_ms']:g} ms | {r['run'].replace('_', '-')} | "
            f"{_num(t['wall_s'])} | {_num(t.get('floor_wall_s'))} | {_num(t.get('ratio'))} | "
            f"{_num(t['rows_landed'])} | {_num(r['phases']['land']['rows_per_s'])} | "
            f"{_num(r['api']['requests'])} | {_num(r['api']['min_pages'])} | "
            f"{_num(t['peak_rss_mb'], 0)} | {_num(floor.get('peak_rss_mb'), 0)} | {load} |"
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


def render(results: list[dict]) -> str:
    parts = [
        "# Benchmark results\n",
        "Generated by `python -m benchmarks.run` (`make bench`) from `benchmarks/results/*.json`;"
        " see `benchmarks/README.md` for what each phase and the floor measure.\n",
        machine_line(results),
        "## Summary\n",
        summary_table(results),
    ]
    for r in results:
        parts += [f"## {title(r)}\n", phase_table(r)]
    return "\n".join(parts)


def write_markdown(results: list[dict], path: Path = RESULTS_MD) -> Path:
    notes = ""
    if path.exists():
        text = path.read_text()
        if NOTES_MARKER in text:
            notes = text[text.index(NOTES_MARKER) + len(NOTES_MARKER) :]
    path.write_text(render(results) + "\n" + NOTES_MARKER + (notes or "\n"))
    return path
