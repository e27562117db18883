"""Shared fixtures: no telemetry, no internet, one nightly run on the tiny demo org, one browser."""

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
# A step retried for a transient failure runs again at once, not after a minute.
os.environ.setdefault("TRUSTGAP_RETRY_WAIT_SECONDS", "0")
# pytest-xdist's workers run under execnet, whose __main__ has no file. Two things
# need one: pyspark takes a file-less __main__ for a doctest run and calls
# sys.exit(0) when great-expectations probes pyspark.sql.connect; and multiprocessing's
# spawned children re-run __main__'s file. pytest's own __main__.py is what
# `python -m pytest` runs, and does nothing when a child re-runs it as __mp_main__.
if not hasattr(sys.modules["__main__"], "__file__"):
    sys.modules["__main__"].__file__ = str(Path(pytest.__file__).with_name("__main__.py"))

DEMO_AS_OF = "2026-11-27"


@dataclass
class NightlyRun:
    """A finished nightly run: Dagster's result, the published warehouse, the demo truth."""

    result: object
    published: Path
    truth: dict

    def query(self, sql: str, params=None, *, working: bool = False) -> list[tuple]:
        """Rows of `sql` on the published file, or (`working`) on the working file,
        which alone holds the raw, staging and intermediate tables."""
        import duckdb

        from pipelines.warehouse import working_path

        path = working_path(self.published) if working else self.published
        con = duckdb.connect(str(path), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


def run_nightly(tmp: Path, *, size: str = "tiny", seed: int = 7, as_of: str = DEMO_AS_OF):
    """Run the real Dagster nightly job on a demo org into `tmp`."""
    import dagster as dg

    from demo.definitions import defs

    published = tmp / "warehouse" / "trustgap.duckdb"
    truth_path = tmp / "truth.json"
    run_config = {
        "resources": {
            "crm": {
                "config": {
                    "size": size,
                    "seed": seed,
                    "truth_path": str(truth_path),
                }
            },
            "run_params": {"config": {"as_of": as_of}},
            "warehouse": {"config": {"path": str(published)}},
        }
    }
    job = defs().resolve_job_def("nightly")
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(run_config=run_config, instance=instance)
    return NightlyRun(result, published, json.loads(truth_path.read_text()))


@pytest.fixture(scope="session")
def tiny_nightly(tmp_path_factory) -> NightlyRun:
    """One nightly run on the tiny demo org (seed 7, as of 2026-11-27), shared by all tests."""
    return run_nightly(tmp_path_factory.mktemp("nightly_tiny"))


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for every browser test of the session (tests/browser.py);
    the tests skip, saying how to install it, only where no chromium is installed."""
    from tests.browser import NO_BROWSER, find_chromium, launch

    executable = find_chromium()
    if executable is None:
        pytest.skip(NO_BROWSER)
    with launch(executable) as browser:
        yield browser
