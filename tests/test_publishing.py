"""Publishing is atomic: readers keep working across runs, a failed run changes nothing.

These run the real nightly job (tiny demo org) against a copy of the shared
run's published warehouse.
"""

import shutil

import duckdb
import pytest

from pipelines import run_ledger
from pipelines.cli import main as trustgap
from tests.conftest import DEMO_AS_OF, run_nightly

NEXT_DAY = "2026-11-28"

STRICT_SUITE = """\
table: marts.fct_deals
expectations:
  - type: expect_column_values_to_be_between
    kwargs: {column: amount, min_value: 0, strict_min: true}
    severity: error
    key_column: deal_id
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, tiny_nightly):
    """A warehouse folder whose published file is the shared run's (as of 2026-11-27)."""
    tmp = tmp_path_factory.mktemp("publishing")
    (tmp / "warehouse").mkdir()
    shutil.copyfile(tiny_nightly.published, tmp / "warehouse" / "trustgap.duckdb")
    return tmp


def as_of(con) -> str:
    return con.execute("select max(as_of)::varchar from trustgap_meta.runs").fetchone()[0]


def test_open_reader_keeps_working_and_new_readers_see_the_new_run(workspace):
    published = workspace / "warehouse" / "trustgap.duckdb"
    reader = duckdb.connect(str(published), read_only=True)
    assert as_of(reader) == DEMO_AS_OF
    deals_before = reader.execute("select count(*) from marts.fct_deals").fetchone()

    run = run_nightly(workspace, as_of=NEXT_DAY)

    assert run.result.success
    # The open connection still reads its snapshot, undisturbed.
    assert as_of(reader) == DEMO_AS_OF
    assert reader.execute("select count(*) from marts.fct_deals").fetchone() == deals_before
    reader.close()
    with duckdb.connect(str(published), read_only=True) as fresh:
        assert as_of(fresh) == NEXT_DAY


def test_a_blocking_check_failure_leaves_the_published_file_byte_for_byte(
    workspace, tmp_path, monkeypatch, capsys
):
    published = workspace / "warehouse" / "trustgap.duckdb"
    before = published.read_bytes()
    # A team tightens a rule the demo's dirty data breaks (a deal worth zero).
    (tmp_path / "marts.fct_deals.yml").write_text(STRICT_SUITE)
    monkeypatch.setenv("TRUSTGAP_EXPECTATIONS_DIR", str(tmp_path))

    run = run_nightly_allowing_failure(workspace)

    assert not run.success
    failed = {e.step_key for e in run.all_events if e.event_type_value == "STEP_FAILURE"}
    assert "gx_marts" in failed  # the step validating the marts' suites
    started = {e.step_key for e in run.all_events if e.event_type_value == "STEP_START"}
    assert "published_warehouse" not in started
    assert published.read_bytes() == before

    last = run_ledger.history(published)[0]
    assert (last.status, last.run_id) == ("failed", run.run_id)
    assert trustgap(["status", "--warehouse", str(published)]) == 1
    out = capsys.readouterr().out
    assert "LAST RUN FAILED" in out
    assert "gx_fct_deals" in out
    assert f"as of {NEXT_DAY}" in out  # the last good publish is still the one served


def run_nightly_allowing_failure(workspace):
    import dagster as dg

    from demo.definitions import defs

    run_config = {
        "resources": {
            "crm": {
                "config": {
                    "size": "tiny",
                    "truth_path": str(workspace / "truth.json"),
                }
            },
            "run_params": {"config": {"as_of": "2026-11-29"}},
            "warehouse": {"config": {"path": str(workspace / "warehouse" / "trustgap.duckdb")}},
        }
    }
    job = defs().resolve_job_def("nightly")
    with dg.DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False
        )


def test_one_run_at_a_time_per_warehouse(workspace):
    from pipelines.warehouse import WarehouseBusyError, run_lock

    published = workspace / "warehouse" / "trustgap.duckdb"
    with (
        run_lock(published),
        pytest.raises(WarehouseBusyError, match="one run per warehouse"),
        run_lock(published),
    ):
        pass


@pytest.fixture
def copied(tiny_nightly, tmp_path):
    """The shared run's published and working files, copied to be published again."""
    from pipelines import warehouse as wh

    published = tmp_path / "trustgap.duckdb"
    shutil.copyfile(tiny_nightly.published, published)
    shutil.copyfile(wh.working_path(tiny_nightly.published), wh.working_path(published))
    return published


def _publish(published, run_id):
    import datetime as dt

    from pipelines import warehouse as wh

    return wh.publish(
        wh.working_path(published),
        published,
        run_id=run_id,
        as_of=dt.date.fromisoformat(DEMO_AS_OF),
        source="demo",
    )


def test_a_publish_that_fails_is_never_listed_as_published(copied, monkeypatch):
    """(#15 D4) The run row is written only into the file that replaces the old one."""
    from pipelines import warehouse as wh

    before = copied.read_bytes()

    def disk_full(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(wh.os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        _publish(copied, "failed-run")
    monkeypatch.undo()
    assert copied.read_bytes() == before
    _publish(copied, "next-run")
    with duckdb.connect(str(copied), read_only=True) as con:
        run_ids = [r for (r,) in con.execute("select run_id from trustgap_meta.runs").fetchall()]
    assert "failed-run" not in run_ids
    assert run_ids[-1] == "next-run" and len(run_ids) == 2


def test_a_killed_publish_leaves_no_temporary_file_behind(copied):
    """(#15 D5) The next publish clears what a killed one left beside the file."""
    leftovers = [
        copied.with_name(f".{copied.name}.killed-run.tmp"),
        copied.with_name(f".{copied.name}.killed-run.tmp.wal"),
    ]
    for leftover in leftovers:
        leftover.write_bytes(b"half a warehouse")
    _publish(copied, "after-the-kill")
    assert sorted(p.name for p in copied.parent.iterdir() if p.name.startswith(".")) == []


def test_a_publish_keeps_the_published_files_permissions(copied):
    """(#15 D11) An operator's chmod 600 survives the nightly."""
    import stat

    copied.chmod(0o600)
    _publish(copied, "private")
    assert stat.S_IMODE(copied.stat().st_mode) == 0o600
