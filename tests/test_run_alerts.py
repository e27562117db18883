"""A failed run is reported once: one run-ledger line and one webhook post per run.

The extract steps of the real `nightly` job (both CRMs' raw assets, which run
independently, so both can fail in one run) with a local JSON endpoint as
TRUSTGAP_WEBHOOK_URL. Issue #15: D1, D3, D7, D12.
"""

from __future__ import annotations

import shutil

import dagster as dg
import pytest

from pipelines import run_ledger
from pipelines.defs.raw_hubspot import raw_hubspot
from pipelines.defs.raw_salesforce import raw_salesforce
from pipelines.warehouse import run_lock
from tests import test_retries

# A local JSON endpoint as TRUSTGAP_WEBHOOK_URL; the payloads it received.
webhook = test_retries.webhook


@pytest.fixture(scope="module")
def extract_job() -> dg.JobDefinition:
    """The nightly job narrowed to the two CRM extracts (no dbt, no checks)."""
    from pipelines.definitions import defs

    nightly = defs().resolve_job_def("nightly")
    keys = set(raw_salesforce.keys) | set(raw_hubspot.keys)
    return nightly.get_subset(asset_selection=keys, asset_check_selection=set())


def run_extract(job, published, *, source: str) -> dg.ExecuteInProcessResult:
    run_config = {
        "resources": {
            "crm": {"config": {"source": source}},
            "run_params": {"config": {"as_of": "2026-11-27"}},
            "warehouse": {"config": {"path": str(published)}},
        }
    }
    with dg.DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False
        )


