"""Tokens never appear in logs, Dagster's event log, error messages or the warehouse.

A nightly run reads a fake Salesforce org through the real connector with a
distinctive token taken from the environment, once with the right token and
once with a wrong one; then every place a secret could leak is searched.
"""

import datetime as dt
import json

import dagster as dg
import pytest
from dagster._serdes import serialize_value

from demo.fake_salesforce import FakeSalesforce
from demo.org.generator import generate_org
from pipelines import run_ledger
from pipelines.definitions import defs
from tests.conftest import DEMO_AS_OF

TOKEN = "trustgap-test-secret-token-4242"
WRONG_TOKEN = "trustgap-test-wrong-token-1717"


def run_with_token(tmp_path, monkeypatch, fake, token):
    monkeypatch.setenv("SALESFORCE_INSTANCE_URL", fake.instance_url)
    monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", token)
    published = tmp_path / "warehouse" / "trustgap.duckdb"
    run_config = {
        "resources": {
            "crm": {"config": {"source": "salesforce"}},
            "run_params": {"config": {"as_of": DEMO_AS_OF}},
            "warehouse": {"config": {"path": str(published)}},
        },
        "loggers": {"console": {"config": {"log_level": "DEBUG"}}},
    }
    job = defs().resolve_job_def("nightly")
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False
        )
        events = "\n".join(serialize_value(e) for e in instance.all_logs(result.run_id))
    return result, published, events


@pytest.fixture(scope="module")
def fake_org():
    org = generate_org(size="tiny", seed=11, as_of=dt.date(2026, 11, 27))
    with FakeSalesforce(records=org.salesforce, access_token=TOKEN) as fake:
        yield fake


def files_under(path):
    return [p for p in path.rglob("*") if p.is_file()]


def test_a_successful_run_leaks_the_token_nowhere(tmp_path, monkeypatch, capfd, fake_org):
    result, _, events = run_with_token(tmp_path, monkeypatch, fake_org, TOKEN)
    assert result.success
    output = capfd.readouterr()
    assert TOKEN not in output.out + output.err
    assert TOKEN not in events
    for path in files_under(tmp_path):  # warehouse, working copy, ledger
        assert TOKEN.encode() not in path.read_bytes(), path


def test_a_rejected_token_fails_clearly_without_echoing_it(tmp_path, monkeypatch, capfd, fake_org):
    result, published, events = run_with_token(tmp_path, monkeypatch, fake_org, WRONG_TOKEN)
    assert not result.success
    output = capfd.readouterr()
    for text in (output.out + output.err, events):
        assert WRONG_TOKEN not in text
        assert TOKEN not in text
    failure = run_ledger.history(published)[0]
    assert failure.status == "failed"
    assert "SALESFORCE_ACCESS_TOKEN" in failure.message
    assert WRONG_TOKEN not in json.dumps(failure.__dict__)
    assert not published.exists()
