"""The Dagster asset graph as plain data: asset keys, check keys, jobs, schedules.

`python -m tests.asset_graph` rewrites tests/golden/asset_graph.json after an
intended rename; `tests/test_asset_graph.py` fails on any other change.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden" / "asset_graph.json"


def snapshot() -> dict[str, list[str]]:
    from dagster import AssetKey

    from pipelines.definitions import defs

    definitions = defs()
    graph = definitions.resolve_asset_graph()
    job = definitions.resolve_job_def("nightly")
    return {
        "assets": sorted(key.to_user_string() for key in graph.get_all_asset_keys()),
        "asset_checks": sorted(
            f"{key.asset_key.to_user_string()}:{key.name}" for key in graph.asset_check_keys
        ),
        "jobs": sorted(j.name for j in definitions.resolve_all_job_defs()),
        "schedules": sorted(f"{s.name} -> {s.job_name}" for s in (definitions.schedules or [])),
        "nightly_assets": sorted(
            key.to_user_string() for key in job.asset_layer.executable_asset_keys
        ),
        "resources": sorted(definitions.resources or {}),
        # What publishing waits for, and the lineage shows.
        "published_warehouse_deps": sorted(
            key.to_user_string() for key in graph.get(AssetKey(["published_warehouse"])).parent_keys
        ),
    }


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(snapshot(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}", file=sys.stderr)
