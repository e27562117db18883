"""Spark operations of the nightly run, each in a Spark session of its own process.

dbt-spark's `session` method starts a Spark session in the dbt process, with an
embedded Derby metastore that one JVM at a time can open. So the Dagster process
never starts Spark itself: registering the lake's tables, reading the built marts
back for the checks and publishing each run `python -m pipelines.engine.spark_job`
with the same settings as the profile's `spark` target (SESSION_CONF mirrors
dbt_project/profiles.yml; tests/test_spark_pipeline.py keeps them equal). Against a
Thrift server or Databricks, the same job runs with that cluster's session
(docs/deploy/engines.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from connectors.errors import ConfigurationError, TrustgapError
from pipelines import history

# Schemas dbt builds into on Spark (macros/generate_schema_name.sql adds the prefix):
# readers never see them, the publish copies from them.
BUILD_PREFIX = "build_"
# The layers the publish swaps in, as views over a versioned copy of each table.
PUBLISHED_SCHEMAS = ("marts", "quarantine")
VERSIONS_SCHEMA = "trustgap_versions"
# The history, as on DuckDB (pipelines/history.py): dbt builds each run's rows as views
# in build_history_run; the publish keeps every as-of date in history.<table>.
HISTORY_SCHEMA, HISTORY_RUN_SCHEMA, HISTORY_KEY = history.SCHEMA, history.RUN_SCHEMA, history.KEY


class SparkStepError(TrustgapError):
    """A Spark step of the run failed; the message carries Spark's own reason."""


class NotOnSparkYetError(ConfigurationError):
    """A command that reads or writes the published DuckDB file, asked for on Spark."""


# What a Spark run does not do yet, and why (issue #16). The nightly publishes the
# history on Spark and `trustgap status` reads what that publish kept; a backfill
# (dbt on past dates, then a history-only publish) and the trust report (it reads the
# published DuckDB file) are DuckDB's only.
NOT_ON_SPARK_YET = {
    "backfill": (
        "the nightly publishes each run's date to the Spark history, but a backfill of "
        "past dates builds and publishes on DuckDB only"
    ),
    "report": "the trust report reads the published DuckDB file, which Spark runs do not write",
}


def refuse_on_spark(engine: str, command: str) -> None:
    """Raise NotOnSparkYetError naming TRUSTGAP_ENGINE when `command` cannot run on Spark."""
    if engine == "spark" and command in NOT_ON_SPARK_YET:
        raise NotOnSparkYetError(
            f"`trustgap {command}` does not run with TRUSTGAP_ENGINE=spark yet: "
            f"{NOT_ON_SPARK_YET[command]}. Unset TRUSTGAP_ENGINE (DuckDB, the default) "
            "for it; the Spark run's marts are the views marts.* in the Spark catalog."
        )


def session_conf(spark_dir: Path) -> dict[str, str]:
    """The local Spark session's settings (the profile's `spark` target)."""
    return {
        "spark.master": os.environ.get("TRUSTGAP_SPARK_MASTER", "local[2]"),
        "spark.sql.warehouse.dir": f"{spark_dir}/warehouse",
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={spark_dir}/metastore_db;create=true"
        ),
        "spark.driver.extraJavaOptions": " ".join(
            [f"-Dderby.system.home={spark_dir}", os.environ.get("TRUSTGAP_SPARK_JAVA_OPTIONS", "")]
        ).strip(),
        "spark.driver.memory": "2g",
        "spark.sql.shuffle.partitions": "2",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.ansi.enabled": "true",
    }


def run_job(spark_dir: Path, operation: str, **arguments: Any) -> Any:
    """Run `operation` of pipelines.engine.spark_job in its own process; its JSON result."""
    spark_dir.mkdir(parents=True, exist_ok=True)
    request = json.dumps({"spark_dir": str(spark_dir), "arguments": arguments})
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.engine.spark_job", operation],
        input=request,
        capture_output=True,
        text=True,
        check=False,
    )
    last = (done.stdout.strip().splitlines() or [""])[-1]
    try:
        result = json.loads(last)
    except json.JSONDecodeError:
        tail = " ".join(done.stderr.strip().splitlines()[-3:])
        result = {"error": f"exit code {done.returncode}: {tail}"}
    if done.returncode != 0 or (isinstance(result, dict) and "error" in result):
        reason = result.get("error") if isinstance(result, dict) else last
        raise SparkStepError(f"Spark step {operation!r} failed: {str(reason)[:1500]}")
    return result
