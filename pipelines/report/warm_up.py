"""Load the report's libraries and chart engine ahead of the report step.

The report step's first ~0.6 s were fixed costs: importing altair and the page
code, and vl-convert starting its JavaScript engine on the first chart (it holds
the GIL meanwhile). A step with idle time (the dbt build, whose first seconds are
the dbt process starting up while this one waits on it) starts them here instead.
Nothing is rendered for the report; the chart counter and pages are untouched.
"""

from __future__ import annotations

import threading


def warm_up() -> threading.Thread:
    """Import the report modules and start the chart engine on a background thread."""

    def load() -> None:
        from pipelines.report import build  # noqa: F401  (altair, templates, queries)
        from pipelines.report.charts import start_engine

        start_engine()

    thread = threading.Thread(target=load, name="report-warm-up", daemon=True)
    thread.start()
    return thread
