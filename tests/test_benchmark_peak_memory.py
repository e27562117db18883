"""The benchmark's peak memory of a child process is the child's, not its parent's.

Linux starts an exec'd child's `ru_maxrss` (what `os.wait4` returns) from the
forking parent's high-water mark: a 20 MB Python started from a process that once
held 400 MB reported 400 MB. Every child the benchmarks measure (a peer arm, a
dbt build on either engine, a `trustgap` run of the history benchmark) goes
through `benchmarks.probe.run_measured`, which reads the child's own memory.
"""

import os
import sys

from benchmarks.peers_child import run_child
from benchmarks.probe import own_peak_bytes, run_measured

MB = 1024**2


def hold_a_high_water_mark(mb: int) -> None:
    """Touch `mb` MB in this process, then let them go: the high-water mark stays."""
    block = bytearray(mb * MB)
    block[::4096] = b"\x01" * len(block[::4096])
    del block


def test_a_small_peer_arm_started_from_a_big_parent_reports_its_own_small_peak():
    hold_a_high_water_mark(400)
    assert own_peak_bytes(os.getpid()) >= 400 * MB  # the parent's mark that leaked before

    # alive long enough to be sampled, as every measured arm is (seconds at least)
    figures = run_child([sys.executable, "-c", "import time; time.sleep(0.3); print('{}')"])

    assert figures["exit_code"] == 0
    assert 0 < figures["peak_rss_mb"] < 100


def test_a_child_that_allocates_reports_what_it_held():
    allocate = (
        "import time; b = bytearray(250 * 1024 * 1024); b[::4096] = b'1' * len(b[::4096]); "
        "time.sleep(0.3); print('{}')"
    )

    run = run_measured([sys.executable, "-c", allocate])

    assert run.exit_code == 0 and run.output.strip() == b"{}"
    assert 250 * MB <= run.peak_rss_bytes < 400 * MB
    assert run.cpu_s > 0
