"""Resources shared by every asset: short names, their defaults from pipelines.settings."""

import sys
from collections.abc import Sequence
from functools import cached_property
from importlib import metadata
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging import version
from pydantic import PrivateAttr

from pipelines import dbt_standby
from pipelines.dbt_standby import Standby, StandbyError
from pipelines.project import dbt_project, scoped_environment
from pipelines.resources import default_resources
from pipelines.settings import Settings


class TrustgapDbtCli(DbtCliResource):
    """dagster-dbt's dbt CLI resource without its per-run fixed costs that are not work.

    dagster-dbt runs `dbt --version` before each invocation to learn the version;
    that imports all of dbt and looks the latest dbt-core and adapter releases up
    on PyPI: seconds per run, and a network call the offline nightly must not
    make. The executable is the dbt beside this interpreter, so the installed
    dbt-core package knows its version.

    A run that builds dbt starts a dbt process when it starts, which imports dbt
    while the first steps work; the run's first dbt command runs in it
    (pipelines/dbt_standby.py; TRUSTGAP_DBT_START_AHEAD=off turns it off).
    """

    _standby: Standby | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        super().setup_for_execution(context)
        settings = Settings.from_env()
        if not settings.dbt_start_ahead or not dbt_standby.supported():
            return
        try:
            # Resources are set up on the run's main thread, which lives as long as the run.
            self._standby = Standby.start(
                Path(self.project_dir), adapter="spark" if settings.engine == "spark" else "duckdb"
            )
        except (OSError, StandbyError) as error:
            if context.log:
                context.log.info(f"dbt is not started ahead ({error}): the dbt step starts it")

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._standby is not None:
            outcome = self._standby.stop()
            if context.log:
                context.log.debug(f"The dbt process started ahead {outcome}")
            self._standby = None

    def cli(self, args: Sequence[str], **kwargs):
        """dagster-dbt's `cli`; the first command of a run goes to the dbt started ahead."""
        handed = self._standby.environment() if self._standby is not None else {}
        with scoped_environment(handed):
            return super().cli(args, **kwargs)

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        """No in-process dbt adapter: dagster-dbt builds one before every invocation
        (profile, project, every macro: ~1.7 s of CPU per run) only to fetch row counts
        and column metadata, which Trustgap does not ask for."""
        return None


@dg.definitions
def resources() -> dg.Definitions:
    settings = Settings.from_env()
    return dg.Definitions(
        resources={
            **default_resources(settings),
            # dbt next to this interpreter (the venv may not be on PATH), through the
            # wrapper that stops it when the run's process dies (pipelines/dbt_process.py).
            "dbt": TrustgapDbtCli(
                project_dir=dbt_project,
                dbt_executable=str(Path(sys.executable).with_name("trustgap-dbt")),
                # TRUSTGAP_DBT_TARGET: `dev` (DuckDB), `spark` with TRUSTGAP_ENGINE=spark.
                target=settings.dbt_target,
            ),
        }
    )
