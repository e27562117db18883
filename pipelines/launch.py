"""Running a job from the CLI as a run of its code location, so the UI lists it.

`JobDefinition.execute_in_process` records a run with no code-location origin:
the instance has it, but the job's Runs tab and the Overview timeline, which
filter on the location (the run's `.dagster/repository` tag, derived from its
remote origin), show "No runs found". Here the run is created with the origin
the location has under `dg dev`, `make dev` and workspace.yaml (one name,
`trustgap`, which `make dev-demo` uses too) and then executed in this process, so
the CLI keeps its progress lines and needs no webserver or gRPC server.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import dagster as dg

from pipelines.settings import PROJECT_ROOT

JOB = "nightly"


@dataclass(frozen=True)
class CodeLocation:
    """A code location as the workspace names it, and the module whose `defs` it loads."""

    name: str
    module: str

    def label(self) -> str:
        """How runs of this location are tagged (`.dagster/repository`)."""
        return f"__repository__@{self.name}"


# The same names as workspace.yaml and pyproject's [tool.dg.project] (tests/test_definitions.py).
PRODUCTION = CodeLocation("trustgap", "pipelines.definitions")
# The demo is the same location with the demo CRM: under another name, Dagster's component
# loader warns on every load that it differs from [tool.dg.project]'s.
DEMO = CodeLocation("trustgap", "demo.definitions")


def origins(location: CodeLocation, job_name: str = JOB):
    """The (remote, python) origins a run of `job_name` has when the location launches it."""
    from dagster._core.definitions.reconstruct import ReconstructableRepository
    from dagster._core.definitions.repository_definition.valid_definitions import (
        SINGLETON_REPOSITORY_NAME,
    )
    from dagster._core.remote_origin import (
        ManagedGrpcPythonEnvCodeLocationOrigin,
        RemoteRepositoryOrigin,
    )
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    where = str(PROJECT_ROOT)
    target = LoadableTargetOrigin(
        executable_path=sys.executable, module_name=location.module, working_directory=where
    )
    remote = RemoteRepositoryOrigin(
        ManagedGrpcPythonEnvCodeLocationOrigin(target, location.name), SINGLETON_REPOSITORY_NAME
    ).get_job_origin(job_name)
    python = ReconstructableRepository.for_module(location.module, "defs", where)
    return remote, python.get_reconstructable_job(job_name).get_python_origin()


def execute(
    definitions: dg.Definitions,
    location: CodeLocation,
    instance: dg.DagsterInstance,
    *,
    run_id: str | None = None,
    run_config: dict,
    tags: dict[str, str],
    job_name: str = JOB,
) -> dg.ExecuteInProcessResult:
    """Create the run with `location`'s origin and execute it here, as a run worker would."""
    from dagster._core.definitions.job_base import InMemoryJob
    from dagster._core.execution.api import (
        ExecuteRunWithPlanIterable,
        create_execution_plan,
        job_execution_iterator,
    )
    from dagster._core.execution.context_creation_job import (
        PlanOrchestrationContextManager,
        orchestration_context_event_generator,
    )

    job_def = definitions.resolve_job_def(job_name)
    job = InMemoryJob(job_def)
    plan = create_execution_plan(job, run_config=run_config, instance_ref=instance.get_ref())
    remote_origin, code_origin = origins(location, job_name)
    run = instance.create_run_for_job(
        job_def=job_def,
        execution_plan=plan,
        run_id=run_id,
        run_config=run_config,
        tags={**job_def.run_tags, **tags},
        remote_job_origin=remote_origin,
        job_code_origin=code_origin,
    )
    events = list(
        ExecuteRunWithPlanIterable(
            execution_plan=plan,
            iterator=job_execution_iterator,
            execution_context_manager=PlanOrchestrationContextManager(
                context_event_generator=orchestration_context_event_generator,
                job=job,
                execution_plan=plan,
                dagster_run=run,
                instance=instance,
                run_config=run_config,
                executor_defs=None,
                output_capture=None,
                raise_on_error=False,
            ),
        )
    )
    return dg.ExecuteInProcessResult(
        job_def=job_def,
        event_list=events,
        dagster_run=instance.get_run_by_id(run.run_id),
        output_capture={},
    )
