"""`python -m pipelines.engine.spark_sql SPARK_DIR "select ..."`: query the local Spark's marts.

The catalog the nightly published to (views marts.*, quarantine.*), opened with the
same session settings as the run (pipelines/engine/spark.py). Prints the rows.
"""

import sys
from pathlib import Path

from pipelines.engine.spark_job import session


def main() -> None:
    spark = session(Path(sys.argv[1]))
    try:
        spark.sql(sys.argv[2]).show(50, truncate=False)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
