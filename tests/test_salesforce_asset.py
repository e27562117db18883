"""The raw_salesforce Dagster asset against a configured org, and --full-refresh wiring."""

import dagster as dg
import pytest

from demo import cli as demo_cli
from demo.fake_salesforce import Response
from demo.fake_salesforce.errors import error_body
from pipelines.cli import build_parser
from pipelines.defs.raw_salesforce import raw_salesforce
from pipelines.resources import CrmSource, RunParams, Warehouse
from tests.salesforce_org import TOKEN, fake_org, org


@pytest.fixture
def configured(monkeypatch):
    with fake_org(org(25)) as fake:
        for name in ("SALESFORCE_USERNAME", "SALESFORCE_CONSUMER_KEY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("SALESFORCE_INSTANCE_URL", fake.instance_url)
        monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("SALESFORCE_MAX_RETRIES", "0")
        # One attempt per step: step retries have their own tests (test_retries.py).
        monkeypatch.setenv("TRUSTGAP_STEP_RETRIES", "0")
        yield fake


def materialize(tmp_path, *, full_refresh=False):
    return dg.materialize(
        [raw_salesforce],
        resources={
            "crm": CrmSource(source="auto"),
            "warehouse": Warehouse(path=str(tmp_path / "w.duckdb")),
            "run_params": RunParams(as_of="2026-11-27", full_refresh=full_refresh),
        },
        raise_on_error=False,
    )


def modes(result) -> dict[str, str]:
    return {
        m.asset_key.path[-1]: m.metadata["sync_mode"].value
        for m in result.asset_materializations_for_node("raw_salesforce")
    }


def test_the_asset_syncs_incrementally_and_full_refresh_rereads(configured, tmp_path):
    first = materialize(tmp_path)
    configured.advance(60)
    second = materialize(tmp_path)
    refreshed = materialize(tmp_path, full_refresh=True)
    assert first.success and second.success and refreshed.success
    assert modes(first)["opportunity"] == "full"
    assert modes(second)["opportunity"] == "incremental"
    assert modes(second)["user"] == "replace"
    assert modes(refreshed)["opportunity"] == "full"


def test_a_failing_object_fails_the_step_after_the_others_land(configured, tmp_path):
    def account_fails(request, call_next):
        if request.kind == "describe" and request.args["object"] == "Account":
            return Response(500, error_body("UNKNOWN_EXCEPTION", "An unexpected error occurred"))
        return call_next(request)

    configured.add_fault(account_fails)
    result = materialize(tmp_path)
    assert not result.success
    landed = modes(result)
    assert "account" not in landed
    assert landed["opportunity"] == "full"


def test_full_refresh_is_a_flag_of_run_and_demo():
    parser = build_parser({"demo": demo_cli})
    assert parser.parse_args(["run", "--source", "salesforce", "--full-refresh"]).full_refresh
    assert parser.parse_args(["demo", "--full-refresh"]).full_refresh
    assert not parser.parse_args(["demo"]).full_refresh
