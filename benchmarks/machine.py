"""What the figures were measured on: CPU, cores, memory, versions, load."""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_gb() -> float:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return 0.0


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def describe() -> dict:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": _mem_total_gb(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "duckdb": _version("duckdb"),
        "pyarrow": _version("pyarrow"),
        "dagster": _version("dagster"),
        "dbt_core": _version("dbt-core"),
        "dbt_duckdb": _version("dbt-duckdb"),
        "great_expectations": _version("great-expectations"),
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def cpu_jiffies() -> tuple[int, int]:
    """(steal, total) CPU time of the whole machine so far, in clock ticks (Linux)."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return (0, 0)
    # user nice system idle iowait irq softirq steal guest guest_nice; guest time
    # is already counted in user and nice.
    counted = fields[:8]
    return (counted[7] if len(counted) > 7 else 0, sum(counted))


def steal_percent(before: tuple[int, int], after: tuple[int, int]) -> float | None:
    """The share of the machine's CPU time its host gave to others meanwhile (%).

    A virtual machine's idle load average does not show a busy host: its vCPUs
    then run slower, and every phase of a run with them.
    """
    total = after[1] - before[1]
    return round(100 * (after[0] - before[0]) / total, 1) if total > 0 else None


def speed_probe_s() -> float:
    """Seconds one core takes for a fixed piece of pure Python (lower is faster).

    The same code took 20.7 s for the S no-change night at 20:36 and 26.8 s an hour
    later (benchmarks/RESULTS.md, session 14): this figure, taken just before each
    run, says how fast the machine was then, so runs on different days compare.
    """
    started = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i
    return round(time.perf_counter() - started, 3)
