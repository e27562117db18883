"""Console output for every job: compact progress lines instead of raw engine events."""

import dagster as dg

from pipelines.progress import progress_console


@dg.definitions
def loggers() -> dg.Definitions:
    return dg.Definitions(loggers={"console": progress_console})
