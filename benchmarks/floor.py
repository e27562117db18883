"""The floor arm: DuckDB alone doing what a nightly run does, on the same data.

`python -m benchmarks.floor SPEC.json` (run by the harness in its own process)
prints one JSON line of per-phase wall time, CPU and peak memory:

- extract: reading the payload files the fake served (Bulk-style CSV) into memory;
- land: `read_csv` of those files into `raw_salesforce.*` with the connector's
  column types (replace, or delete-and-insert by Id for an incremental window);
- dbt: the run's own compiled SQL from dbt's run_results.json, in execution
  order: `create or replace view|table ... as <compiled>` per model, and
  `select count(*) from (<compiled>)` per data test;
- checks: one aggregate scan per great-expectations suite over the columns it reads;
- publish: checkpoint, copy the file, fsync, rename;
- orchestration: nothing (0).

Seeds and the other sources (empty HubSpot tables) are copied from the run's
published warehouse before timing starts: they are inputs, not work.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

from benchmarks.probe import Probe
from connectors.salesforce.objects import OBJECTS

_SQL_TYPES = {"string": "varchar", "double": "double", "bool": "boolean"}
MB = 1024**2


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Phases:
    def __init__(self, probe: Probe) -> None:
        self.probe = probe
        self.phases: dict[str, dict] = {}

    @contextmanager
    def phase(self, name: str):
        start, cpu = time.time(), _cpu()
        yield
        end = time.time()
        self.probe.sample()
        self.phases[name] = {
            "wall_s": round(end - start, 4),
            "cpu_s": round(_cpu() - cpu, 3),
            "peak_rss_mb": round(self.probe.peak_rss(start, end) / MB, 1),
        }


def _select_list(obj, dumped: dict) -> str:
    present = set(dumped["fields"])
    datetimes = set(dumped.get("datetimes", ()))
    exprs = []
    for name, arrow_type in obj.fields:
        sql_type = _SQL_TYPES[str(arrow_type)]
        column = _q(name)
        if name not in present:
            exprs.append(f"null::{sql_type} as {column}")
        elif name in datetimes:
            exprs.append(f"regexp_replace({column}, 'Z$', '+0000') as {column}")
        elif sql_type == "varchar":
            exprs.append(column)
        else:
            exprs.append(f"{column}::{sql_type} as {column}")
    return ", ".join(exprs)


def land(con, spec: dict) -> int:
    con.execute("create schema if not exists raw_salesforce")
    rows = 0
    by_table = {obj.table: obj for obj in OBJECTS}
    for table, dumped in spec["objects"].items():
        obj = by_table[table]
        path = Path(spec["payloads"]) / f"{table}.csv"
        source = (
            f"read_csv({_lit(str(path))}, header = true, all_varchar = true, "
            "quote = '\"', escape = '\"', delim = ',')"
        )
        select = f"select {_select_list(obj, dumped)}, now() as _loaded_at from {source}"
        target = f"raw_salesforce.{_q(table)}"
        if spec["mode"] == "replace" or not obj.incremental:
            con.execute(f"create or replace table {target} as {select}")
        else:
            con.execute("begin transaction")
            con.execute(f'delete from {target} where "Id" in (select "Id" from {source})')
            con.execute(f"insert into {target} {select}")
            con.execute("commit")
        rows += dumped["rows"]
    return rows


def copy_inputs(con, spec: dict) -> None:
    """Seeds and non-Salesforce sources, as the pipeline's run had them."""
    manifest = json.loads(Path(spec["manifest"]).read_text())
    wanted = []
    for source in manifest.get("sources", {}).values():
        if source["schema"] != "raw_salesforce":
            wanted.append((source["schema"], source.get("identifier") or source["name"]))
    for node in manifest.get("nodes", {}).values():
        if node["resource_type"] == "seed":
            wanted.append((node["schema"], node.get("alias") or node["name"]))
    con.execute(f"attach {_lit(spec['published'])} as pub (read_only)")
    existing = set(
        con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'pub'"
        ).fetchall()
    )
    for schema, name in wanted:
        if (schema, name) in existing:
            con.execute(f"create schema if not exists {_q(schema)}")
            con.execute(
                f"create or replace table {_q(schema)}.{_q(name)} as "
                f"select * from pub.{_q(schema)}.{_q(name)}"
            )
    con.execute("detach pub")


def dbt(con, spec: dict) -> dict:
    manifest = json.loads(Path(spec["manifest"]).read_text())
    results = json.loads(Path(spec["run_results"]).read_text())["results"]
    nodes = manifest["nodes"]
    counts = {"models": 0, "tests": 0}
    for result in results:
        node = nodes.get(result["unique_id"])
        code = result.get("compiled_code") or (node or {}).get("compiled_code")
        if node is None or not code or result.get("status") in ("skipped", "error"):
            continue
        kind = node["resource_type"]
        if kind == "model":
            materialized = node["config"].get("materialized", "view")
            if materialized == "ephemeral":
                continue
            con.execute(f"create schema if not exists {_q(node['schema'])}")
            what = "view" if materialized == "view" else "table"
            con.execute(f"create or replace {what} {node['relation_name']} as {code}")
            counts["models"] += 1
        elif kind == "test":
            con.execute(f"select count(*) from ({code}) as t").fetchall()
            counts["tests"] += 1
    return counts


def checks(con, suites) -> int:
    tables = set(
        f"{s}.{t}"
        for s, t in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
    )
    scanned = 0
    for suite in suites:
        if suite.table not in tables:
            continue
        columns = sorted(
            {c for spec in suite.expectations for c in (*spec.columns, spec.key_column) if c}
        )
        aggregates = ["count(*)"]
        for column in columns:
            c = _q(column)
            aggregates += [f"count({c})", f"count(distinct {c})", f"min({c})", f"max({c})"]
        con.execute(f"select {', '.join(aggregates)} from {suite.table}").fetchall()
        scanned += 1
    return scanned


def publish(con, db: Path) -> None:
    con.execute("create schema if not exists trustgap_meta")
    con.execute(
        "create table if not exists trustgap_meta.runs (run_id varchar, published_at timestamptz)"
    )
    # The table may be the full run log already (dbt's on-run-start creates it).
    con.execute("insert into trustgap_meta.runs (run_id, published_at) values ('floor', now())")
    con.execute("checkpoint")
    published = db.with_name("floor.published.duckdb")
    tmp = db.with_name(".floor.published.tmp")
    shutil.copyfile(db, tmp)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, published)


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    db = Path(spec["db"])
    probe = Probe().start()
    phases = Phases(probe)
    con = duckdb.connect(str(db))
    if spec["mode"] == "replace":
        copy_inputs(con, spec)
    with phases.phase("extract"):
        size = sum(len(p.read_bytes()) for p in Path(spec["payloads"]).iterdir())
    with phases.phase("land"):
        rows = land(con, spec)
    with phases.phase("dbt"):
        counts = dbt(con, spec)
    from expectations import load_suites

    all_suites = list(load_suites().values())
    with phases.phase("checks"):
        suites = checks(con, all_suites)
    with phases.phase("publish"):
        publish(con, db)
    con.close()
    probe.stop()
    phases.phases["orchestration"] = {"wall_s": 0.0, "cpu_s": 0.0, "peak_rss_mb": 0.0}
    print(
        json.dumps(
            {
                "phases": phases.phases,
                "rows_landed": rows,
                "payload_bytes_read": size,
                "dbt_nodes": counts,
                "suites": suites,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
