"""The threads a CRM sync runs on: one worker pool for its objects, one landing thread each.

Both syncs run their objects (and HubSpot its owners and pipelines) on a pool of
workers (`run_jobs`, SALESFORCE_CONCURRENCY or HUBSPOT_CONCURRENCY threads): one
object's pages follow each other, so only several objects in flight keep the
wire busy. Each job's end, its result or its error, is yielded as it happens;
what an error means (one object failed, or the whole run stops) is the caller's
policy (`connectors/sync_report.py`), not the pool's.

Stopping: the pool sets the run's `stop` event when the caller stops iterating
(it raises, or closes the generator) and, at once, when a job's error
`stops_the_run` (an expired session, an exhausted quota), so the other workers
start no request and no landing from there. The CRM code checks the event
before each request and landing and raises `RunStopped`, which ends that worker
quietly; every worker is joined before the caller's error goes on, so no thread
outlives the sync and each object keeps only what it committed with its cursor.
The caller's wait ends when every worker has left, however the stop came (a
stop set from outside raises no error in any job): each job the stop left
undone then ends with a `NotRun` error naming it, rather than never ending.

Where a worker lands is the CRM's choice: Salesforce gives each worker its own
DuckDB cursor (`open_worker`, closed by `worker_scope`), HubSpot shares one
connection under a lock. `LandingThread` lets one object land a chunk while it
reads its next pages; `read_ahead` does the same the other way round, for a
writer that must stay in its own thread (a Bulk job's one replace transaction):
the next page is requested and parsed while this one lands.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")
Job = TypeVar("Job")
Result = TypeVar("Result")
Worker = TypeVar("Worker")


class RunStopped(Exception):
    """The run is stopping (another job's error, or the caller's): this job ends before
    its next request or landing, keeping only what it committed with its cursor."""


@dataclass(frozen=True)
class Ended(Generic[Job, Result]):
    """One job's end: what it returned, or the error it raised."""

    job: Job
    result: Result | None = None
    error: BaseException | None = None


def _never(_error: BaseException) -> bool:
    return False


class NotRun(RunStopped):
    """A job the pool never finished: the run stopped before it started (or while it ran,
    before its next request or landing). Names the job, the pool, and every job the
    stop left undone, so the caller reports them instead of waiting for them."""

    def __init__(self, pool: str, job: object, *, started: bool, undone: Sequence[object]):
        self.pool = pool
        self.job = job
        self.started = started
        self.undone = tuple(undone)
        when = "stopped before it finished" if started else "never ran"
        super().__init__(
            f"{pool}: {job!r} {when}: the run was stopped "
            f"({len(self.undone)} job(s) undone: {', '.join(map(repr, self.undone))})"
        )


# What a worker puts on the queue of ends as it leaves (done, stopped or failed).
_LEFT = object()