def failed_step_keys(result) -> list[str]:
    return sorted(e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE")


def test_a_run_whose_two_steps_fail_posts_one_alert_and_writes_one_ledger_line(
    extract_job,
    tmp_path,
    webhook,
):
    # An unknown CRM fails both extract steps, each on its own (D12).
    published = tmp_path / "trustgap.duckdb"
    result = run_extract(extract_job, published, source="pipedrive")

    assert failed_step_keys(result) == ["raw_hubspot", "raw_salesforce"]
    (alert,) = webhook
    assert alert["run_id"] == result.run_id
    assert sorted(alert["failed_steps"]) == ["raw_hubspot", "raw_salesforce"]
    assert alert["error"].count("Unknown CRM source 'pipedrive'") == 2
    assert alert["published"] is False
    assert alert["text"].endswith("The published warehouse was left unchanged.")
    (entry,) = run_ledger.history(published)
    assert (entry.run_id, entry.status) == (result.run_id, "failed")
    assert sorted(entry.failed_steps) == ["raw_hubspot", "raw_salesforce"]
    assert entry.as_of == "2026-11-27"


def test_a_run_that_cannot_start_is_recorded_and_alerted_with_its_reason(
    extract_job,
    tmp_path,
    webhook,
):
    # Another run holds the warehouse: no step runs at all (D1).
    published = tmp_path / "trustgap.duckdb"
    with run_lock(published):
        result = run_extract(extract_job, published, source="salesforce")

    assert not result.success
    assert failed_step_keys(result) == []
    (alert,) = webhook
    assert alert["failed_steps"] == ["run start"]
    assert alert["error"].startswith("WarehouseBusyError: Another Trustgap run is building")
    (entry,) = run_ledger.history(published)
    assert (entry.run_id, entry.status, entry.source) == (result.run_id, "failed", "salesforce")
    assert "one run per warehouse" in entry.message


def test_the_cli_says_why_a_run_could_not_start(tmp_path, monkeypatch, capsys):
    from pipelines.definitions import defs
    from pipelines.nightly_run import run_nightly

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    published = tmp_path / "trustgap.duckdb"
    with run_lock(published):
        code = run_nightly(
            defs(),
            crm={"source": "salesforce"},
            what="Salesforce org",
            as_of="2026-11-27",
            warehouse_path=str(published),
        )
    err = capsys.readouterr().err
    assert code == 1
    assert "FAILED. The published warehouse was left unchanged." in err
    assert "the run could not start: WarehouseBusyError: Another Trustgap run is building" in err


def test_a_failed_parquet_export_says_the_warehouse_was_replaced(
    tiny_nightly,
    tmp_path,
    monkeypatch,
    webhook,
    capsys,
):
    # The publish succeeds, then the export fails: TRUSTGAP_PARQUET_DIR is a file (D7).
    from pipelines.cli import main as trustgap
    from pipelines.definitions import defs
    from pipelines.nightly_run import _failure_summary
    from pipelines.warehouse import published_run_id, working_path

    published = tmp_path / "trustgap.duckdb"
    shutil.copyfile(tiny_nightly.published, published)
    shutil.copyfile(working_path(tiny_nightly.published), working_path(published))
    (tmp_path / "parquet").write_text("not a folder")
    monkeypatch.setenv("TRUSTGAP_PARQUET_DIR", str(tmp_path / "parquet"))
    publish_job = (
        defs()
        .resolve_job_def("nightly")
        .get_subset(
            asset_selection={dg.AssetKey("published_warehouse")}, asset_check_selection=set()
        )
    )
    result = run_extract(publish_job, published, source="salesforce")

    assert failed_step_keys(result) == ["published_warehouse"]
    assert published_run_id(published) == result.run_id
    (alert,) = webhook
    assert alert["published"] is True
    assert "ParquetExportError: The warehouse was published" in alert["error"]
    assert alert["text"].endswith(
        "The published warehouse was replaced by this run; a step after the publish failed."
    )
    (entry,) = run_ledger.history(published)
    assert (entry.status, entry.published) == ("failed", True)
    summary = _failure_summary(result, published)
    assert "The published warehouse was replaced by this run" in summary
    assert "left unchanged" not in summary
    assert trustgap(["status", "--warehouse", str(published)]) == 1
    out = capsys.readouterr().out
    assert "That run replaced the published copy below" in out
    assert "left unchanged" not in out


@pytest.mark.parametrize(
    "url",
    [
        "hooks.example.com/services/T000/B000/SECRET",  # no scheme: "unknown url type: '...'"
        "https://hooks.example.com:99999/services/T000/SECRET",
        "http://127.0.0.1:1/services/T000/SECRET",  # nothing listens
    ],
)
def test_an_undeliverable_alert_says_so_by_host_never_by_url(url):
    # (D3) The URL is the secret, and urllib's own errors quote it.
    from pipelines.alerts import post_webhook

    problem = post_webhook(url, {"text": "run failed"}, timeout=2)
    assert problem.startswith("TRUSTGAP_WEBHOOK_URL (host ")
    assert "SECRET" not in problem


def test_an_undeliverable_alert_is_logged_and_the_run_still_recorded(
    extract_job, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("TRUSTGAP_WEBHOOK_URL", "http://127.0.0.1:1/services/T000/SECRET")
    published = tmp_path / "trustgap.duckdb"
    run_config = {
        "resources": {
            "crm": {"config": {"source": "pipedrive"}},
            "run_params": {"config": {"as_of": "2026-11-27"}},
            "warehouse": {"config": {"path": str(published)}},
        }
    }
    with dg.DagsterInstance.ephemeral() as instance:
        result = extract_job.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False
        )
        stored = "\n".join(entry.user_message or "" for entry in instance.all_logs(result.run_id))
    assert "Could not post the failure alert: TRUSTGAP_WEBHOOK_URL (host 127.0.0.1)" in stored
    assert "SECRET" not in stored
    assert "Could not post the failure alert" in capsys.readouterr().err
    (entry,) = run_ledger.history(published)
    assert entry.run_id == result.run_id


KILLED_RUN = """
import sys
import dagster as dg
from pipelines.definitions import defs
from pipelines.defs.raw_salesforce import raw_salesforce

job = defs().resolve_job_def("nightly").get_subset(
    asset_selection=set(raw_salesforce.keys), asset_check_selection=set()
)
run_config = {
    "resources": {
        "crm": {"config": {"source": "salesforce"}},
        "run_params": {"config": {"as_of": "2026-11-27"}},
        "warehouse": {"config": {"path": sys.argv[1]}},
    }
}
with dg.DagsterInstance.get() as instance:
    job.execute_in_process(run_config=run_config, instance=instance, raise_on_error=False)
"""


def test_a_killed_run_left_started_is_marked_failed_by_the_next_run_on_its_warehouse(
    tmp_path, monkeypatch
):
    """(#15 also seen) Dagster never hears the end of a run whose process was killed."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from demo.fake_salesforce.faults import Slow
    from tests.salesforce_org import TOKEN, fake_org, org

    published = tmp_path / "trustgap.duckdb"
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("TRUSTGAP_WEBHOOK_URL", "")
    with fake_org(org(10)) as fake:
        monkeypatch.setenv("SALESFORCE_INSTANCE_URL", fake.instance_url)
        fake.add_fault(Slow(120, times=1))  # the first run hangs on its first request
        child = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(published)], env=os.environ)
        with dg.DagsterInstance.get() as instance:
            deadline = time.monotonic() + 120
            while not fake.total_requests and time.monotonic() < deadline:
                time.sleep(0.2)
            (killed,) = instance.get_runs()
            child.send_signal(signal.SIGKILL)
            child.wait()
            assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.STARTED

            nightly = extract_job_for(raw_salesforce)
            rerun = nightly.execute_in_process(
                run_config={
                    "resources": {
                        "crm": {"config": {"source": "salesforce"}},
                        "run_params": {"config": {"as_of": "2026-11-27"}},
                        "warehouse": {"config": {"path": str(published)}},
                    }
                },
                instance=instance,
                raise_on_error=False,
            )
            assert rerun.success
            assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
    (entry,) = run_ledger.history(published)
    assert (entry.run_id, entry.failed_steps) == (killed.run_id, ["process ended"])
    assert f"(pid {child.pid}) ended without finishing" in entry.message


def extract_job_for(asset) -> dg.JobDefinition:
    from pipelines.definitions import defs

    return (
        defs()
        .resolve_job_def("nightly")
        .get_subset(asset_selection=set(asset.keys), asset_check_selection=set())
    )


def test_queued_runs_wait_for_their_own_warehouse_only(tmp_path, monkeypatch):
    """(#15 also seen) One stuck run used to hold the queue of every warehouse."""
    from pipelines.definitions import defs
    from pipelines.project import DAGSTER_YAML, ensure_dagster_home
    from pipelines.warehouse import WAREHOUSE_TAG, published_path

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    # An instance set up by the previous version (one slot for the whole instance).
    previous = DAGSTER_YAML.replace(
        "        value:\n          applyLimitPerUniqueValue: true\n", ""
    )
    (tmp_path / "dagster.yaml").write_text(previous)
    ensure_dagster_home()
    with dg.DagsterInstance.get() as instance:
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    assert limits == [
        {"key": WAREHOUSE_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    ]
    nightly = defs().resolve_job_def("nightly")
    assert nightly.tags[WAREHOUSE_TAG] == str(published_path())


def test_a_warehouse_folder_that_did_not_exist_is_created_and_said_so(
    extract_job, tmp_path, capsys
):
    """(#15 also seen) A mistyped --warehouse folder used to be created silently."""
    published = tmp_path / "wherehouse" / "trustgap.duckdb"
    run_extract(extract_job, published, source="pipedrive")
    err = capsys.readouterr().err
    assert f"Created the warehouse folder {published.parent} (it did not exist" in err
    run_extract(extract_job, published, source="pipedrive")
    assert "Created the warehouse folder" not in capsys.readouterr().err


def test_a_warehouse_folder_that_cannot_be_written_is_named_before_any_step(
    extract_job, tmp_path, webhook
):
    """(D1) The run cannot start; it says which folder and what to do."""
    (tmp_path / "a-file").write_text("not a folder")
    published = tmp_path / "a-file" / "trustgap.duckdb"
    result = run_extract(extract_job, published, source="salesforce")
    assert failed_step_keys(result) == []
    (alert,) = webhook
    assert alert["error"].startswith(
        f"WarehouseFolderError: Cannot write in the warehouse folder {published.parent}"
    )
