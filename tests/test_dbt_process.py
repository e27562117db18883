"""dbt does not outlive the run that started it.

(#15 D6) A parent process starts dbt exactly as the nightly's dbt resource is
configured to (its `dbt_executable`), and is then killed outright. An orphaned
dbt would keep the working DuckDB file locked for seconds; it must stop at once.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.dbt_runner import DBT_PROJECT_DIR

PARENT = """
import signal, subprocess, sys, time
from pipelines.defs.resources import resources
dbt = resources().resources["dbt"]
if sys.argv[3] == "ignoring SIGTERM":  # children inherit an ignored signal
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen(
    [dbt.dbt_executable, "parse", "--project-dir", sys.argv[1], "--profiles-dir", sys.argv[1],
     "--target-path", sys.argv[2], "--log-path", sys.argv[2]],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
print(child.pid, flush=True)
time.sleep(600)
"""


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def importing_dbt(pid: int) -> bool:
    """Whether the process has mapped a compiled module from the venv's site-packages."""
    try:
        return "/site-packages/" in Path(f"/proc/{pid}/maps").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("launcher", ["plain", "ignoring SIGTERM"])
def test_dbt_stops_when_the_process_that_started_it_is_killed(tmp_path, launcher):
    """Also when the process that started dbt ignores SIGTERM, as a suite's test
    process did once some earlier code had set it so (this test failed in CI then)."""
    env = os.environ | {"TRUSTGAP_WORKING_DB": str(tmp_path / "working.duckdb")}
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(DBT_PROJECT_DIR), str(tmp_path / "target"), launcher],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    dbt_pid = int(parent.stdout.readline())
    assert not outlives_its_killed_parent(parent, dbt_pid, grace=5)


