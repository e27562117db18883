"""Splits the raw step into extract and land: time spent inside the landing writer.

Every connector lands through `connectors.landing.RawTableWriter`; wrapping its
methods (entering, writing a batch, flagging deletes, committing) records each
call's interval, CPU and rows. Whatever the raw step spends outside these calls
is extract: waiting on the API, decoding pages, building Arrow batches. Two
clock reads and two getrusage calls per batch keep the hook off the hot path.

The connectors land objects from several threads at once (SALESFORCE_CONCURRENCY,
HUBSPOT_CONCURRENCY), so a call's CPU is its own thread's (RUSAGE_THREAD) and the
land phase's wall is the union of the calls' intervals, never their sum: what is
left of the raw step is the time no landing was running.
"""

from __future__ import annotations

import functools
import resource
import time
from dataclasses import dataclass, field

from connectors.landing import RawTableWriter

# Linux has per-thread usage; elsewhere the process's (right for one thread).
_WHO = getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)


def _cpu() -> float:
    usage = resource.getrusage(_WHO)
    return usage.ru_utime + usage.ru_stime


@dataclass
class LandingCall:
    start: float
    end: float
    cpu: float
    rows: int


@dataclass
class LandingTimer:
    calls: list[LandingCall] = field(default_factory=list)

    def within(self, start: float, end: float) -> tuple[float, float, int]:
        """Wall, CPU and rows of the landing calls inside [start, end]."""
        picked = [c for c in self.calls if c.start >= start and c.end <= end]
        return (
            _union_length([(c.start, c.end) for c in picked]),
            sum(c.cpu for c in picked),
            sum(c.rows for c in picked),
        )


def _union_length(intervals: list[tuple[float, float]]) -> float:
    """Seconds covered by at least one interval (overlapping calls counted once)."""
    covered, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reach:
            covered += end - max(start, reach)
            reach = end
    return covered


TIMER = LandingTimer()
_ORIGINAL: dict[str, object] = {}


def _timed(name: str, method, rows_of=None):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        start, cpu = time.time(), _cpu()
        try:
            return method(self, *args, **kwargs)
        finally:
            rows = rows_of(args) if rows_of else 0
            TIMER.calls.append(LandingCall(start, time.time(), _cpu() - cpu, rows))

    return wrapper


def install() -> LandingTimer:
    """Wrap RawTableWriter's methods (once per process); returns the shared timer."""
    if _ORIGINAL:
        return TIMER
    for name in ("__enter__", "__exit__", "write", "mark_deleted"):
        _ORIGINAL[name] = getattr(RawTableWriter, name)
    RawTableWriter.__enter__ = _timed("enter", _ORIGINAL["__enter__"])
    RawTableWriter.__exit__ = _timed("exit", _ORIGINAL["__exit__"])
    RawTableWriter.write = _timed("write", _ORIGINAL["write"], lambda args: args[0].num_rows)
    RawTableWriter.mark_deleted = _timed("mark_deleted", _ORIGINAL["mark_deleted"])
    return TIMER
