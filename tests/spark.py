"""A real local Spark for the engine tests (issue #16).

The raw tables reach Spark the way the nightly sends them (tests/test_spark_engine.py
runs the Spark demo once). The dbt project's `spark` target (dbt_project/profiles.yml)
uses dbt-spark's `session` method, which takes the process's Spark session: the tests
open one on the demo's catalog (pipelines.engine.spark_job.session, the profile's
settings), then run dbt in-process here, so dbt and the assertions share one JVM.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
# What the connectors land and dbt reads as sources.
RAW_SCHEMAS = ("raw_salesforce", "raw_hubspot", "sync_state")
NO_JAVA = (
    "no `java` on this machine: `make java` installs Debian's openjdk-17-jre-headless "
    "(it needs root or sudo); the Spark tests skip until then"
)

# The local session's JVM options in the Spark tests (TRUSTGAP_SPARK_JAVA_OPTIONS): the
# JIT's first tier only, and the serial collector. The tiny org's queries are too short to
# repay the optimising compiler's work or G1's threads, which took CPU from the other test
# worker: the Spark demo alone used 223 CPU s instead of 274-297 (docs/deploy/engines.md).
# The first tier alone shrinks the JVM's default code cache to 48 MB, which the ~90 unit
# tests' generated code filled in one session ("Out of space in CodeCache"): 240 MB is
# the default with both tiers.
TEST_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:ReservedCodeCacheSize=240m"


def java_missing() -> bool:
    """True where no JVM can start Spark. Under CI=true a missing JVM is a failure, not a
    skip: `make test` installs it first (`make java`)."""
    return shutil.which("java") is None and not os.environ.get("JAVA_HOME")


def dbt_on_spark(args: list[str], target_path: Path, as_of: str):
    """`dbt <args> --target spark` in this process (dbtRunner), on the running session."""
    from dbt.cli.main import dbtRunner

    return dbtRunner().invoke(
        [
            *args,
            "--target",
            "spark",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target_path / "target"),
            "--log-path",
            str(target_path / "logs"),
            "--vars",
            f"{{as_of: '{as_of}'}}",
        ]
    )
