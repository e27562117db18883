"""The floor arm of a scenario: DuckDB alone on the payloads the fake served.

Each run's payloads are dumped as files and `benchmarks.floor` runs the same
compiled dbt SQL on them in its own process; the ratios say how far the
pipeline is from that floor, phase by phase.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from pipelines.warehouse import working_path


def run_floor(
    fake, workdir: Path, kind: str, published: Path, since: str | None, run_id: str
) -> dict:
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
        # The run's inputs besides the payloads (seeds, sync state, the other CRM's
        # empty raw tables) are in its working file; the published one has no raw.
        "published": str(working_path(published)),
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


def add_ratios(result: dict) -> None:
    """Each phase's wall time against the floor's, and the total's."""
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
