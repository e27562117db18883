"""One arm in its own process: the parent starts it and measures it, the child reports back.

The parent (`run_child`) measures the arm's process alone, wall, CPU (`os.wait4`)
and peak RSS (sampled, `benchmarks.probe.run_measured`: not wait4's ru_maxrss,
which on Linux starts from the forking parent's high-water mark), without the CRM
settings of the caller's environment
(`child_env`); the child's last line on stdout is its own JSON (`print_figures`):
its extract + land time, without its imports.
"""

from __future__ import annotations

import json
import os
import time

from benchmarks.peers_dlt import ROOT
from benchmarks.probe import run_measured


def run_child(command: list[str], env: dict | None = None) -> dict:
    """Run one arm; wall, CPU (user+sys) and peak RSS of that process alone."""
    run = run_measured(command, env=env, cwd=ROOT)
    figures = {
        "wall_s": round(run.wall_s, 3),
        "cpu_s": round(run.cpu_s, 3),
        "peak_rss_mb": round(run.peak_rss_bytes / 1024**2),
        "peak_method": "sampled",
        "exit_code": run.exit_code,
    }
    lines = run.output.decode().strip().splitlines()
    if run.exit_code == 0 and lines:
        figures.update(json.loads(lines[-1]))
    return figures


def child_env() -> dict:
    """The caller's environment without its CRM settings, dlt's telemetry off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SALESFORCE_", "HUBSPOT_"))}
    env.update(RUNTIME__DLTHUB_TELEMETRY="false", RUNTIME__LOG_LEVEL="ERROR", DO_NOT_TRACK="1")
    return env


def print_figures(started: float, imported: float, **extra) -> None:
    """The child's report: extract + land time after its imports (`imported`), the
    imports' own time, and what else the arm counted."""
    figures = {
        "work_s": round(time.perf_counter() - imported, 3),
        "import_s": round(imported - started, 3),
    }
    print(json.dumps({**figures, **extra}))
