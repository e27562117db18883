"""Resources shared by every asset: short names, configured from the environment."""

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines.project import dbt_project
from pipelines.resources import CrmSource, RunParams, Warehouse


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "run_params": RunParams(),
            "warehouse": Warehouse(),
            "crm": CrmSource(),
            # The dbt next to this interpreter: the venv may not be on PATH.
            "dbt": DbtCliResource(
                project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt"))
            ),
        }
    )
