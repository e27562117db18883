"""dbt started ahead: the dbt step's command runs in a process that has dbt loaded.

(#17) A run starts a dbt process when it starts (pipelines/dbt_standby.py), and the
dbt step's `trustgap-dbt` hands its command to it. What dagster-dbt sees must not
change: the same lines on its pipe, the same exit status, nothing left running or
holding the working file once its child has exited, and the same end when either
side is killed.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from pipelines.dbt_standby import (
    DECLINED,
    IMPORT_NICENESS,
    SOCKET_VARIABLE,
    Standby,
    supported,
)
from pipelines.defs.resources import TrustgapDbtCli
from tests.dbt_runner import DBT_PROJECT_DIR
from tests.test_dbt_process import alive, outlives_its_killed_parent

pytestmark = pytest.mark.skipif(not supported(), reason="a dbt standby needs Linux")

TRUSTGAP_DBT = Path(sys.executable).with_name("trustgap-dbt")
PROJECT = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]


def dbt(args: list[str], env: dict[str, str], **popen) -> subprocess.Popen:
    """`trustgap-dbt` as dagster-dbt starts it: JSON lines, stderr on stdout."""
    return subprocess.Popen(
        [str(TRUSTGAP_DBT), "--log-format", "json", *args],
        env=os.environ | env,
        stdout=popen.pop("stdout", subprocess.PIPE),
        stderr=subprocess.STDOUT,
        text=True,
        **popen,
    )


def pids(output: str) -> set[int]:
    """The pids dbt's JSON events say they came from."""
    return {json.loads(line)["info"]["pid"] for line in output.splitlines() if line.startswith("{")}


@pytest.fixture
def standby():
    """A standby with dbt loaded (imported at the usual priority: the suite's machine is busy)."""
    started = Standby.start(DBT_PROJECT_DIR, adapter="duckdb", niceness=0)
    assert started.wait_until_ready(timeout=120)
    yield started
    started.stop()


def test_a_command_handed_to_the_standby_runs_there_and_reports_through_its_client(
    tmp_path, standby
):
    from tests.test_dbt_project import AS_OF, write_raw_salesforce

    warehouse = tmp_path / "working.duckdb"
    write_raw_salesforce(warehouse, {})
    env = {"TRUSTGAP_WORKING_DB": str(warehouse), "TRUSTGAP_AS_OF": AS_OF}
    target = tmp_path / "target"
    args = ["build", "--select", "stg_salesforce__opportunity_stages", *PROJECT]
    args += ["--target-path", str(target), "--log-path", str(tmp_path)]

    client = dbt(args, env | standby.environment())
    output, _ = client.communicate(timeout=600)

    assert client.returncode == 0, output[-3000:]
    # Every event came from the standby, on the client's stdout; it has exited.
    assert pids(output) == {standby.process.pid}
    assert standby.process.poll() == 0
    # It ran with the client's environment: the working file it names was built.
    results = json.loads((target / "run_results.json").read_text())["results"]
    statuses = {r["unique_id"]: r["status"] for r in results}
    assert statuses["model.trustgap.stg_salesforce__opportunity_stages"] == "success"
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        built = con.execute(
            "select table_schema, table_type from information_schema.tables"
            " where table_name = 'stg_salesforce__opportunity_stages'"
        ).fetchall()
    assert built == [("staging", "VIEW")]
    # The socket's folder goes with the standby.
    standby.stop()
    assert not standby.folder.exists()


def test_a_failing_command_exits_with_dbt_s_status_and_message(standby):
    """A usage error: dbt's exit status 2 and click's message, through the client."""
    through_standby = dbt(["build", "--no-such-flag", *PROJECT], standby.environment())
    output, _ = through_standby.communicate(timeout=120)
    by_itself = dbt(["build", "--no-such-flag", *PROJECT], {})
    expected, _ = by_itself.communicate(timeout=120)

    assert (through_standby.returncode, output) == (by_itself.returncode, expected)
    assert through_standby.returncode == 2
    assert "No such option '--no-such-flag'" in output
    assert standby.process.wait(timeout=10) == 2


def test_the_second_command_and_another_project_s_start_dbt_themselves(tmp_path, standby):
    handed = standby.environment()
    assert standby.environment() == {}  # handed out once

    other = tmp_path / "other_project"
    other.mkdir()
    declined = dbt(["debug", "--config-dir", "--project-dir", str(other)], handed)
    output, _ = declined.communicate(timeout=120)
    assert declined.returncode == 0, output
    assert pids(output) == {declined.pid}
    assert standby.process.wait(timeout=10) == DECLINED  # it took nothing and ended

    # Its socket is still named, but nothing listens: the client starts dbt itself.
    again = dbt(["debug", "--config-dir", *PROJECT], handed)
    output, _ = again.communicate(timeout=120)
    assert again.returncode == 0, output
    assert pids(output) == {again.pid}


def niceness_of_threads(pid: int, expected: list[int]) -> list[int]:
    """The nice value of each thread of `pid`, main thread first: `expected` once seen,
    else what was there after 10 s."""
    deadline = time.monotonic() + 10
    while True:
        tasks = sorted(int(tid) for tid in os.listdir(f"/proc/{pid}/task"))
        # Field 19 of stat; the command name before it may hold spaces.
        stats = [Path(f"/proc/{pid}/task/{tid}/stat").read_text() for tid in tasks]
        values = [int(stat.rsplit(")", 1)[1].split()[16]) for stat in stats]
        if values == expected or time.monotonic() > deadline:
            return values
        time.sleep(0.01)


