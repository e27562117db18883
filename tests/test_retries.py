"""Retries above the request level: the nightly runs a transiently failed step again.

The extract step of the real `nightly` job (its hook, tags and in-process
executor) against the fake Salesforce API, with request-level retries turned
down so that a short 5xx storm outlasts them.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import duckdb
import pytest
import yaml
from dagster._core.events import JobFailureData, RunFailureReason

from connectors.errors import (
    ConfigurationError,
    CrmAuthError,
    CrmQuotaError,
    CrmRequestError,
    CrmUnavailableError,
    SchemaDriftError,
    SyncFailed,
)
from connectors.hubspot.object_sync import HubSpotSync
from demo.fake_hubspot import UNLIMITED, FakeHubSpot
from pipelines import run_ledger, warehouse
from pipelines.defs.raw_salesforce import raw_salesforce
from pipelines.project import ensure_dagster_home
from pipelines.retries import StepRetryPolicy, is_transient
from tests.hubspot_fixtures import LOADED_AT, portal
from tests.hubspot_fixtures import TOKEN as HUBSPOT_TOKEN
from tests.hubspot_fixtures import api as hubspot_api
from tests.salesforce_org import TOKEN, fake_org, org

STEP = "raw_salesforce"


@pytest.fixture(scope="module")
def extract_job() -> dg.JobDefinition:
    """The nightly job narrowed to the Salesforce extract (no dbt, no checks)."""
    from pipelines.definitions import defs

    nightly = defs().resolve_job_def("nightly")
    return nightly.get_subset(asset_selection=set(raw_salesforce.keys), asset_check_selection=set())


@pytest.fixture
def salesforce_env(monkeypatch):
    """Settings pointing at a configured org: one request retry, no wait between steps."""
    for name in ("SALESFORCE_USERNAME", "SALESFORCE_CONSUMER_KEY", "TRUSTGAP_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("SALESFORCE_MAX_RETRIES", "1")
    monkeypatch.setenv("TRUSTGAP_STEP_RETRIES", "2")
    monkeypatch.setenv("TRUSTGAP_RETRY_WAIT_SECONDS", "0")
    return monkeypatch


@pytest.fixture
def configured(salesforce_env):
    with fake_org(org(4500)) as fake:
        salesforce_env.setenv("SALESFORCE_INSTANCE_URL", fake.instance_url)
        yield fake


@pytest.fixture
def webhook(monkeypatch):
    """A local JSON endpoint as TRUSTGAP_WEBHOOK_URL; yields the payloads it received."""
    posts: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("TRUSTGAP_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")
    yield posts
    server.shutdown()
    server.server_close()


def run_config(tmp_path) -> dict:
    return {
        "resources": {
            "crm": {"config": {"source": "salesforce"}},
            "run_params": {"config": {"as_of": "2026-11-27"}},
            "warehouse": {"config": {"path": str(tmp_path / "trustgap.duckdb")}},
        }
    }


def run_extract(job: dg.JobDefinition, tmp_path) -> dg.ExecuteInProcessResult:
    with dg.DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(
            run_config=run_config(tmp_path), instance=instance, raise_on_error=False
        )


LIFECYCLE = {"STEP_START", "STEP_UP_FOR_RETRY", "STEP_RESTARTED", "STEP_SUCCESS", "STEP_FAILURE"}


def step_events(result: dg.ExecuteInProcessResult) -> list[str]:
    """The extract step's lifecycle, in order (start, up for retry, restarted, ...)."""
    return [
        e.event_type_value
        for e in result.all_events
        if e.step_key == STEP and e.event_type_value in LIFECYCLE
    ]


def attempts(result: dg.ExecuteInProcessResult) -> int:
    return step_events(result).count("STEP_START") + step_events(result).count("STEP_RESTARTED")


def failed_with(result: dg.ExecuteInProcessResult) -> str:
    """The class of the error the step finally failed with (Dagster wraps user errors)."""
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    error = failure.event_specific_data.error
    return (error.cause or error).cls_name


def landed_opportunities(tmp_path) -> int:
    working = warehouse.working_path(tmp_path / "trustgap.duckdb")
    with duckdb.connect(str(working), read_only=True) as con:
        return con.execute("select count(*) from raw_salesforce.opportunity").fetchone()[0]


def opportunity_metadata(result: dg.ExecuteInProcessResult) -> list[dict]:
    """The opportunity materialization of every attempt that got that far."""
    return [
        {k: v.value for k, v in m.metadata.items()}
        for m in result.asset_materializations_for_node(STEP)
        if m.asset_key == dg.AssetKey(["raw_salesforce", "opportunity"])
    ]


