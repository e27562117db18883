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
import threading
import time
from dataclasses import dataclass, field

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
