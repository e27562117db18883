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
