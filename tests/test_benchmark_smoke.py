"""The benchmark harness runs end to end on the tiny org and reports every phase.

The real benchmark (`make bench`) is too heavy for the suite; this only checks
that the harness, the fake in its own process and the DuckDB-alone floor work
together and that every phase comes back with positive figures.
"""

import json
import os

from benchmarks import harness, report


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
    assert result["requests"] == result["needed"]["total"] > 0
    assert result["allowed"]["rate_per_s"] == 10.0  # Starter: 100 per rolling 10 s
    assert result["floor_s"] == result["needed"]["total"] / 10.0
    assert sum(result["refused_429"].values()) == 0
    assert result["peak_requests_10s"] <= 100
    assert result["run"]["rows_landed"] > 0
    assert "x floor" in report.hubspot_section(result)