def test_a_5xx_storm_past_the_request_retries_is_retried_and_lands_every_row(
    configured, extract_job, tmp_path
):
    # The org's first call and its one request retry both get 503: the attempt fails.
    configured.fail_next(2, 503)
    result = run_extract(extract_job, tmp_path)
    assert result.success
    assert step_events(result).count("STEP_UP_FOR_RETRY") == 1
    assert "STEP_FAILURE" not in step_events(result)
    assert attempts(result) == 2
    assert landed_opportunities(tmp_path) == 4500


def test_a_retried_extract_resumes_from_the_watermark_committed_before_the_failure(
    salesforce_env, configured, extract_job, tmp_path
):
    # Opportunity's first page (2000 rows, up to 2026-01-02) commits; its second
    # page fails twice, past the request retry: only that object fails.
    salesforce_env.setenv("SALESFORCE_REST_LANDING_ROWS", "2000")
    configured.fail_next(2, 503, kinds={"query_more"})
    result = run_extract(extract_job, tmp_path)
    assert result.success
    assert step_events(result).count("STEP_UP_FOR_RETRY") == 1
    assert landed_opportunities(tmp_path) == 4500
    (retried,) = opportunity_metadata(result)
    # Rows from 2026-01-02 on, not all 4500: the retry read on from the watermark.
    assert (retried["sync_mode"], retried["rows"]) == ("incremental", 3000)