def run_jobs(
    jobs: Sequence[Job],
    do_job: Callable[[Job, Worker], Result],
    *,
    workers: int,
    name: str,
    stop: threading.Event,
    stops_the_run: Callable[[BaseException], bool] = _never,
    open_worker: Callable[[], Worker] = lambda: None,
    worker_scope: Callable[[Worker], AbstractContextManager[object]] = lambda _w: nullcontext(),
) -> Iterator[Ended[Job, Result]]:
    """Run `jobs` on up to `workers` threads; yield each job's `Ended` as it ends.

    `open_worker` makes each thread's own state (a DuckDB cursor) in the caller's
    thread, before any starts; `worker_scope(state)` is entered in the worker's
    thread around all its jobs (closes the cursor, sets the request context), and
    `do_job(job, state)` runs one job. A job that raises `RunStopped` ends its
    worker without an outcome. Every job runs unless the run stops: when the
    caller stops iterating (raises, or closes this generator), a job's error
    `stops_the_run`, or `stop` is set from outside; then the workers stop at their
    next request or landing and are all joined before the caller's error goes on.

    The wait ends when every worker has left, not after one end per job: a job
    the stop left undone (never started, or stopped by `RunStopped`) ends with a
    `NotRun` error naming it, once the last worker is gone.
    """
    todo: queue.SimpleQueue[tuple[int, Job]] = queue.SimpleQueue()
    for index, job in enumerate(jobs):
        todo.put((index, job))
    ended: queue.SimpleQueue[object] = queue.SimpleQueue()
    stopped: list[int] = []  # jobs that raised RunStopped (list.append is atomic)

    def work(state: Worker) -> None:
        try:
            with worker_scope(state):
                while not stop.is_set():
                    try:
                        index, job = todo.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        result = do_job(job, state)
                    except RunStopped:
                        stopped.append(index)
                        return
                    except BaseException as exc:  # handed to the caller, which decides
                        if stops_the_run(exc):
                            # Now, not when the caller gets to it: the other workers
                            # start no request and no landing from here.
                            stop.set()
                        ended.put((index, Ended(job, error=exc)))
                    else:
                        ended.put((index, Ended(job, result)))
        finally:
            ended.put(_LEFT)

    states = [open_worker() for _ in range(min(max(1, workers), len(jobs)))]
    threads = [
        threading.Thread(target=work, args=(state,), name=f"{name}-{i}", daemon=True)
        for i, state in enumerate(states)
    ]
    stop.clear()
    for thread in threads:
        thread.start()
    done: set[int] = set()
    try:
        left = 0
        while left < len(threads):
            item = ended.get()
            if item is _LEFT:
                left += 1
                continue
            index, end = item  # type: ignore[misc]
            done.add(index)
            yield end
        undone = [index for index in range(len(jobs)) if index not in done]
        for index in undone:
            yield Ended(
                jobs[index],
                error=NotRun(
                    name,
                    jobs[index],
                    started=index in stopped,
                    undone=[jobs[i] for i in undone],
                ),
            )
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def read_ahead(items: Generator[Item, None, None], *, name: str) -> Iterator[Item]:
    """Yield `items`, the next one read on a thread of its own while the caller handles this one.

    The reader holds at most one item ahead and runs in a copy of the caller's
    context (the run's stop event and request count reach its requests). An error
    reading is raised to the caller where that item would have come. When the caller
    stops early (an error, a closed generator) the reader stops after the item in
    hand, and `items` is closed, so a Bulk job left unfinished is aborted as before.
    """
    handoff: queue.Queue[tuple[object, BaseException | None]] = queue.Queue(maxsize=1)
    closed = threading.Event()
    end = object()

    def hand_over(outcome: tuple[object, BaseException | None]) -> bool:
        while not closed.is_set():
            try:
                handoff.put(outcome, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for item in items:
                if not hand_over((item, None)):
                    return
        except BaseException as exc:  # raised in the caller's thread
            hand_over((end, exc))
        else:
            hand_over((end, None))

    context = contextvars.copy_context()
    reader = threading.Thread(
        target=context.run, args=(read,), name=f"{name}-read-ahead", daemon=True
    )
    reader.start()
    try:
        while True:
            item, error = handoff.get()
            if error is not None:
                raise error
            if item is end:
                return
            yield item  # type: ignore[misc]
    finally:
        closed.set()
        reader.join()
        items.close()


class LandingThread:
    """One object's landing thread: chunks land one at a time, in the order handed over.

    `submit` waits while a chunk is still landing, so an object holds at most two
    chunks (one landing, one being read). A landing's error is raised in the
    object's thread at its next `submit` or at `close`. `on_start` runs first in
    the new thread (to carry the object's thread-local state over).
    """

    def __init__(self, on_start: Callable[[], None] = lambda: None) -> None:
        self._on_start = on_start
        self._work: Callable[[], None] | None = None
        self._error: BaseException | None = None
        self._closed = False
        self._ready = threading.Condition()
        self._thread = threading.Thread(
            target=self._run, name=f"{threading.current_thread().name}-land", daemon=True
        )
        self._thread.start()

    def submit(self, work: Callable[[], None]) -> None:
        """Hand over the next landing, once the one before it has landed."""
        with self._ready:
            while self._work is not None and self._error is None:
                self._ready.wait()
            if self._error is not None:
                raise self._error
            self._work = work
            self._ready.notify_all()

    def close(self, *, raise_error: bool = True) -> None:
        """Wait for the chunk handed over to land, then end the thread."""
        with self._ready:
            while self._work is not None and self._error is None:
                self._ready.wait()
            self._closed = True
            self._ready.notify_all()
        self._thread.join()
        if raise_error and self._error is not None:
            raise self._error

    def _run(self) -> None:
        self._on_start()
        while True:
            with self._ready:
                while self._work is None and not self._closed:
                    self._ready.wait()
                if self._closed:
                    return
                work = self._work
            try:
                work()
            except BaseException as exc:  # raised in the object's thread
                with self._ready:
                    self._error = exc
                    self._work = None
                    self._ready.notify_all()
                return
            with self._ready:
                self._work = None
                self._ready.notify_all()
