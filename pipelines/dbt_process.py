"""`trustgap-dbt`: the dbt CLI, tied to the process that started it.

Dagster runs `dbt build` as a child process. If the run's process is killed
(`kill -9`, an out-of-memory kill, a closed terminal), an ordinary child lives on,
orphaned, still writing the working DuckDB file and holding its lock, so a rerun
started at once collides with it. On Linux this entry point asks the kernel to
stop it when its parent dies (PR_SET_PDEATHSIG, with SIGTERM's default action
restored first: a launcher may have left it ignored), then runs dbt.

A run (build, run, test, seed, snapshot) writes target/manifest.json once, at its
end, with the run's results: dbt also writes it right after loading the project,
before any node runs, and the two writes (a ~2.4 MB JSON document serialised in
Python, plus the semantic manifest) were the largest piece of dbt's own CPU on a
no-change night (issue #17). Nothing reads the first copy: dagster-dbt streams the
run's events and has the manifest of `trustgap prepare`.

dbt builds every event it fires, the debug ones of each SQL statement too, before
its loggers drop what is below their level; the nightly logs at info, so those are
dropped before they are built (`format_only_logged_events`).

The Python code dbt generates at run time (Jinja's for its templates, mashumaro's
for its dataclasses) and its settings' JSON schemas are built once and kept in the
project's target folder (`pipelines.dbt_code_cache`): each run built all of them
afresh.

dbt re-parses the whole project (~4 s of CPU at any org size) when the profile's
connection details differ from those its saved parse state was made with, and
the DuckDB profile's details include the working file's full path: every first
run on a new warehouse folder (a new install, a test, each benchmark size) paid
it. `parse_state_for_any_folder` keeps the file's name (it names the database
every compiled relation uses) but not its folder in that comparison.

A run starts a dbt process ahead of its dbt step, with dbt loaded by the time the
step needs it (pipelines/dbt_standby.py): this entry point first offers its command
to that process (`hand_over`), and runs dbt itself only when none takes it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path
from typing import Any

from pipelines.dbt_code_cache import keep_generated_code, keep_json_schemas, project_dir
from pipelines.dbt_standby import hand_over

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
# dbt commands that run nodes: GraphRunnableTask writes the manifest when they end.
RUNS_NODES = frozenset({"build", "run", "test", "seed", "snapshot"})


def die_with_parent() -> None:
    """Have the kernel send SIGTERM to this process when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    # An ignored signal stays ignored across exec: a launcher that ignores SIGTERM (the
    # test process of a suite where some earlier code did) would make the request void.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    # The parent may have died before the request was made: nobody would tell us.
    if os.getppid() != parent:
        sys.exit(1)


def write_manifest_once(command: str | None) -> bool:
    """Skip the manifest write that follows parsing, for a command that writes it again.

    Returns whether it was skipped. dbt's parse step calls
    `dbt.parser.manifest.write_manifest`; the end of a run calls its own import of it
    (dbt.task.runnable), which stays as it is.
    """
    if command not in RUNS_NODES:
        return False
    import dbt.parser.manifest as parsing
    import dbt.task.runnable as runnable

    if runnable.write_manifest is not parsing.write_manifest:
        return False  # not the dbt this was written for: change nothing

    def after_parse(*args, **kwargs) -> None:
        """Written at the end of the run instead."""

    parsing.write_manifest = after_parse
    return True


def read_secrets_once() -> bool:
    """Scrub dbt's log lines of the DBT_ENV_SECRET_* values read once, not once a line.

    Returns whether the scrubber was replaced. dbt's scrubber lists the whole
    environment again for every line it logs (~12,000 lines, console and file, on a
    no-change night: ~0.3 s of CPU, issue #17); the secrets of a dbt process are those
    it started with. Still every line is scrubbed of every secret.
    """
    import dbt.events.logging as file_logging
    import dbt_common.events.functions as console_logging
    from dbt_common.exceptions.base import env_secrets, scrub_secrets

    if file_logging.env_scrubber is not console_logging.env_scrubber:
        return False  # not the dbt this was written for: change nothing
    secrets = env_secrets()

    def scrubber(msg: str) -> str:
        return scrub_secrets(msg, secrets)

    file_logging.env_scrubber = console_logging.env_scrubber = scrubber
    return True


