"""The code locations load exactly as `dagster dev` loads them (production and the demo)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.salesforce.objects import OBJECTS
from pipelines.definitions import defs

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "location", [["-w", "workspace.yaml"], ["-m", "demo.definitions"]], ids=["production", "demo"]
)
def test_code_locations_validate_with_the_dagster_cli(tmp_path, location):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run(
        [str(dagster), "definitions", "validate", *location],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_nightly_job_covers_raw_objects_dbt_marts_and_publish():
    definitions = defs()
    job = definitions.resolve_job_def("nightly")
    keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    for obj in OBJECTS:
        assert f"raw_salesforce/{obj.table}" in keys
    for mart in ("dim_users", "fct_deals", "rep_hygiene"):
        assert f"marts/{mart}" in keys
    assert "published_warehouse" in keys


def test_schedule_runs_the_nightly_job_at_two_by_default():
    schedule = defs().resolve_schedule_def("nightly_schedule")
    assert schedule.job_name == "nightly"
    assert schedule.cron_schedule == "0 2 * * *"


def test_dbt_tests_and_expectations_are_asset_checks():
    checks = {
        key.asset_key.to_user_string() + ":" + key.name
        for key in defs().get_repository_def().asset_graph.asset_check_keys
    }
    assert any(c.startswith("marts/fct_deals:gx_") for c in checks)
    assert any(c.startswith("marts/fct_deals:") and ":gx_" not in c for c in checks)
