"""Raw tables from the DuckDB landing to the lake, as Parquet, in Arrow batches.

Layout: `<lake>/<schema>/<table>/part-<run>-<n>.parquet`, one folder per raw table
(the partition that pays: Spark reads one table's folder per source). The large
history tables are not partitioned by month: every night's models read every change
(stage periods run from a deal's first change), so pruning would skip nothing; they
are split into files of FILE_ROWS rows, which Spark reads in parallel.

The lake is a local folder (tests, the demo) or an object store (`s3://`, `gs://`,
`abfss://`) opened with pyarrow.fs, credentials from the environment as pyarrow reads
them. A table's new files are written first and its previous run's deleted after,
so an export that fails half-way leaves every table whole (maybe the previous run's).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from pyarrow import fs

from connectors.errors import TrustgapError
from pipelines import warehouse as wh

BATCH_ROWS = 100_000
FILE_ROWS = 2_000_000


class LakeExportError(TrustgapError):
    """The raw tables could not be written to the lake (the landing itself succeeded)."""


@dataclass(frozen=True)
class LakeTable:
    """One raw table as exported: where Spark finds it and what was written."""

    schema: str
    name: str
    location: str
    rows: int
    files: int


def export_raw_tables(
    working: Path, lake_url: str, tables: Iterable[tuple[str, str]], *, run_id: str
) -> list[LakeTable]:
    """Write each (schema, table) of the `working` DuckDB file under `lake_url`.

    Tables the landing has not created (a CRM's objects the org lacks) are skipped;
    the caller learns which from the result. Raises LakeExportError naming the lake.
    """
    try:
        filesystem, root = fs.FileSystem.from_uri(lake_url)
    except (ValueError, OSError) as exc:
        raise LakeExportError(f"TRUSTGAP_LAKE_URL {lake_url} cannot be opened: {exc}") from None
    exported = []
    try:
        with wh.connect(working, read_only=True) as con:
            for schema, name in tables:
                if not wh.has_table(con, schema, name):
                    continue
                folder = f"{root.rstrip('/')}/{schema}/{name}"
                rows, files = _export_table(con, filesystem, folder, schema, name, run_id)
                location = _location(lake_url, schema, name)
                exported.append(LakeTable(schema, name, location, rows, files))
    except (OSError, duckdb.Error) as exc:
        raise LakeExportError(
            f"Exporting the raw tables to the lake {lake_url} failed ({exc}); "
            "the landing is intact: fix TRUSTGAP_LAKE_URL or its credentials and run again."
        ) from None
    return exported


def _export_table(
    con: duckdb.DuckDBPyConnection, filesystem: fs.FileSystem, folder: str, schema, name, run_id
) -> tuple[int, int]:
    filesystem.create_dir(folder, recursive=True)
    previous = [
        info.path
        for info in filesystem.get_file_info(fs.FileSelector(folder))
        if info.type == fs.FileType.File
    ]
    # A cursor of its own: the connection's last result (has_table's) stays unfinished.
    cursor = con.cursor()
    # Timestamps are instants: written in UTC whatever the host's zone.
    cursor.execute("set TimeZone = 'UTC'")
    reader = cursor.sql(f'select * from "{schema}"."{name}"').to_arrow_reader(BATCH_ROWS)
    rows = files = in_file = 0
    writer = None
    try:
        for batch in reader:
            if writer is None or in_file >= FILE_ROWS:
                if writer is not None:
                    writer.close()
                writer = _writer(filesystem, folder, run_id, files, reader.schema)
                files, in_file = files + 1, 0
            writer.write_batch(batch)
            rows, in_file = rows + batch.num_rows, in_file + batch.num_rows
        if writer is None:
            # An empty table still needs a file: Spark reads the columns from it.
            writer = _writer(filesystem, folder, run_id, files, reader.schema)
            files += 1
    finally:
        if writer is not None:
            writer.close()
        cursor.close()
    for path in previous:
        if f"part-{run_id}-" not in path.rsplit("/", 1)[-1]:
            filesystem.delete_file(path)
    return rows, files


def _writer(filesystem, folder: str, run_id: str, number: int, schema) -> pq.ParquetWriter:
    path = f"{folder}/part-{run_id}-{number:05d}.parquet"
    return pq.ParquetWriter(path, schema, filesystem=filesystem, compression="zstd")


def _location(lake_url: str, schema: str, name: str) -> str:
    """The table's folder as Spark (Hadoop) names it: s3a:// for pyarrow's s3://."""
    base = lake_url.rstrip("/")
    if base.startswith("s3://"):
        base = "s3a://" + base.removeprefix("s3://")
    return f"{base}/{schema}/{name}"
