"""Resources shared by every asset: short names, configured from the environment."""

import sys
from functools import cached_property
from importlib import metadata
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging import version

from pipelines.project import dbt_project
from pipelines.resources import CrmSource, RunParams, Warehouse


class TrustgapDbtCli(DbtCliResource):
    """dagster-dbt's dbt CLI resource without its `dbt --version` call on every run.

    dagster-dbt runs `dbt --version` before each invocation to learn the version;
    that imports all of dbt and looks the latest dbt-core and adapter releases up
    on PyPI: seconds per run, and a network call the offline nightly must not
    make. The executable is the dbt beside this interpreter, so the installed
    dbt-core package knows its version.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(metadata.version("dbt-core"))


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "run_params": RunParams(),
            "warehouse": Warehouse(),
            "crm": CrmSource(),
            # The dbt next to this interpreter: the venv may not be on PATH.
            "dbt": TrustgapDbtCli(
                project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt"))
            ),
        }
    )