def format_only_logged_events() -> bool:
    """Drop the debug events no logger writes before they are built.

    Returns whether dbt's event manager was replaced. dbt turns every event into a
    protobuf message, and each logger formats it (on the console Dagster reads, a JSON
    document) before Python's logging drops what is below the logger's level. Each
    SQL statement and connection of every node fires debug events, so a nightly
    (console and file at info) built thousands of lines nobody wrote, in the Python
    that dbt's threads take turns to run (issue #17). Events at info and above, and
    every event when a logger is at debug (DBT_LOG_LEVEL_FILE=debug) or dbt is
    given callbacks of its own, go the usual way (dbt always adds one callback of
    its own, which reads only behaviour-change warnings).
    """
    from dbt.tracking import track_behavior_change_warn
    from dbt_common.events.base_types import EventLevel
    from dbt_common.events.event_manager import EventManager

    original = EventManager.fire_event
    if getattr(original, "trustgap_logged_only", False):
        return False  # replaced already (a second call in one process)
    unlogged = (EventLevel.DEBUG, EventLevel.TEST)

    def fire_event(self, e, level=None, node=None, force_warn_or_error_handling=False):
        if (
            (level or e.level_tag()) in unlogged
            and all(callback is track_behavior_change_warn for callback in self.callbacks)
            and all(logger.level not in unlogged for logger in self.loggers)
        ):
            return
        original(self, e, level, node, force_warn_or_error_handling)

    fire_event.trustgap_logged_only = True  # type: ignore[attr-defined]
    EventManager.fire_event = fire_event
    return True


def parse_state_for_any_folder() -> bool:
    """Let dbt reuse a parse made for a warehouse file of the same name in another folder.

    Returns whether dbt's state check was replaced. The check hashes the profile's
    connection details (`Credentials.connection_info`) because macros could read
    them while parsing; for DuckDB the only one that differs between two folders is
    `path`, which no model or macro of this project reads (`target.path`;
    tests/test_fixed_costs.py holds that), while `database`, derived from the file's
    name, still takes part. Every process that parses this project calls it
    (`trustgap-dbt` here, `trustgap prepare` in `pipelines.project`), so the saved
    and the new state are hashed the same way. Other adapters are left alone.
    """
    import dbt.parser.manifest as parsing
    from dbt.adapters.duckdb.credentials import DuckDBCredentials

    loader = parsing.ManifestLoader
    original = loader.build_manifest_state_check
    if getattr(original, "trustgap_any_folder", False):
        return False  # replaced already (a second call in one process)

    def build_manifest_state_check(self):
        credentials = self.root_project.credentials
        if not isinstance(credentials, DuckDBCredentials):
            return original(self)
        details = credentials.connection_info

        def connection_info(*, with_aliases: bool = False):
            for key, value in details(with_aliases=with_aliases):
                if key == "path" and isinstance(value, str):
                    value = os.path.basename(value)
                yield key, value

        # For this one call only: `dbt debug` and the logs still show the whole path.
        object.__setattr__(credentials, "connection_info", connection_info)
        try:
            return original(self)
        finally:
            object.__delattr__(credentials, "connection_info")

    build_manifest_state_check.trustgap_any_folder = True  # type: ignore[attr-defined]
    loader.build_manifest_state_check = build_manifest_state_check
    return True


def load_dbt(project: Path) -> Any:
    """Import dbt's CLI with the changes above that hold for any command; the CLI group.

    `project` is the dbt project whose target folder keeps the generated code.
    """
    code_cache = keep_generated_code(project)  # before dbt's import compiles
    from dbt.cli.main import cli

    if code_cache is not None:
        keep_json_schemas(code_cache)
    format_only_logged_events()
    parse_state_for_any_folder()
    return cli


def run_dbt(cli: Any, argv: list[str]) -> int:
    """Run the dbt command line `argv` with this environment's secrets; its exit status."""
    read_secrets_once()
    args = argv[1:]
    # The first word naming a dbt command is the command (global flags may come first).
    write_manifest_once(next((a for a in args if a in cli.commands), None))
    try:
        # As `dbt` does (click exits with the status), named as the command was.
        cli.main(args=args, prog_name=os.path.basename(argv[0]))
    except SystemExit as stopped:
        if stopped.code is None or isinstance(stopped.code, int):
            return stopped.code or 0
        print(stopped.code, file=sys.stderr)  # as Python does with a message
        return 1
    return 0


def main() -> None:
    die_with_parent()
    # A dbt process started ahead for this command runs it (pipelines/dbt_standby.py).
    status = hand_over(sys.argv)
    if status is None:
        status = run_dbt(load_dbt(project_dir(sys.argv[1:])), sys.argv)
    sys.exit(status)
