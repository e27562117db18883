"""A nightly run pays no fixed cost that is not work (#17).

Each run is a fresh Python process that also starts a dbt process: what they
import must come compiled from the install, and dagster-dbt must not build a
second, in-process dbt adapter that nothing uses.
"""

import datetime as dt
import importlib.util
import os
from pathlib import Path

import pytest

from pipelines.calendar import Calendar
from pipelines.defs.dbt_models import dbt_environment
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


def test_dbt_logs_info_to_its_file_unless_asked_for_more(monkeypatch, tmp_path):
    monkeypatch.delenv("DBT_LOG_LEVEL_FILE", raising=False)
    with dbt_environment(tmp_path / "w.duckdb", dt.date(2026, 11, 27), "", Calendar()):
        assert os.environ["DBT_LOG_LEVEL_FILE"] == "info"
    assert "DBT_LOG_LEVEL_FILE" not in os.environ

    monkeypatch.setenv("DBT_LOG_LEVEL_FILE", "debug")
    with dbt_environment(tmp_path / "w.duckdb", dt.date(2026, 11, 27), "", Calendar()):
        assert os.environ["DBT_LOG_LEVEL_FILE"] == "debug"
