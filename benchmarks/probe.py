"""Resource probe: wall clock, CPU and resident memory of a process tree, sampled.

A daemon thread samples every `interval` seconds the resident set of this process
and every descendant (the dbt subprocess included) and the tree's CPU time, read
from /proc, so no extra dependency is needed. Processes listed in `exclude` (the
fake CRM serving the org) are left out with their descendants: they stand in for
Salesforce, not for Trustgap. A phase's CPU is the difference of the tree's CPU
at its two ends, interpolated between samples.
"""

from __future__ import annotations

import bisect
import os
import resource
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICK = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                found += [int(c) for c in fh.read().split()]
        except OSError:
            continue
    return found


def tree(pid: int, exclude: frozenset[int] = frozenset()) -> list[int]:
    """`pid` and its descendants, minus `exclude` and theirs."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        if current in exclude:
            continue
        pids.append(current)
        todo += _children(current)
    return pids


def rss_bytes(pid: int) -> int:
    """Resident set of one process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def memory_mb(pid: int) -> dict[str, int]:
    """One process's resident set now and at its peak (VmRSS, VmHWM), in MB."""
    figures = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    figures[key] = int(value.split()[0]) // 1024
    except (OSError, IndexError, ValueError):
        pass
    return {"rss_mb": figures.get("VmRSS", 0), "peak_rss_mb": figures.get("VmHWM", 0)}


def own_peak_bytes(pid: int) -> int:
    """One process's own resident high-water mark (VmHWM; 0 when it is gone).

    Unlike `wait4`'s ru_maxrss, it starts afresh at exec: Linux carries the forking
    parent's high-water mark into the child's ru_maxrss (`true` started from a
    500 MB Python reports 513 MB), but not into the new program's VmHWM.
    """
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of one live process and of its children it has waited for."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rpartition(")")[2].split()
        return sum(int(f) for f in fields[11:15]) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


@dataclass(frozen=True)
class ChildRun:
    """What `run_measured` saw of one command's process tree."""

    exit_code: int
    wall_s: float
    # The larger of wait4's (the child and the descendants it waited for) and the
    # tree's sampled from /proc: a child that does not wait for its own children
    # (PySpark's JVM) hides their CPU from wait4.
    cpu_s: float
    # The tree's resident set, sampled, or the root's own VmHWM if larger (it catches
    # a peak between two samples); never wait4's ru_maxrss, which on Linux is at
    # least the forking parent's high-water mark, whatever the child used.
    peak_rss_bytes: int
    output: bytes = b""


def run_measured(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike | None = None,
    stdout: int | IO | None = subprocess.PIPE,
    stderr: int | IO | None = None,
    interval: float = 0.1,
) -> ChildRun:
    """Run `command` in a fresh process; its wall, tree CPU and tree peak RSS.

    With `stdout=subprocess.PIPE` (and `stderr` None or STDOUT) its output is read
    and returned; otherwise it goes where `stdout` says.
    """
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=stdout, stderr=stderr)
    done = threading.Event()
    peak = own_peak = 0
    cpu_seen = 0.0

    def sample() -> None:
        nonlocal peak, own_peak, cpu_seen
        while True:
            pids = tree(process.pid)
            peak = max(peak, sum(rss_bytes(p) for p in pids))
            own_peak = max(own_peak, own_peak_bytes(process.pid))
            cpu_seen = max(cpu_seen, sum(tree_cpu_seconds(p) for p in pids))
            if done.wait(interval):
                return

    sampler = threading.Thread(target=sample, name="bench-child-probe", daemon=True)
    sampler.start()
    output = process.stdout.read() if stdout == subprocess.PIPE else b""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    return ChildRun(
        exit_code=process.returncode,
        wall_s=time.perf_counter() - started,
        cpu_s=max(usage.ru_utime + usage.ru_stime, cpu_seen),
        peak_rss_bytes=max(peak, own_peak),
        output=output,
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one live process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def own_cpu() -> float:
    """CPU of this process plus its reaped children (e.g. a finished dbt)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass
class Sample:
    at: float  # time.time()
    cpu: float
    rss: int


@dataclass
class Probe:
    """Samples this process tree (minus `exclude`) until stopped."""

    interval: float = 0.05
    exclude: set[int] = field(default_factory=set)
    samples: list[Sample] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-probe", daemon=True)
        self._pid = os.getpid()

    def start(self) -> Probe:
        self.sample()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def sample(self) -> Sample:
        pids = tree(self._pid, frozenset(self.exclude))
        # Live children's CPU is read from /proc; once reaped it is in RUSAGE_CHILDREN.
        cpu = own_cpu() + sum(cpu_seconds(p) for p in pids if p != self._pid)
        sample = Sample(time.time(), cpu, sum(rss_bytes(p) for p in pids))
        self.samples.append(sample)
        return sample

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    # -- reading -----------------------------------------------------------------------

    def cpu_at(self, moment: float) -> float:
        """Tree CPU at `moment`, interpolated between the samples around it."""
        times = [s.at for s in self.samples]
        i = bisect.bisect_left(times, moment)
        if i <= 0:
            return self.samples[0].cpu
        if i >= len(self.samples):
            return self.samples[-1].cpu
        a, b = self.samples[i - 1], self.samples[i]
        share = (moment - a.at) / (b.at - a.at) if b.at > a.at else 1.0
        return a.cpu + share * (b.cpu - a.cpu)

    def peak_rss(self, start: float | None = None, end: float | None = None) -> int:
        """Largest tree RSS sampled in [start, end] (the whole run by default)."""
        picked = [
            s.rss
            for s in self.samples
            if (start is None or s.at >= start - self.interval)
            and (end is None or s.at <= end + self.interval)
        ]
        return max(picked, default=0)
