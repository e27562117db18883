"""The worker pool both CRM syncs run on (connectors/workers.py), without a CRM.

The connector suites (test_*_concurrency.py) show it with real fakes; these pin
the pool's own promises: every job ends once, one job's error ends only that job,
an error that stops the run stops every other worker before its next job, a
stop set from outside ends the wait with the undone jobs named instead of
hanging, each worker's own state is opened before and closed after, no thread
outlives the run, and a landing thread lands in order and hands its error back.
"""

import threading
from contextlib import closing, contextmanager

import pytest

from connectors.workers import LandingThread, NotRun, RunStopped, read_ahead, run_jobs


class QuotaExhausted(Exception):
    pass


def test_every_job_ends_once_and_one_jobs_error_ends_only_that_job():
    opened, closed = [], []

    def open_worker():
        state = {"jobs": 0}
        opened.append(state)
        return state

    @contextmanager
    def worker_scope(state):
        yield
        closed.append(state)

    def double(job, state):
        state["jobs"] += 1
        if job == 3:
            raise ValueError("page 2 of job 3 is malformed")
        return job * 2

    ended = list(
        run_jobs(
            [1, 2, 3, 4, 5],
            double,
            workers=2,
            name="test-pool",
            stop=threading.Event(),
            open_worker=open_worker,
            worker_scope=worker_scope,
        )
    )

    assert {e.job: e.result for e in ended if e.error is None} == {1: 2, 2: 4, 4: 8, 5: 10}
    (failed,) = [e for e in ended if e.error is not None]
    assert failed.job == 3 and str(failed.error) == "page 2 of job 3 is malformed"
    assert len(opened) == 2 and sorted(map(id, closed)) == sorted(map(id, opened))
    assert sum(state["jobs"] for state in opened) == 5
    assert not [t for t in threading.enumerate() if t.name.startswith("test-pool")]


def test_an_error_that_stops_the_run_stops_every_other_worker_before_its_next_job():
    stop = threading.Event()
    waiting = threading.Event()
    ran = []

    def sync(job, _state):
        ran.append(job)
        if job == "fails":
            waiting.wait(5)
            raise QuotaExhausted("daily API limit used up")
        if job == "in flight":
            waiting.set()
            # What the CRM code does before each request or landing.
            if stop.wait(5):
                raise RunStopped("the run is stopping")
            return "landed after the quota ran out"
        return "ran after the quota ran out"

    jobs = run_jobs(
        ["fails", "in flight", "queued"],
        sync,
        workers=2,
        name="test-pool",
        stop=stop,
        stops_the_run=lambda error: isinstance(error, QuotaExhausted),
    )
    with closing(jobs):
        first = next(jobs)

    assert first.job == "fails" and isinstance(first.error, QuotaExhausted)
    assert sorted(ran) == ["fails", "in flight"]  # "queued" never started
    assert not [t for t in threading.enumerate() if t.name.startswith("test-pool")]


def ends_of(run, *, within_s=5.0):
    """Every end `run` yields, gathered on a thread of its own: a pool that leaves
    its caller waiting fails the test instead of hanging it."""
    ends = []
    caller = threading.Thread(target=lambda: ends.extend(run), daemon=True)
    caller.start()
    caller.join(within_s)
    assert not caller.is_alive(), "the caller is still waiting for jobs no worker will run"
    return ends


def test_a_stop_set_from_outside_ends_the_wait_and_names_the_jobs_that_never_ran():
    # No job raises an error that stops the run: something else (a cancelled run)
    # sets the event while "first" is in flight. The one worker leaves before
    # "second" and "third"; the caller must get an end for each, not wait forever.
    stop = threading.Event()

    def sync(job, _state):
        if job == "first":
            threading.Timer(0.05, stop.set).start()  # the outside
            stop.wait(5)
            return "landed"
        return "ran after the stop"

    ends = ends_of(
        run_jobs(["first", "second", "third"], sync, workers=1, name="test-pool", stop=stop)
    )

    assert [(e.job, e.result) for e in ends if e.error is None] == [("first", "landed")]
    undone = [e for e in ends if e.error is not None]
    assert [e.job for e in undone] == ["second", "third"]
    assert all(isinstance(e.error, NotRun) and not e.error.started for e in undone)
    assert undone[0].error.undone == ("second", "third")
    assert str(undone[0].error) == (
        "test-pool: 'second' never ran: the run was stopped (2 job(s) undone: 'second', 'third')"
    )
    assert not [t for t in threading.enumerate() if t.name.startswith("test-pool")]


def test_a_job_stopped_mid_way_by_an_outside_stop_is_named_as_unfinished():
    stop = threading.Event()

    def sync(job, _state):
        if job == "in flight":
            stop.set()  # from outside, as far as the pool knows: no job's error
            raise RunStopped("the run is stopping")
        return "done"

    (end,) = ends_of(run_jobs(["in flight"], sync, workers=2, name="test-pool", stop=stop))

    assert end.job == "in flight" and isinstance(end.error, NotRun) and end.error.started
    assert "'in flight' stopped before it finished" in str(end.error)


def test_a_landing_thread_lands_in_order_and_hands_its_error_back_at_the_next_chunk():
    landed = []
    lander = LandingThread()
    for chunk in range(3):
        lander.submit(lambda chunk=chunk: landed.append(chunk))

    def broken():
        raise OSError("disk full")

    lander.submit(broken)
    with pytest.raises(OSError, match="disk full"):
        lander.submit(lambda: landed.append("after the error"))
    lander.close(raise_error=False)

    assert landed == [0, 1, 2]


def test_read_ahead_hands_items_over_in_order_and_a_read_error_where_its_item_was_due():
    import contextvars

    run = contextvars.ContextVar("run", default="none")
    run.set("nightly")
    read_in = []

    def pages():
        for page in (1, 2, 3):
            read_in.append((threading.current_thread().name, run.get()))
            yield page
        raise OSError("connection reset reading page 4")

    got = []
    with pytest.raises(OSError, match="page 4"):
        for page in read_ahead(pages(), name="test-pool"):
            got.append(page)

    assert got == [1, 2, 3]
    # Read on the reader thread, in a copy of the caller's context (stop event, counts).
    assert read_in == [("test-pool-read-ahead", "nightly")] * 3
    assert not [t for t in threading.enumerate() if t.name.startswith("test-pool")]


def test_a_caller_that_stops_early_stops_the_reader_and_closes_the_pages():
    closed = []

    def pages():
        try:
            yield from range(100)
        finally:
            closed.append(True)  # where a Bulk job left unfinished is aborted

    with closing(read_ahead(pages(), name="test-pool")) as items:
        assert next(items) == 0

    assert closed == [True]
    assert not [t for t in threading.enumerate() if t.name.startswith("test-pool")]
