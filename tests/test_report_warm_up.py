"""The report's fixed costs are paid while dbt starts, without touching the report.

A nightly run's dbt step starts `pipelines.report.warm_up` (altair and the page code
imported, vl-convert's engine started on a one-point chart) because the dbt process
spends its first seconds starting up. The warm-up renders nothing for the report: the
chart ids the pages carry are the same with or without it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from pipelines.definitions import defs
from pipelines.defs.dbt_models import REPORTING_JOB


def test_the_dbt_step_warms_the_report_up_in_the_job_that_builds_it():
    job = defs().resolve_job_def(REPORTING_JOB)
    keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert {"trust_report", "intermediate/int_deals"} <= keys


def test_the_warm_up_loads_the_report_and_leaves_its_chart_ids_alone():
    script = textwrap.dedent(
        """
        import sys
        from pipelines.report.warm_up import warm_up

        warm_up().join()
        assert "pipelines.report.build" in sys.modules
        assert "altair" in sys.modules
        from pipelines.report import charts

        # The number the next chart's ids are prefixed with (chart<n>-).
        print(next(charts._charts))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    # The first chart the report renders is still chart1.
    assert out.strip() == "1"
