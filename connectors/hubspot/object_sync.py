"""Land a HubSpot account into raw_hubspot: owners, pipelines, deals, engagements.

Owners and pipelines are small and replaced on every run. Deals and engagements
sync incrementally, page by page, each page committed together with its cursor
(`connectors.landing`), so a run killed at any point resumes where it stopped
and re-read rows replace themselves:

1. First run (or `full_refresh`): the object's tables are emptied and every live
   record is listed (`GET /crm/v3/objects/{type}`, 100 per page, 50 with
   property history); the cursor holds the next page's `after`.
2. Later runs search for records modified since the last run started (minus an
   overlap for clock skew and search-index lag). Search stops at 10,000 results
   per query and many records can share one `hs_lastmodifieddate`, so every page
   is a fresh query sorted by `hs_object_id` with `hs_object_id > last id`:
   keyset paging that never reaches the cap, cannot loop, and resumes from the
   last committed id. Deals found by search are re-read by id with their
   property history (search returns no history). A resumed or just-finished full
   pass is followed by one fresh window, so changes made meanwhile are not
   left for the next run.
3. Search never returns archived records: every run lists `archived=true` and
   upserts those rows, flagged archived, so they are never kept as live.

Each landed record also gets its associations (`associations`: v4 batch reads,
up to 1,000 ids per call) as one row per record, so an association removed in
HubSpot is removed here when the record is next synced. This module reads;
`object_landing` lands what it read.

Objects sync concurrently (`run`, `HubSpotSettings.concurrency` workers): one
object's pages are chained by their `after` cursor, so requests overlap across
objects, paced by the one shared limiter, which serves the object with the most
pages left first (a full pass of several pages counts its object once for that).
Each object lands exactly as above, its chunks in order on a landing thread of its
own (`ObjectLanding`, which also reads their associations) while the object reads
its next pages; landings take turns on the one DuckDB connection (`_db`), and only
the writes do: requests and decoding run outside it. The pool and the landing
threads are the CRM-neutral ones of `connectors/workers.py`. When the caller stops
the run (an error it will raise), the other workers stop at their next request or
landing, so every object keeps just the pages committed with its cursor.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing

import duckdb

from connectors.errors import CrmRequestError
from connectors.hubspot import decode
from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.incremental import SEARCH_LIMIT, CursorState, window_query
from connectors.hubspot.object_landing import ObjectLanding
from connectors.hubspot.objects import (
    CRM_OBJECTS,
    DEAL_STAGES,
    OWNER_TEAMS,
    OWNERS,
    RAW_SCHEMA,
    SOURCE,
    CrmObject,
    RawTable,
)
from connectors.landing import CursorKey, land_batches, read_cursor
from connectors.sync_report import TableReport
from connectors.workers import RunStopped, run_jobs

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int], None]
LIST_LIMIT = 100
HISTORY_LIST_LIMIT = 50
BATCH_READ_LIMIT = 100
HISTORY_BATCH_READ_LIMIT = 50
# Records landed per transaction (with the cursor): each landing costs a few
# transactions whatever its size; a killed run re-reads at most this many (#18).
DEFAULT_CHUNK_ROWS = 10_000
DEFAULT_OVERLAP = dt.timedelta(minutes=10)


def _now_ms() -> int:
    return int(time.time() * 1000)


# A unit of work for `HubSpotSync.run`: owners, pipelines, or one CRM object.
Job = CrmObject | str


def page_limit(obj: CrmObject) -> int:
    """Records per list page: fewer when the properties come with their history."""
    return HISTORY_LIST_LIMIT if obj.history else LIST_LIMIT


OWNERS_JOB = "owners"
PIPELINES_JOB = "pipelines"


class HubSpotSync:
    """Lands the catalog (`connectors.hubspot.objects`) from one account into raw_hubspot."""

    def __init__(
        self,
        api: HubSpotApi,
        con: duckdb.DuckDBPyConnection,
        *,
        loaded_at: dt.datetime,
        full_refresh: bool = False,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        overlap: dt.timedelta = DEFAULT_OVERLAP,
        on_progress: ProgressCallback | None = None,
        clock: Callable[[], int] = _now_ms,
        concurrency: int | None = None,
    ) -> None:
        self.api = api
        self.con = con
        self.concurrency = max(1, concurrency or api.settings.concurrency)
        self.loaded_at = loaded_at
        self.full_refresh = full_refresh
        self.chunk_rows = chunk_rows
        self.overlap_ms = int(overlap.total_seconds() * 1000)
        self.on_progress = on_progress or (lambda _table, _rows: None)
        self.clock = clock
        self.results: dict[str, TableReport] = {}
        # Every use of `con` holds this: one connection, one writer at a time.
        self._db = threading.RLock()
        self._reports = threading.Lock()
        self._stop = threading.Event()
        self._local = threading.local()

    @property
    def mode(self) -> str:
        """The landing mode of the object this thread is syncing."""
        return getattr(self._local, "mode", "replace")

    @mode.setter
    def mode(self, value: str) -> None:
        self._local.mode = value

    # -- everything --------------------------------------------------------------

    def sync_all(self, objects: Sequence[CrmObject] = CRM_OBJECTS) -> dict[str, TableReport]:
        """Owners, pipelines and every object in `objects`; returns rows per table.

        The first job that fails fails the sync with its error; the others stop.
        """
        with closing(self.run([OWNERS_JOB, PIPELINES_JOB, *objects])) as ended:
            for _job, error in ended:
                if error is not None:
                    raise error
        return self.results

    def run(self, jobs: Sequence[Job]) -> Iterator[tuple[Job, BaseException | None]]:
        """Run `jobs` on `concurrency` workers; yield (job, error or None) as each ends.

        Every job runs unless the caller stops iterating (raises, or closes this
        generator): then the workers stop at their next request or landing and are
        joined before the caller's error goes on, so no thread outlives the sync.
        """
        for ended in run_jobs(
            jobs,
            lambda job, _worker: self._run_job(job),
            workers=self.concurrency,
            name="hubspot-sync",
            stop=self._stop,
        ):
            yield ended.job, ended.error

    def _run_job(self, job: Job) -> None:
        if job == OWNERS_JOB:
            self.sync_owners()
        elif job == PIPELINES_JOB:
            self.sync_pipelines()
        else:
            self.sync_object(job)

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise RunStopped("the HubSpot run is stopping")

    def sync_owners(self) -> None:
        """Replace owners and their teams: active owners, then deactivated (archived) ones."""
        self.mode = "replace"
        owners: list[dict] = []
        for archived in (False, True):
            after = None
            while True:
                self._check_stop()
                page = self.api.owners_page(after=after, archived=archived)
                owners.extend(page.get("results") or [])
                after = _next_after(page, after)
                if after is None:
                    break
        owner_rows, team_rows = decode.owners_batches(owners)
        self._check_stop()
        for table, batch in ((OWNERS, owner_rows), (OWNER_TEAMS, team_rows)):
            with self._db:
                self._replace(table, [batch])
            self._count(table.name, batch.num_rows)

    def sync_pipelines(self) -> None:
        """Replace the deal pipelines and their stages."""
        self.mode = "replace"
        page = self.api.pipelines("deals")
        batch = decode.stages_batch(page.get("results") or [])
        self._check_stop()
        with self._db:
            self._replace(DEAL_STAGES, [batch])
        self._count(DEAL_STAGES.name, batch.num_rows)

    # -- one object ----------------------------------------------------------------

    def sync_object(self, obj: CrmObject) -> None:
        """Bring the object's tables up to date (see the module docstring)."""
        key = CursorKey(SOURCE, obj.cursor_object)
        with self._db:
            state = None if self.full_refresh else CursorState.load(read_cursor(self.con, key))
            added = self._new_columns(obj) if state is not None else []
        if added:
            # Properties new to the table (an upgrade: deal_currency_code) would be null
            # on every record the windows do not re-read: list them all again.
            state = None
        self.mode = "full" if state is None else "incremental"
        if added:
            message = (
                f"HubSpot {obj.name} properties {', '.join(added)} are new to raw_hubspot."
                f"{obj.table.name}; every record is read again so that all have them."
            )
            log.warning(message)
            with self._reports:
                report = self.results.setdefault(obj.table.name, TableReport(obj.table.name))
                report.mode = self.mode
                report.warnings.append(message)
        with self._reports:
            # Reported with this object's mode even when no row lands in them.
            for table in (obj.table, obj.history_table, *obj.associations.values()):
                if table is not None:
                    self.results.setdefault(table.name, TableReport(table.name, mode=self.mode))
        if state is None:
            self._empty_tables(obj)
            state = CursorState("full", started=self.clock())
        with ObjectLanding(self, obj, key) as landing:
            resumed = False
            if state.phase == "full":
                state = self._full_pass(obj, state, landing)
            else:
                resumed = state.last_id is not None
            state = self._window(obj, state, landing)
            if resumed:
                self._window(obj, state, landing)
            self._archived_pass(obj, landing)

    def _new_columns(self, obj: CrmObject) -> list[str]:
        """Catalog columns the object's existing raw table lacks (none if no table)."""
        existing = {
            name
            for (name,) in self.con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [RAW_SCHEMA, obj.table.name],
            ).fetchall()
        }
        return [n for n in obj.table.column_names if existing and n not in existing]

    def _full_pass(self, obj: CrmObject, state: CursorState, landing: ObjectLanding) -> CursorState:
        limit = page_limit(obj)
        after = state.after
        # With objects in flight together, the one with the most pages left goes first
        # when the rate limit makes them wait (ratelimit.py): a fresh pass that needs
        # more than one page counts the object once (a resumed pass has no count).
        count = self.concurrency > 1 and after is None
        left = 0
        chunk: list[dict] = []
        try:
            while True:
                self._check_stop()
                page = self._list_page(obj, after)
                results = page.get("results") or []
                chunk.extend(results)
                after = _next_after(page, after)
                if count and after is not None:
                    left, count = self.api.count(obj.name), False
                left = max(0, left - len(results))
                self.api.limiter.prioritise(math.ceil(left / limit))
                if after is None:
                    done = CursorState("incremental", since=state.started - self.overlap_ms)
                    landing.land(chunk, done)
                    return done
                if len(chunk) >= self.chunk_rows:
                    landing.land(chunk, CursorState("full", started=state.started, after=after))
                    chunk = []
        finally:
            self.api.limiter.prioritise(0)  # the worker's next object starts afresh

    def _window(self, obj: CrmObject, state: CursorState, landing: ObjectLanding) -> CursorState:
        """Every record modified since `state.since`, in id order; returns the next state."""
        resumed = state.last_id is not None and state.started is not None
        started = state.started if resumed else self.clock()
        since = state.since or 0
        last_id = state.last_id or 0
        # Deals are re-read by id with their history, so search only finds their ids.
        properties = ["hs_object_id"] if obj.history else list(obj.properties)
        chunk: list[dict] = []
        while True:
            self._check_stop()
            page = self.api.search(obj.name, window_query(since, last_id, properties))
            results = page.get("results") or []
            if results:
                newest = int(results[-1]["id"])
                if newest <= last_id:
                    raise CrmRequestError(
                        f"HubSpot search for changed {obj.name} did not move past id {last_id}; "
                        "stopping instead of looping. Run again with --full-refresh."
                    )
                last_id = newest
            chunk.extend(results)
            finished = not page.get("paging") or len(results) < SEARCH_LIMIT
            if finished:
                state = CursorState("incremental", since=started - self.overlap_ms)
            elif len(chunk) >= self.chunk_rows:
                state = CursorState("incremental", started=started, since=since, last_id=last_id)
            else:
                continue
            records = self._read_by_id(obj, [r["id"] for r in chunk]) if obj.history else chunk
            landing.land(records, state)
            chunk = []
            if finished:
                return state

    def _list_page(self, obj: CrmObject, after: str | None, *, archived: bool = False) -> dict:
        """One list page of `obj`, with its properties (and history) at its page limit."""
        return self.api.list_page(
            obj.name,
            properties=obj.properties,
            history=obj.history,
            after=after,
            limit=page_limit(obj),
            archived=archived,
        )

    def _archived_pass(self, obj: CrmObject, landing: ObjectLanding) -> None:
        """Upsert the recycle bin's records, flagged archived (search never returns them)."""
        after = None
        while True:
            self._check_stop()
            page = self._list_page(obj, after, archived=True)
            records = page.get("results") or []
            if records:
                landing.land(records, None, associations=False)
            after = _next_after(page, after)
            if after is None:
                return

    def _read_by_id(self, obj: CrmObject, ids: Sequence[str]) -> list[dict]:
        limit = HISTORY_BATCH_READ_LIMIT if obj.history else BATCH_READ_LIMIT
        records: list[dict] = []
        for start in range(0, len(ids), limit):
            self._check_stop()
            page = self.api.batch_read(
                obj.name, ids[start : start + limit], properties=obj.properties, history=obj.history
            )
            # Records archived since the search are missing here; the archived pass flags them.
            records.extend(page.get("results") or [])
        return records

    def _empty_tables(self, obj: CrmObject) -> None:
        """A full pass starts from empty tables (shared association tables excepted:
        their rows are replaced per record, and rows of records no longer landed are
        ignored downstream)."""
        tables = [obj.table]
        if obj.history_table is not None:
            tables.append(obj.history_table)
        tables += [t for t in obj.associations.values() if not is_shared(t)]
        with self._db:
            for table in tables:
                self._replace(table, [])

    def _replace(self, table: RawTable, batches: list) -> None:
        """Replace `table`'s rows with `batches` (none: empty it) in one transaction;
        the caller holds `_db`."""
        land_batches(
            self.con, RAW_SCHEMA, table.name, table.arrow_schema, batches, loaded_at=self.loaded_at
        )

    def _count(self, table: str, rows: int) -> None:
        with self._reports:
            result = self.results.setdefault(table, TableReport(table, mode=self.mode))
            result.rows += rows
            # One call at a time: the callback (a run log) need not be thread-safe.
            self.on_progress(table, result.rows)


def is_shared(table: RawTable) -> bool:
    return sum(table in obj.associations.values() for obj in CRM_OBJECTS) > 1


def _next_after(page: dict, previous: str | None) -> str | None:
    after = ((page.get("paging") or {}).get("next") or {}).get("after")
    if after is not None and after == previous:
        raise CrmRequestError(
            "HubSpot returned the same paging cursor twice; stopping instead of looping."
        )
    return after
