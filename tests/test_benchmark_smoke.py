"""The benchmark harness runs end to end on the tiny org and reports every phase.

The real benchmark (`make bench`) is too heavy for the suite; this only checks
that the harness, the fake in its own process and the DuckDB-alone floor work
together and that every phase comes back with positive figures.
"""

import json
import os

from benchmarks import harness, report
from connectors.hubspot.object_sync import page_limit
from connectors.hubspot.objects import CRM_OBJECTS


def test_the_benchmark_reports_every_phase_with_its_floor(tmp_path):
    environment = dict(os.environ)
    (result,) = harness.run_scenario("T", workdir=tmp_path, log=lambda _message: None)
    assert dict(os.environ) == environment  # the fake's URL and token do not leak
    path = report.save(result, tmp_path / "results")
    saved = json.loads(path.read_text())

    assert saved["success"], saved.get("error")
    assert set(saved["phases"]) == set(harness.PHASES)
    for name, phase in saved["phases"].items():
        for figure in ("wall_s", "cpu_s", "peak_rss_mb", "rows", "rows_per_s"):
            assert phase[figure] > 0, (name, figure)
        assert phase["floor_wall_s"] is not None, name
    assert saved["phases"]["extract"]["api_requests"] == saved["api"]["requests"] > 0
    assert saved["phases"]["land"]["rows"] == saved["total"]["rows_landed"] > 0
    for name in ("extract", "land", "dbt", "checks", "publish"):
        assert saved["floor"]["phases"][name]["wall_s"] > 0, name
    assert saved["total"]["ratio"] > 0
    assert "| extract |" in report.phase_table(saved)
    # How many GX validations the checks paid for (each has a fixed cost, #17).
    assert saved["gx_validations"] > 0
    note = f"Checks: {saved['gx_validations']} great-expectations validations."
    assert note in report.phase_table(saved)
    # How fast the machine was: runs on different days compare by these.
    assert saved["speed_probe_s"] > 0
    assert 0 <= saved["cpu_steal_pct"] <= 100
    assert f"{saved['speed_probe_s']:.3f} s for the fixed speed probe" in report.phase_table(saved)


def test_the_peer_runner_lands_the_same_live_rows_in_each_trustgap_arm(tmp_path):
    """The side-by-side runner on the tiny org; CI has no dlt venv, so dlt is skipped."""
    from benchmarks import peers

    messages = []
    python_dlt = peers.dlt_python(tmp_path / "no-dlt-venv", install=False)
    assert python_dlt is None  # never created without being asked
    result = peers.run_size(
        "T",
        rounds=1,
        workdir=tmp_path,
        arms=list(peers.ARMS),
        python_dlt=python_dlt,
        log=messages.append,
    )

    assert result["skipped_arms"] == ["dlt-arrow", "dlt-dict"]
    assert any("dlt arms skipped" in m for m in messages)
    assert [(r["round"], r["arm"]) for r in result["runs"]] == [
        (1, "trustgap-default"),
        (1, "trustgap-rest"),
    ]
    served = sum(result["object_counts"].values())
    for run in result["runs"]:
        assert run["exit_code"] == 0, run
        # queryAll: deleted rows land flagged, so every served row is landed.
        assert run["rows_landed"] == served > 0
        assert run["requests"] > 0 and run["cpu_s"] > 0 and run["peak_rss_mb"] > 0
        assert run["work_s"] < run["wall_s"]
    rest = result["runs"][1]
    assert set(rest["transports"].values()) == {"rest"}
    assert result["correctness"]["same"]
    assert result["correctness"]["live_rows"]["trustgap-rest"]["opportunity"] == 400
    assert result["fake"]["end"]["peak_rss_mb"] > 0
    assert result["summary"]["rest_over_dlt_arrow"] is None

    saved = json.loads(report.save_peers(result, tmp_path / "results").read_text())
    section = report.peers_section(saved)
    assert "| trustgap-rest | 1 |" in section
    assert "Skipped (no dlt venv): dlt-arrow, dlt-dict." in section
    assert "the same in every arm" in section


def test_an_arm_that_lands_different_live_rows_makes_the_comparison_incorrect():
    from benchmarks import peers

    def run(arm, opportunities):
        return {
            "arm": arm,
            "round": 1,
            "exit_code": 0,
            "tables": {"opportunity": {"rows": 5, "live": opportunities}},
        }

    assert peers.correctness([run("trustgap-rest", 4), run("dlt-arrow", 4)])["same"]
    verdict = peers.correctness([run("trustgap-rest", 4), run("dlt-arrow", 3)])
    assert not verdict["same"]
    assert verdict["live_rows"]["dlt-arrow"] == {"opportunity": 3}
    failed = peers.correctness([run("trustgap-rest", 4), {**run("dlt-arrow", 4), "exit_code": 1}])
    assert not failed["same"] and failed["failed"] == ["dlt-arrow (round 1)"]


def test_the_hubspot_arm_fetches_no_more_than_the_pages_the_org_needs(tmp_path):
    """Without latency, on the tiny org: the floor's arithmetic against the fake's counter."""
    from benchmarks import hubspot_api

    result = hubspot_api.run_size(
        "T", tier="starter", latency_ms=0, workdir=tmp_path, log=lambda _m: None
    )
    assert result["run"]["exit_code"] == 0, result["run"]
    # Besides what it needs, one count per object of several pages orders the work.
    counts = result["run"]["client_requests"]["count"]
    several = [
        obj.name for obj in CRM_OBJECTS if result["stored"][obj.name]["live"] > page_limit(obj)
    ]
    assert counts == len(several) > 0
    assert result["requests"] == result["needed"]["total"] + counts
    assert result["needed"]["total"] > 0
    assert result["allowed"]["rate_per_s"] == 10.0  # Starter: 100 per rolling 10 s
    assert result["floor_s"] == result["needed"]["total"] / 10.0
    assert sum(result["refused_429"].values()) == 0
    assert result["peak_requests_10s"] <= 100
    assert result["run"]["rows_landed"] > 0
    assert "x floor" in report.hubspot_section(result)


