"""`trustgap-dbt`: the dbt CLI, tied to the process that started it.

Dagster runs `dbt build` as a child process. If the run's process is killed
(`kill -9`, an out-of-memory kill, a closed terminal), an ordinary child lives on,
orphaned, still writing the working DuckDB file and holding its lock, so a rerun
started at once collides with it. On Linux this entry point asks the kernel to
stop it when its parent dies (PR_SET_PDEATHSIG), then runs dbt unchanged.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent() -> None:
    """Have the kernel send SIGTERM to this process when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    # The parent may have died before the request was made: nobody would tell us.
    if os.getppid() != parent:
        sys.exit(1)


def main() -> None:
    die_with_parent()
    from dbt.cli.main import cli

    sys.exit(cli())