def test_a_crm_still_down_after_every_retry_fails_once_and_alerts_once(
    salesforce_env, extract_job, tmp_path, webhook
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    salesforce_env.setenv("SALESFORCE_INSTANCE_URL", f"http://127.0.0.1:{port}")
    result = run_extract(extract_job, tmp_path)
    assert not result.success
    assert step_events(result).count("STEP_UP_FOR_RETRY") == 2
    assert step_events(result).count("STEP_FAILURE") == 1
    assert attempts(result) == 3
    assert failed_with(result) == "CrmUnavailableError"
    (alert,) = webhook
    assert alert["step"] == STEP
    assert "Could not reach Salesforce" in alert["error"]
    (entry,) = run_ledger.history(tmp_path / "trustgap.duckdb")
    assert (entry.status, entry.failed_steps) == ("failed", [STEP])


def test_a_rejected_token_fails_at_once_without_a_retry(salesforce_env, extract_job, tmp_path):
    with fake_org(org(10)) as fake:
        salesforce_env.setenv("SALESFORCE_INSTANCE_URL", fake.instance_url)
        salesforce_env.setenv("SALESFORCE_ACCESS_TOKEN", "FAKEORG!not-the-token")
        result = run_extract(extract_job, tmp_path)
        requests = fake.total_requests
    assert not result.success
    assert step_events(result).count("STEP_UP_FOR_RETRY") == 0
    assert attempts(result) == 1
    assert failed_with(result) == "CrmAuthError"
    assert requests == 1


def test_an_exhausted_api_quota_is_not_retried(configured, extract_job, tmp_path):
    configured.api_limit = configured.api_usage
    result = run_extract(extract_job, tmp_path)
    assert not result.success
    assert attempts(result) == 1
    assert failed_with(result) == "CrmQuotaError"


def test_only_failures_that_pass_by_themselves_are_transient():
    outage = CrmUnavailableError("Could not reach Salesforce")
    assert is_transient(outage)
    assert is_transient(duckdb.IOException("Could not set lock on file"))
    assert is_transient(SyncFailed("2 failed", [outage, CrmUnavailableError("HTTP 503")]))
    drift = SchemaDriftError("Opportunity.Amount values are not double")
    # One object that a retry cannot fix: the run fails anyway, so it fails now.
    assert not is_transient(SyncFailed("2 failed", [outage, drift]))
    for error in (
        CrmAuthError("token"),
        CrmQuotaError("quota"),
        CrmRequestError("400"),
        drift,
        ValueError(),
    ):
        assert not is_transient(error), error


def test_hubspot_outages_past_the_request_retries_are_transient():
    with FakeHubSpot(portal(1), HUBSPOT_TOKEN, rate_limits=UNLIMITED) as fake:
        fake.fail_next(10, 503)
        sync = HubSpotSync(hubspot_api(fake, retries=1), duckdb.connect(), loaded_at=LOADED_AT)
        with pytest.raises(CrmUnavailableError, match="503"):
            sync.sync_owners()


def test_the_retry_settings_come_from_the_environment_and_back_off():
    policy = StepRetryPolicy.from_env({})
    assert (policy.retries, policy.wait_seconds) == (2, 60.0)
    assert [policy.wait_before(n) for n in (1, 2, 3)] == [60.0, 120.0, 240.0]
    policy = StepRetryPolicy.from_env(
        {"TRUSTGAP_STEP_RETRIES": "0", "TRUSTGAP_RETRY_WAIT_SECONDS": "0.5"}
    )
    assert (policy.retries, policy.wait_seconds) == (0, 0.5)
    with pytest.raises(ConfigurationError, match="TRUSTGAP_STEP_RETRIES"):
        StepRetryPolicy.from_env({"TRUSTGAP_STEP_RETRIES": "two"})


def test_the_dagster_yaml_enables_run_retries_but_not_for_failed_steps(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    settings = yaml.safe_load((ensure_dagster_home() / "dagster.yaml").read_text())
    assert settings["run_retries"] == {
        "enabled": True,
        "max_retries": 2,
        "retry_on_asset_or_op_failure": False,
    }
    assert settings["run_monitoring"]["enabled"]


def test_a_run_whose_process_died_is_retried_and_one_whose_step_failed_is_not(
    salesforce_env, extract_job, tmp_path
):
    salesforce_env.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    ensure_dagster_home()
    with fake_org(org(10)) as fake, dg.DagsterInstance.get() as instance:
        salesforce_env.setenv("SALESFORCE_INSTANCE_URL", fake.instance_url)
        salesforce_env.setenv("SALESFORCE_ACCESS_TOKEN", "FAKEORG!not-the-token")
        step_failed = extract_job.execute_in_process(
            run_config=run_config(tmp_path), instance=instance, raise_on_error=False
        )
        died = instance.create_run_for_job(extract_job, run_config=run_config(tmp_path))
        instance.report_run_failed(
            died,
            "The run process exited unexpectedly.",
            JobFailureData(error=None, failure_reason=RunFailureReason.UNEXPECTED_TERMINATION),
        )
        will_retry = {
            name: instance.get_run_by_id(run_id).tags.get("dagster/will_retry")
            for name, run_id in (("step failed", step_failed.run_id), ("died", died.run_id))
        }
    assert will_retry == {"step failed": "false", "died": "true"}


def test_an_instance_written_by_an_earlier_version_gains_run_retries(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    earlier = (
        "# Written by Trustgap. Runs on one warehouse are serialised (DuckDB has one writer).\n"
        "telemetry:\n  enabled: false\nconcurrency:\n  runs:\n    tag_concurrency_limits:\n"
        "      - key: trustgap/warehouse\n        limit: 1\n"
    )
    (tmp_path / "dagster.yaml").write_text(earlier)
    ensure_dagster_home()
    assert "run_retries" in (tmp_path / "dagster.yaml").read_text()
    own = "telemetry:\n  enabled: false\n"
    (tmp_path / "dagster.yaml").write_text(own)
    ensure_dagster_home()
    assert (tmp_path / "dagster.yaml").read_text() == own


def test_the_nightly_job_leaves_failed_steps_to_step_retries(extract_job):
    assert extract_job.tags["dagster/retry_on_asset_or_op_failure"] == "false"
    assert extract_job.tags["dagster/retry_strategy"] == "ALL_STEPS"


def test_a_full_disk_or_a_read_only_folder_is_not_retried():
    """(#15 also seen) They stay so until someone acts: no 3 minutes of retries first."""
    assert not is_transient(OSError(28, "No space left on device"))
    assert not is_transient(OSError(30, "Read-only file system"))
    assert not is_transient(
        duckdb.IOException('Could not write file "w.duckdb": No space left on device')
    )
    outage = CrmUnavailableError("Could not reach Salesforce")
    assert not is_transient(SyncFailed("2 failed", [outage, OSError(28, "No space left")]))


def test_a_salesforce_page_that_is_not_json_is_not_retried(configured, extract_job, tmp_path):
    """(#15 also seen) A whole answer that does not parse repeats; only cut-off ones pass."""
    from demo.fake_salesforce.faults import Truncate

    configured.add_fault(Truncate(kinds={"query_more"}, keep=0.5))
    result = run_extract(extract_job, tmp_path)
    assert not result.success
    assert attempts(result) == 1
    assert failed_with(result) == "SyncFailed"


def test_a_hubspot_answer_that_is_not_json_twice_is_not_retried():
    """(#15 also seen) A proxy's login page answers every request the same way."""
    with FakeHubSpot(portal(1), HUBSPOT_TOKEN, rate_limits=UNLIMITED) as fake:
        fake.fail_next(2, 200, body="<html>Sign in to the proxy</html>")
        sync = HubSpotSync(hubspot_api(fake, retries=1), duckdb.connect(), loaded_at=LOADED_AT)
        with pytest.raises(CrmRequestError, match="not JSON") as caught:
            sync.sync_owners()
    assert not is_transient(caught.value)
