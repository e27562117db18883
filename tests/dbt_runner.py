"""Run dbt on the project as Dagster does: a subprocess pointed at one working database.

In-process dbt-duckdb would keep the database file open, so tests shell out to the
venv's ``dbt`` like the nightly job.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


def run_dbt(
    args: list[str], tmp_path: Path, warehouse: Path, as_of: str, extra_vars: dict | None = None
) -> subprocess.CompletedProcess:
    """``dbt *args`` on ``warehouse`` as of ``as_of`` (and ``extra_vars``); target and logs
    under ``tmp_path``."""
    dbt = Path(sys.executable).with_name("dbt")
    env = os.environ | {
        "TRUSTGAP_WORKING_DB": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    command = [
        str(dbt),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(tmp_path / "target"),
        "--log-path",
        str(tmp_path / "logs"),
        "--vars",
        json.dumps({"as_of": as_of, **(extra_vars or {})}),
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