def test_a_command_that_comes_before_dbt_is_loaded_starts_dbt_itself():
    """dbt's import in the standby runs below the run's priority: on a busy machine it
    crawls, so it is not waited for."""
    standby = Standby.start(DBT_PROJECT_DIR, adapter="duckdb")
    try:
        expected = [0, IMPORT_NICENESS]  # the main thread, dbt's import
        assert niceness_of_threads(standby.process.pid, expected) == expected
        client = dbt(["debug", "--config-dir", *PROJECT], standby.environment())
        output, _ = client.communicate(timeout=120)
        assert client.returncode == 0, output
        assert pids(output) == {client.pid}
        assert standby.process.wait(timeout=10) == DECLINED
    finally:
        outcome = standby.stop()
    assert outcome.startswith("was not loaded yet")


def held_parse(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    """A full parse into an empty target folder, started and held: its output goes into a
    pipe of one page, which fills before the parse ends (its log is ~18 kB), so dbt
    waits there until the test reads on. Returns once dbt has logged its first line
    (the standby, when there is one, has taken the command). A parse left to run took
    about a second, and a busy machine finished it before the test's signal came."""
    read, write = os.pipe()
    fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 4096)
    args = ["parse", *PROJECT, "--target-path", str(tmp_path / "t"), "--log-path", str(tmp_path)]
    client = dbt(args, env, stdout=write)
    os.close(write)
    first = b""
    while not first.endswith(b"\n"):
        byte = os.read(read, 1)
        assert byte, f"dbt ended before its first line: {first!r}"
        first += byte
    assert first.startswith(b"{"), first
    return client, read


def drained(read: int) -> bytes:
    """The rest of a held client's output, to its end (every writer gone)."""
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    return b"".join(chunks)


def test_the_standby_dies_when_its_client_is_killed(tmp_path, standby):
    """dagster-dbt's child killed outright: dbt must not go on holding the working file."""
    env = {"TRUSTGAP_WORKING_DB": str(tmp_path / "working.duckdb")}
    client, output = held_parse(tmp_path, env | standby.environment())
    assert alive(standby.process.pid)

    client.kill()
    client.wait()
    assert standby.process.wait(timeout=10) == -signal.SIGKILL
    drained(output)


def test_an_interrupt_reaches_dbt_and_its_status_comes_back(tmp_path, standby):
    """dagster-dbt interrupts dbt with SIGINT; dbt stops as it would in its own process."""
    env = {"TRUSTGAP_WORKING_DB": str(tmp_path / "working.duckdb")}
    statuses = []
    for handed in (standby.environment(), {}):
        client, output = held_parse(tmp_path / str(len(statuses)), env | handed)
        client.send_signal(signal.SIGINT)
        drained(output)
        statuses.append(client.wait(timeout=120))

    assert statuses[0] == statuses[1] != 0
    assert standby.process.wait(timeout=10) == statuses[0]


PARENT = """
import sys, time
from pathlib import Path
from pipelines.dbt_standby import Standby
standby = Standby.start(Path(sys.argv[1]), adapter="duckdb")
print(standby.process.pid, flush=True)
time.sleep(600)
"""


def test_a_waiting_standby_dies_with_the_run_that_started_it():
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(DBT_PROJECT_DIR)], stdout=subprocess.PIPE, text=True
    )
    standby_pid = int(parent.stdout.readline())
    assert not outlives_its_killed_parent(parent, standby_pid, grace=10)


def test_the_dbt_resource_starts_dbt_ahead_for_its_first_command_only(tmp_path, monkeypatch):
    monkeypatch.delenv("TRUSTGAP_DBT_START_AHEAD", raising=False)  # the default: on
    monkeypatch.setenv("TRUSTGAP_WORKING_DB", str(tmp_path / "working.duckdb"))
    resource = TrustgapDbtCli(project_dir=str(DBT_PROJECT_DIR), dbt_executable=str(TRUSTGAP_DBT))
    with dg.build_resources({"dbt": resource}) as resources:
        standby = resources.dbt._standby
        assert standby is not None and standby.wait_until_ready(timeout=120)
        served_by = []
        for run in ("first", "second"):
            invocation = resources.dbt.cli(["debug", "--config-dir"], target_path=tmp_path / run)
            events = list(invocation.stream_raw_events())
            served_by.append(({e.raw_event["info"]["pid"] for e in events}, invocation.process.pid))
        assert served_by[0][0] == {standby.process.pid}
        assert served_by[1][0] == {served_by[1][1]}
        assert SOCKET_VARIABLE not in os.environ
    assert standby.process.returncode == 0
    assert not standby.folder.exists()
    assert standby.stop() == "ran the step's dbt command (exit status 0)"

    monkeypatch.setenv("TRUSTGAP_DBT_START_AHEAD", "off")
    with dg.build_resources({"dbt": resource}) as resources:
        assert resources.dbt._standby is None
