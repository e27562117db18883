"""How much memory DuckDB may take, on how many threads, and where it spills: one place.

Left alone, DuckDB takes up to 80 % of the machine's RAM in every process that opens
it, and frees little of it until it is closed. A nightly opens it in two processes at
once (the Dagster run and the dbt subprocess it starts), so each would size itself
for the whole machine. Every DuckDB connection Trustgap opens (the landing, the
great-expectations checks and the publish through `pipelines.warehouse.connect`,
and dbt through `dbt_project/profiles.yml`, which reads `dbt_environment()`) gets:

- ``memory_limit`` (TRUSTGAP_DUCKDB_MEMORY_LIMIT, default ``DEFAULT_MEMORY_LIMIT``,
  at most half the machine's RAM): past it DuckDB spills joins, aggregates, sorts
  and windows to disk instead of growing. Too small and it spills what fits in
  memory and slows down; README "Memory" has the measured balance.
- ``threads`` (TRUSTGAP_DUCKDB_THREADS, default the CPUs this process may use):
  each thread holds its own partitions of a join or aggregate, so fewer threads
  also means less memory.
- dbt's ``threads`` (TRUSTGAP_DBT_THREADS, default the same CPUs): how many
  models dbt builds at once on its one shared DuckDB. Each query already runs on
  every DuckDB thread, so nodes past the CPUs only compete for them and for the
  memory limit: at L, 4 nodes at once spilled and took 52 s where 2 took 46 s;
  at S and M the two were within 0.3 s (issue #17, benchmarks/RESULTS.md).
- the spill folder is DuckDB's own for a file, ``<file>.tmp`` beside it (on the
  warehouse's disk whatever the working directory). It is not set: DuckDB refuses
  to set it again once it has spilled ("Cannot switch temporary directory"), and
  dbt-duckdb applies its settings on every connection it opens.
- ``preserve_insertion_order = false``: no table Trustgap builds promises an
  order (every reader that needs one says ORDER BY), and keeping insertion order
  makes DuckDB buffer whole results of big CREATE TABLE AS / INSERT statements.

This module imports nothing heavy: `trustgap run` reads it before Dagster loads.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from connectors import env as read
from connectors.errors import ConfigurationError

MEMORY_LIMIT_VAR = "TRUSTGAP_DUCKDB_MEMORY_LIMIT"
THREADS_VAR = "TRUSTGAP_DUCKDB_THREADS"
DBT_THREADS_VAR = "TRUSTGAP_DBT_THREADS"

# Per DuckDB process. The L org's whole nightly (13.3M raw rows) measured at this
# limit stays under 3 GB for both processes together (README "Memory").
DEFAULT_MEMORY_LIMIT = "1536MiB"
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)
_UNITS = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
# Below this DuckDB cannot hold the working set of even one row group per thread.
_MIN_BYTES = 128 * 1024**2


def size_bytes(text: str) -> int | None:
    """Bytes in a DuckDB size such as ``2GB``, ``1536MiB`` or ``512 MB``; None if not one."""
    match = _SIZE.match(text)
    if not match:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def machine_memory() -> int | None:
    """Physical RAM in bytes (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_memory_limit(ram: int | None) -> str:
    """`DEFAULT_MEMORY_LIMIT`, or half the RAM of a machine too small for it."""
    fixed = size_bytes(DEFAULT_MEMORY_LIMIT)
    if ram is None or fixed is None or ram // 2 >= fixed:
        return DEFAULT_MEMORY_LIMIT
    return f"{max(ram // 2, _MIN_BYTES) // 1024**2}MiB"


@dataclass(frozen=True)
class DuckDBSettings:
    """The memory limit and thread count of every DuckDB Trustgap opens."""

    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int = 1
    dbt_threads: int = 1

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DuckDBSettings:
        """Read TRUSTGAP_DUCKDB_*; ConfigurationError names a bad one (never its value)."""
        env = os.environ if env is None else env
        limit = read.text(env, MEMORY_LIMIT_VAR) or default_memory_limit(machine_memory())
        chosen = size_bytes(limit)
        if chosen is None or chosen < _MIN_BYTES:
            raise ConfigurationError(
                f"{MEMORY_LIMIT_VAR} must be a size of at least 128MB such as 2GB or 1536MiB "
                "(the most memory DuckDB may use in each Trustgap process before it spills "
                "to disk)"
            )
        cpus = available_cpus()
        threads = read.whole_number(env, THREADS_VAR, cpus, low=1, high=1024)
        dbt_threads = read.whole_number(env, DBT_THREADS_VAR, cpus, low=1, high=1024)
        return cls(memory_limit=limit.replace(" ", ""), threads=threads, dbt_threads=dbt_threads)

    def statements(self) -> list[str]:
        """The SET statements that bound a DuckDB instance (values validated on reading).

        SET rather than `duckdb.connect(config=...)`: a process may already hold a plain
        connection to the same file (a test, a notebook), and DuckDB refuses a second one
        with another config. Memory limit, threads and insertion order are the
        instance's, so every connection to the file gets them.
        """
        return [
            f"set memory_limit = '{self.memory_limit}'",
            f"set threads = {self.threads}",
            "set preserve_insertion_order = false",
        ]

    def apply(self, con) -> None:
        """Bound the DuckDB instance behind `con` (see `statements`)."""
        for statement in self.statements():
            con.execute(statement)

    def environment(self) -> dict[str, str]:
        """What profiles.yml reads, so the dbt process gets the same settings."""
        return {
            MEMORY_LIMIT_VAR: self.memory_limit,
            THREADS_VAR: str(self.threads),
            DBT_THREADS_VAR: str(self.dbt_threads),
        }


def bound(con, env: Mapping[str, str] | None = None):
    """`con`, its DuckDB instance bounded by the TRUSTGAP_DUCKDB_* settings."""
    DuckDBSettings.from_env(env).apply(con)
    return con


__all__ = [
    "DBT_THREADS_VAR",
    "DEFAULT_MEMORY_LIMIT",
    "MEMORY_LIMIT_VAR",
    "THREADS_VAR",
    "DuckDBSettings",
    "bound",
]
