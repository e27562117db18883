"""Where things live: the project root, the dbt project and its manifest, the data folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.settings import DATA_DIR, PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _newest_source_mtime() -> float:
    newest = (DBT_PROJECT_DIR / "dbt_project.yml").stat().st_mtime
    for folder in ("models", "macros", "seeds", "tests", "snapshots"):
        for path in (DBT_PROJECT_DIR / folder).rglob("*"):
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    return newest


def ensure_manifest(*, force: bool = False) -> Path:
    """Parse the dbt project when its manifest is missing or older than its sources.

    `make install` calls this through `trustgap prepare`; the CLI and the code
    location call it again so an edited model is never run from a stale manifest.
    """
    manifest = dbt_project.manifest_path
    if force or not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime():
        from dbt.cli.main import dbtRunner

        from pipelines.dbt_process import parse_state_for_any_folder

        os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
        target, profile_env = _nightly_profile()
        # The parse state saved beside the manifest (target/partial_parse.msgpack)
        # seeds every run's: made with the nightly's target and profile (a working
        # file of the nightly's name, its DuckDB settings), the first run on a new
        # warehouse reuses it instead of parsing the whole project again.
        parse_state_for_any_folder()
        with scoped_environment(profile_env):
            result = dbtRunner().invoke(
                [
                    "parse",
                    "--quiet",
                    "--project-dir",
                    str(DBT_PROJECT_DIR),
                    "--profiles-dir",
                    str(DBT_PROJECT_DIR),
                    "--target-path",
                    str(manifest.parent),
                    "--target",
                    target,
                ]
            )
        if not result.success:
            raise RuntimeError(f"dbt parse failed: {result.exception}")
    return manifest


def _nightly_profile() -> tuple[str, dict[str, str]]:
    """The dbt target and the profile's environment a nightly run parses with."""
    from pipelines.duckdb_settings import DuckDBSettings
    from pipelines.settings import Settings
    from pipelines.warehouse import working_path

    settings = Settings.from_env()
    return settings.dbt_target, {
        "TRUSTGAP_WORKING_DB": str(working_path(settings.warehouse)),
        **DuckDBSettings.from_env().environment(),
    }


# What the first Trustgap versions wrote: serialised runs only.
_SERIAL_RUNS_YAML = """\
# Written by Trustgap. Runs on one warehouse are serialised (DuckDB has one writer).
telemetry:
  enabled: false
concurrency:
  runs:
    tag_concurrency_limits:
      - key: trustgap/warehouse
        limit: 1
"""
_RETRIES_YAML = """\
# A run whose process was terminated or crashed, or that never started, is
# launched again by the daemon (dagster dev). Runs that failed in a step are not
# (the nightly job's tags say so too): transient CRM errors are retried inside
# the run, and a failed data check or a refused token would only fail again.
run_retries:
  enabled: true
  max_retries: 2
  retry_on_asset_or_op_failure: false
# Fails runs stuck starting (and so lets run retries relaunch them) and enforces
# a dagster/max_runtime tag. The default run launcher cannot resume a run.
run_monitoring:
  enabled: true
  max_resume_run_attempts: 0
"""
# One run at a time per warehouse, not per instance: the tag's value is the
# warehouse's path, so a stuck run on one warehouse does not hold the others.
_PER_WAREHOUSE_YAML = _SERIAL_RUNS_YAML.replace(
    "limit: 1\n", "value:\n          applyLimitPerUniqueValue: true\n        limit: 1\n"
)
DAGSTER_YAML = _PER_WAREHOUSE_YAML + _RETRIES_YAML
# What earlier Trustgap versions wrote; such a file is brought up to date, any
# other existing dagster.yaml is the user's and left alone.
_EARLIER_DAGSTER_YAMLS = (_SERIAL_RUNS_YAML, _SERIAL_RUNS_YAML + _RETRIES_YAML)


def ensure_dagster_home() -> Path:
    """DAGSTER_HOME (default data/dagster_home) with Trustgap's instance settings."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(DATA_DIR / "dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() in _EARLIER_DAGSTER_YAMLS:
        config.write_text(DAGSTER_YAML)
    return home


@contextmanager
def scoped_environment(values: dict[str, str]) -> Iterator[None]:
    """Set `values` (an empty one: unset) for a dbt invocation, then restore the old ones."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value:
                os.environ[name] = value
            else:
                os.environ.pop(name, None)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
