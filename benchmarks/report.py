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
    """The nightly runs' results (`<size>-<latency>ms-<run>.json`)."""
    results = [json.loads(p.read_text()) for p in sorted(directory.glob("?-*ms-*.json"))]
    return sorted(results, key=_order)


def save_peers(result: dict, directory: Path = RESULTS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    crm = result.get("crm", "salesforce")
    prefix = "peers" if crm == "salesforce" else f"peers-{crm}"
    path = directory / f"{prefix}-{result['size']}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2, sort_keys=True))
    tmp.replace(path)
    return path


def _load_kind(directory: Path, pattern: str) -> list[dict]:
    results = [json.loads(p.read_text()) for p in sorted(directory.glob(pattern))]
    return sorted(results, key=lambda r: SIZE_ORDER.get(r["size"], 9))


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
        f"Fake Salesforce CPU (its own process): {r.get('fake_server_cpu_s', 0):.1f} s"
        + (
            f", peak resident {r['fake_server_peak_rss_mb']:,} MB (not in the pipeline's peak)."
            if r.get("fake_server_peak_rss_mb")
            else "."
        ),
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


PEER_NOTES = """\
Correctness notes (the same for every size):

- *Same data*: every arm reads the catalog's fields of the same objects; the table
  above compares the live (not deleted) rows each arm's DuckDB file holds, per table.
- *Cursor semantics*: Trustgap commits each object's watermark in the same transaction
  as the rows it covers, and its next window starts at `watermark - overlap (10 min)`
  ordered by `(watermark, Id)` and upserted by Id, so rows committed late with an
  older SystemModstamp, or sharing the cursor's timestamp, are read again rather than
  lost. dlt's `incremental` keeps the highest SystemModstamp seen in its pipeline
  state and the next SOQL asks `> last_value` (as the verified source does): rows
  that share that exact timestamp but were committed after the read, and rows whose
  SystemModstamp lands behind the cursor, are never read again. dlt's state is saved
  with the load package, after the whole resource has been extracted: a run killed
  mid-object re-reads that object from the previous cursor (no loss, no duplicates
  thanks to the merge on Id); Trustgap resumes from the last landed page.
- *Deletes*: Trustgap reads incremental objects with `queryAll` (soft-deleted rows
  land flagged IsDeleted) and, on incremental runs, the deleted-records log
  (`/sobjects/X/deleted`), which also catches rows purged from the recycle bin. The
  dlt arms use `queryAll` here too, so full reads agree, but the verified source
  uses `query` (soft deletes never arrive) and neither calls the deleted log: a hard
  delete stays in dlt's table for good.
- *Requests*: Trustgap also spends one describe and one `SELECT COUNT()` per object
  (the count picks the transport); dlt spends a describe per object to intersect the
  field list with the org's.
"""


def _median(arm: dict, figure: str, digits: int = 1) -> str:
    value = arm.get(figure)
    if not value:
        return "-"
    return f"{_num(value['min'], digits)} / {_num(value['median'], digits)}"


HUBSPOT_PEER_NOTES = """\
HubSpot correctness notes (the same for every size):

- *Same data*: both arms list the catalog's objects with the same properties and page
  sizes (deals 50 with property history, engagements 100), live then archived, and read
  associations 1,000 ids per v4 batch call; the table above compares rows and live (not
  archived) rows per table, and the run fails if any differ.
- *Not the same requests*: Trustgap also reads the account's details and runs one
  `search` per object after its full pass (the window that catches changes made
  while it listed); the dlt arm does neither.
- *Cursor semantics*: Trustgap commits each object's cursor (the next page's `after`
  during a full pass, then a modified-since window read through search in id order)
  with the rows it covers; the dlt arm, like the verified source, has no cursor for
  CRM objects (the list endpoint has no modified-since filter): each run re-lists
  everything and merges, and a killed run starts over.
- *Deletes*: both read the archived pass, so archived records land flagged; records
  purged for good (GDPR delete) disappear from both lists and stay in both tables.
"""


def _crm(r: dict) -> str:
    return r.get("crm", "salesforce")


def peers_section(r: dict) -> str:
    """One CRM and size of the side-by-side peer benchmark (`benchmarks.peers`)."""
    arms = r["summary"]["arms"]
    hubspot = _crm(r) == "hubspot"
    lines = [
        f"## Peer arms{', HubSpot' if hubspot else ''}, {r['size']} ({r['generator_size']}): "
        "extract + land into DuckDB\n",
        f"{len(r['object_counts'])} {'objects (live/archived)' if hubspot else 'objects'}, "
        f"{sum(r['object_counts'].values()):,} "
        f"{'records' if hubspot else 'rows'} served; {r['rounds']} rounds, arms "
        f"alternated; measured {r['measured_at']}.\n",
        "| arm | rounds | process wall s (min / median) | extract + land s (min / median) "
        "| CPU s (min / median) | rows landed | rows/s (min / median) | peak RSS MB "
        "(min / median) | API requests |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, arm in arms.items():
        lines.append(
            f"| {name} | {arm['rounds']} | {_median(arm, 'wall_s')} | {_median(arm, 'work_s')} "
            f"| {_median(arm, 'cpu_s')} | {_num(arm['rows_landed'])} | "
            f"{_median(arm, 'rows_per_s')} | {_median(arm, 'peak_rss_mb', 0)} | "
            f"{_num(arm['requests']['median'], 0)} |"
        )
    if hubspot:
        ratio = r["summary"].get("hubspot_over_dlt_arrow")
        head, goal = "Trustgap HubSpot ÷ dlt-hubspot-arrow", "(#18: report it)"
    else:
        ratio = r["summary"].get("rest_over_dlt_arrow")
        head, goal = "Trustgap REST-only ÷ dlt-arrow", "(#18's goal: ≤ 0.80)"
    notes = [
        "",
        f"{head}, median extract + land: "
        + (f"**{ratio:.2f}** {goal}." if ratio else "not measured."),
    ]
    if r.get("skipped_arms"):
        notes.append(f"Skipped (no dlt venv): {', '.join(r['skipped_arms'])}.")
    fake = r["fake"]
    notes.append(
        f"The fake {'HubSpot' if hubspot else 'Salesforce'} (its own process, not in any "
        "arm's figures): "
        f"{fake['after_generation']['rss_mb']:,} MB resident after generating the org, "
        f"peak {fake['end']['peak_rss_mb']:,} MB over the whole run."
    )
    lines += notes
    lines += [
        "",
        "| round | arm | wall s | extract + land s | CPU s | peak RSS MB | requests "
        "| fake CPU s | load avg (1 min) before → after |",
        "|--:|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for run in r["runs"]:
        if run["exit_code"] != 0:
            lines.append(f"| {run['round']} | {run['arm']} | FAILED (exit {run['exit_code']}) |")
            continue
        lines.append(
            f"| {run['round']} | {run['arm']} | {_num(run['wall_s'])} | {_num(run['work_s'])} "
            f"| {_num(run['cpu_s'])} | {_num(run['peak_rss_mb'], 0)} | {_num(run['requests'])} "
            f"| {_num(run['fake_cpu_s'])} | {run['load_average_before'][0]:.2f} → "
            f"{run['load_average_after'][0]:.2f} |"
        )
    live = r["correctness"]["live_rows"]
    landed = r["correctness"].get("rows")
    if live:
        names = list(live)
        tables = sorted({t for counts in live.values() for t in counts})
        what = "Rows (and live rows) landed" if landed else "Live rows landed"
        lines += [
            "",
            f"{what} per table: "
            + ("**the same in every arm**." if r["correctness"]["same"] else "**DIFFERENT**."),
            "",
            "| table | " + " | ".join(names) + " |",
            "|---|" + "--:|" * len(names),
        ]
        for t in tables:
            cells = []
            for n in names:
                cell = _num(live[n].get(t))
                if landed and n in landed and landed[n].get(t) != live[n].get(t):
                    cell = f"{_num(landed[n].get(t))} ({cell})"
                cells.append(cell)
            lines.append(f"| {t} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render(
    results: list[dict],
    peers: list[dict] = (),
    hubspot: list[dict] = (),
    engines: list[dict] = (),
) -> str:
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
    for r in peers:
        if _crm(r) == "salesforce":
            parts.append(peers_section(r))
    if any(_crm(r) == "salesforce" for r in peers):
        parts.append(PEER_NOTES)
    for r in peers:
        if _crm(r) == "hubspot":
            parts.append(peers_section(r))
    if any(_crm(r) == "hubspot" for r in peers):
        parts.append(HUBSPOT_PEER_NOTES)
    for r in hubspot:
        parts.append(hubspot_section(r))
    if engines:
        parts.append(engines_section(engines))
    return "\n".join(parts)


def write_markdown(
    results: list[dict], path: Path = RESULTS_MD, directory: Path = RESULTS_DIR
) -> Path:
    """RESULTS.md from the nightly `results` and the peer and HubSpot JSONs in `directory`."""
    peers = _load_kind(directory, "peers-*.json")
    hubspot = _load_kind(directory, "hubspot-api-*.json")
    engines = _load_kind(directory, "engines-*.json")
    notes = ""
    if path.exists():
        text = path.read_text()
        if NOTES_MARKER in text:
            notes = text[text.index(NOTES_MARKER) + len(NOTES_MARKER) :]
    path.write_text(
        render(results, peers, hubspot, engines) + "\n" + NOTES_MARKER + (notes or "\n")
    )
    return path


def hubspot_section(r: dict) -> str:
    """The API-bound HubSpot arm (`benchmarks.hubspot_api`)."""
    run, needed, allowed = r["run"], r["needed"], r["allowed"]
    head = (
        f"## HubSpot, API-bound: {r['size']} ({r['generator_size']}), {r['tier']} limits, "
        f"{r['latency_ms']:g} ms latency\n"
    )
    if run.get("exit_code") != 0:
        return head + f"FAILED (exit {run.get('exit_code')}).\n"
    pages = ", ".join(f"{k} {v:,}" for k, v in needed["pages"].items())
    refused = sum(r["refused_429"].values())
    lines = [
        head,
        "| wall s (sync) | process wall s | floor s | x floor | requests | needed "
        "| 429s | peak in any 10 s | allowed per 10 s | CPU s | peak RSS MB "
        "| load avg (1 min) before → after |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        f"| {_num(run['work_s'])} | {_num(run['wall_s'])} | {_num(r['floor_s'])} | "
        f"**{r['ratio']:.2f}** | {_num(r['requests'])} | {_num(needed['total'])} | "
        f"{refused} | {r['peak_requests_10s']} | {allowed['requests_per_10s']} | "
        f"{_num(run['cpu_s'])} | {_num(run['peak_rss_mb'], 0)} | "
        f"{run['load_average_before'][0]:.2f} → {run['load_average_after'][0]:.2f} |",
        "",
        f"Floor = {needed['total']:,} requests needed ÷ {allowed['rate_per_s']:g} requests/s "
        f"allowed. Needed: list pages {pages}, plus {needed['other']} other calls "
        f"(associations, watermark searches, account, pipelines: as counted). "
        f"Requests by kind: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(r["requests_by_kind"].items()))
        + f". One request after another, the latency alone would cost "
        f"{r['latency_bound_s']:.1f} s ({r['requests']:,} x {r['latency_ms']:g} ms); "
        + (
            f"the connector kept up to {run['concurrency']} objects in flight, mean "
            f"send-to-answer {run['mean_answer_s']:.3f} s; "
            if run.get("concurrency")
            else ""
        )
        + f"the client's own limiter waited {run.get('limiter_waited_s', 0):.1f} s "
        "(summed over its threads). "
        f"Rows landed: {run['rows_landed']:,}.",
    ]
    return "\n".join(lines) + "\n"


def engines_section(results: list[dict]) -> str:
    """The dbt build on DuckDB and on local Spark, same landed data (`benchmarks.engines`)."""
    lines = [
        "## dbt build: DuckDB vs local Spark (same landed data)\n",
        "Generated by `python -m benchmarks.engines --sizes S,M`: the demo org landed once, "
        "then `dbt build` (models, seeds, data tests) on a copy of the DuckDB working file "
        "and, in a fresh process, lake export + Spark registration + the same build on "
        "Spark (`local[2]`, the profile's session). CPU s and peak RSS are the whole "
        "process tree's (the JVM included; n/a: a run measured before the JVM's CPU was "
        "counted). Wall time on a shared machine is indicative only: read it with the load "
        "averages.\n",
        "| size | raw rows | engine | exit | wall s | CPU s | peak RSS MB "
        "| load avg (1 min) before → after | measured |",
        "|---|--:|---|--:|--:|--:|--:|--:|---|",
    ]
    for r in results:
        for engine, arm in r["arms"].items():
            # Results before "cpu_method" counted wait4 alone: never the JVM's CPU.
            cpu = _num(arm["cpu_s"]) if arm.get("cpu_method") or engine != "spark" else "n/a"
            lines.append(
                f"| {r['size']} ({r['generator_size']}) | {_num(r['raw_rows'])} | {engine} "
                f"| {arm['exit_code']} | {_num(arm['wall_s'])} | {cpu} "
                f"| {_num(arm['peak_rss_mb'], 0)} | {arm['load_average_before'][0]:.2f} → "
                f"{arm['load_average_after'][0]:.2f} | {r['measured_at']} |"
            )
    return "\n".join(lines) + "\n"