def test_the_hubspot_peer_runner_lands_every_table_of_the_portal(tmp_path):
    """Trustgap's HubSpot arm on the tiny portal (CI has no dlt venv: the dlt arm is skipped)."""
    from benchmarks import peers

    result = peers.run_size(
        "T",
        rounds=1,
        workdir=tmp_path,
        arms=list(peers.ARMS + peers.HUBSPOT_ARMS),
        python_dlt=None,
        crm="hubspot",
        log=lambda _m: None,
    )

    assert result["crm"] == "hubspot"
    assert result["skipped_arms"] == ["dlt-hubspot-arrow"]
    (run,) = result["runs"]  # the Salesforce arms are not HubSpot's
    assert run["arm"] == "trustgap-hubspot" and run["exit_code"] == 0, run
    tables = run["tables"]
    # Every record the portal stores lands once, archived ones flagged (not live).
    for obj in ("deals", "calls", "emails", "meetings", "tasks"):
        live = result["object_counts"][f"{obj} (live)"]
        archived = result["object_counts"][f"{obj} (archived)"]
        assert tables[obj] == {"rows": live + archived, "live": live}, obj
    assert tables["deals"]["rows"] == 400
    assert tables["deal_contact_associations"]["rows"] == tables["deals"]["rows"]
    assert tables["deal_property_history"]["rows"] > tables["deals"]["rows"]
    assert tables["owners"]["rows"] > tables["owners"]["live"] > 0  # deactivated owners
    assert run["requests"] > 0 and run["cpu_s"] > 0 and run["work_s"] < run["wall_s"]
    assert result["correctness"]["same"]
    assert result["summary"]["hubspot_over_dlt_arrow"] is None
    # The fake's rate limits are off: no 429, so no retry beyond the client's own calls.
    assert sum(run["client_requests"].values()) == run["requests"]

    path = report.save_peers(result, tmp_path / "results")
    assert path.name == "peers-hubspot-T.json"
    section = report.peers_section(json.loads(path.read_text()))
    assert section.startswith("## Peer arms, HubSpot, T (tiny)")
    assert "| trustgap-hubspot | 1 |" in section
    assert "| owners | 25 (23) |" in section  # rows (live)


def test_arms_that_land_the_same_live_rows_but_not_the_same_rows_disagree():
    from benchmarks import peers

    def run(arm, rows):
        return {
            "arm": arm,
            "round": 1,
            "exit_code": 0,
            "tables": {"deals": {"rows": rows, "live": 4}},
        }

    assert peers.correctness([run("trustgap-hubspot", 5), run("dlt-hubspot-arrow", 5)])["same"]
    verdict = peers.correctness([run("trustgap-hubspot", 5), run("dlt-hubspot-arrow", 4)])
    assert not verdict["same"]
    assert verdict["rows"]["dlt-hubspot-arrow"] == {"deals": 4}


def test_the_dlt_hubspot_arm_lands_the_same_rows_as_trustgap(tmp_path):
    """Both HubSpot arms on the tiny portal, where the dlt venv exists (`make bench-peers`
    creates it; CI never downloads dlt, so there this is skipped)."""
    import pytest

    from benchmarks import peers

    python_dlt = peers.dlt_python(install=False)
    if python_dlt is None:
        pytest.skip(f"no dlt venv at {peers.DLT_VENV} (`make bench-peers` creates it)")
    result = peers.run_size(
        "T",
        rounds=1,
        workdir=tmp_path,
        arms=list(peers.HUBSPOT_ARMS),
        python_dlt=python_dlt,
        crm="hubspot",
        log=lambda _m: None,
    )

    ours, theirs = result["runs"]
    assert (ours["arm"], theirs["arm"]) == ("trustgap-hubspot", "dlt-hubspot-arrow")
    assert theirs["exit_code"] == 0, theirs
    assert result["correctness"]["same"], result["correctness"]
    assert theirs["tables"]["deal_property_history"] == ours["tables"]["deal_property_history"]
    assert theirs["rows_landed"] == ours["rows_landed"] > 0
    # The same pages; Trustgap also reads the account and searches once per object.
    extra = {"account", "search"}
    assert {k: v for k, v in ours["requests_by_kind"].items() if k not in extra} == theirs[
        "requests_by_kind"
    ]
    assert ours["requests_by_kind"]["list"] > 0
    assert result["summary"]["hubspot_over_dlt_arrow"] > 0


def test_the_peer_runners_fake_hubspot_enforces_no_rate_limit():
    """The HubSpot peer arms are CPU-bound like the Salesforce ones: the fake must not
    refuse (429) a burst above any tier's limit (Professional: 190 per 10 s)."""
    import urllib.request

    from benchmarks import peers_hubspot

    fake = peers_hubspot.HubSpotFakeProcess("tiny", 7)
    try:
        request = urllib.request.Request(
            fake.instance_url + "/crm/v3/owners?limit=1",
            headers={"Authorization": f"Bearer {peers_hubspot.HUBSPOT_TOKEN}"},
        )
        statuses = []
        for _ in range(250):
            with urllib.request.urlopen(request) as response:
                statuses.append(response.status)
        assert statuses == [200] * 250
        assert fake.call("counts", reset=True) == {"owners": 250}
        assert fake.call("counts") == {}
    finally:
        fake.stop()