def outlives_its_killed_parent(parent: subprocess.Popen, pid: int, *, grace: float) -> bool:
    """Kill `parent` outright; whether its child `pid` still runs `grace` s later.

    The parent is killed once the child is importing dbt (a C extension from the venv
    is mapped): by then it has asked to die with its parent. Before that (a loaded CI
    machine can take over a second to get there) a parent's death is not something it
    can see. A child still running is killed.
    """
    deadline = time.monotonic() + 60
    while not importing_dbt(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive(pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + grace
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    still_running = alive(pid)
    if still_running:
        os.kill(pid, signal.SIGKILL)
    return still_running


def test_a_build_writes_its_manifest_once_at_the_end(tmp_path):
    """dbt wrote manifest.json after parsing and again after the run: now only after."""
    import json

    from tests.test_dbt_project import AS_OF, write_raw_salesforce

    warehouse = tmp_path / "working.duckdb"
    write_raw_salesforce(warehouse, {})
    env = os.environ | {"TRUSTGAP_WORKING_DB": str(warehouse), "TRUSTGAP_AS_OF": AS_OF}
    target = tmp_path / "target"
    dbt = Path(sys.executable).with_name("trustgap-dbt")
    result = subprocess.run(
        [str(dbt), "--debug", "--log-format", "json", "build",
         "--select", "stg_salesforce__opportunity_stages",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(target), "--log-path", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout[-3000:]
    written = [
        event["data"]["artifact_type"]
        for event in map(json.loads, result.stdout.splitlines())
        if event["info"]["name"] == "ArtifactWritten"
    ]
    assert written.count("WritableManifest") == 1, written
    assert written.count("RunExecutionResult") == 1, written
    manifest = json.loads((target / "manifest.json").read_text())
    assert "model.trustgap.stg_salesforce__opportunity_stages" in manifest["nodes"]
    results = json.loads((target / "run_results.json").read_text())["results"]
    assert {r["status"] for r in results} == {"success", "pass"}


def _stream_logger(name: str, level) -> tuple[object, io.StringIO]:
    """An event manager writing JSON lines at `level` to a string, as dbt's console does."""
    from dbt_common.events.event_manager import EventManager
    from dbt_common.events.logger import LineFormat, LoggerConfig

    manager, stream = EventManager(), io.StringIO()
    manager.add_logger(
        LoggerConfig(name=name, level=level, line_format=LineFormat.Json, output_stream=stream)
    )
    return manager, stream


def test_debug_events_no_logger_writes_are_never_built(monkeypatch):
    """The nightly's dbt logs at info: a SQL statement's debug event is dropped before
    dbt builds and formats it; with a logger at debug it is written as before."""
    import dbt_common.events.event_manager as events
    from dbt.adapters.events.types import SQLQuery
    from dbt_common.events.base_types import EventLevel
    from dbt_common.events.types import Note

    from pipelines.dbt_process import format_only_logged_events

    format_only_logged_events()
    built = []
    build = events.msg_from_base_event
    monkeypatch.setattr(
        events,
        "msg_from_base_event",
        lambda event, level=None: built.append(type(event).__name__) or build(event, level),
    )
    statement = SQLQuery(conn_name="model.trustgap.a", sql="select 42", node_info={})

    at_info, info_lines = _stream_logger("trustgap-test-info", EventLevel.INFO)
    at_info.fire_event(statement)
    at_info.fire_event(Note(msg="a node finished"))
    assert built == ["Note"]
    assert "a node finished" in info_lines.getvalue()
    assert "select 42" not in info_lines.getvalue()

    at_debug, debug_lines = _stream_logger("trustgap-test-debug", EventLevel.DEBUG)
    at_debug.fire_event(statement)
    assert built == ["Note", "SQLQuery"]
    assert "select 42" in debug_lines.getvalue()


def _parse(tmp_path: Path, working: Path, seed: Path | None = None) -> tuple[Path, list[str]]:
    """`trustgap-dbt parse` for the working file `working`, starting from `seed`'s parse
    state if given; its target folder and why dbt could not reuse the saved parse."""
    import json
    import shutil

    target = tmp_path / f"target-{working.parent.name}-{working.stem}"
    target.mkdir()
    if seed is not None:
        shutil.copy(seed / "partial_parse.msgpack", target)
    env = os.environ | {
        "TRUSTGAP_WORKING_DB": str(working),
        "TRUSTGAP_DUCKDB_THREADS": "2",
        "TRUSTGAP_DUCKDB_MEMORY_LIMIT": "1536MiB",
    }
    dbt = Path(sys.executable).with_name("trustgap-dbt")
    result = subprocess.run(
        [str(dbt), "--log-format", "json", "parse",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(target), "--log-path", str(target), "--target", "dev"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    reasons = [e["data"]["reason"] for e in events if e["info"]["name"] == "UnableToPartialParse"]
    return target, reasons


def test_a_parse_made_for_one_warehouse_folder_serves_a_new_folder(tmp_path):
    """(#17) The first run on a new warehouse parsed the whole project again (~4 s of
    CPU): dbt's profile hash held the working file's full path."""
    first, _ = _parse(tmp_path, tmp_path / "nightly" / "trustgap.working.duckdb")

    _, reasons = _parse(tmp_path, tmp_path / "new-folder" / "trustgap.working.duckdb", first)
    assert reasons == []

    # Another file name is another database name in every compiled relation: parse again.
    _, reasons = _parse(tmp_path, tmp_path / "nightly" / "other.working.duckdb", first)
    assert reasons == ["profile has changed"]


def test_no_model_or_macro_reads_the_working_files_path():
    """What lets a parse serve any folder (`parse_state_for_any_folder`): nothing
    parsed depends on where the working file is, only on its name."""
    import re

    reads_the_path = re.compile(
        r"TRUSTGAP_WORKING_DB|target\s*(\.\s*path|\[\s*['\"]path|\.get\(\s*['\"]path)"
    )
    sources = [DBT_PROJECT_DIR / "dbt_project.yml"] + [
        path
        for folder in ("models", "macros", "tests", "snapshots", "analyses", "seeds")
        for path in (DBT_PROJECT_DIR / folder).rglob("*")
        if path.suffix in (".sql", ".yml", ".yaml")
    ]
    assert len(sources) > 100
    assert [p.name for p in sources if reads_the_path.search(p.read_text())] == []
