"""A nightly run pays no fixed cost that is not work (#17).

Each run is a fresh Python process that also starts a dbt process: what they
import must come compiled from the install, and dagster-dbt must not build a
second, in-process dbt adapter that nothing uses.
"""

import importlib.util
from pathlib import Path

import pytest

from pipelines.defs.resources import resources
from pipelines.project import dbt_project


@pytest.mark.parametrize(
    "module", ["dagster", "dagster_dbt", "dbt.cli.main", "great_expectations", "pandas"]
)
def test_the_install_ships_the_bytecode_each_run_imports(module):
    source = importlib.util.find_spec(module).origin
    assert Path(importlib.util.cache_from_source(source)).exists(), (
        f"{module} has no compiled bytecode: every run would compile it again "
        "(make install syncs with --compile-bytecode)"
    )


def test_dbt_invocations_build_no_in_process_adapter():
    dbt = resources().resources["dbt"]

    invocation = dbt.cli(["--version"], manifest=dbt_project.manifest_path)
    invocation.wait()

    assert invocation.is_successful()
    assert invocation.adapter is None
