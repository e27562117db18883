"""Where one HubSpot object's records land: its raw tables, on a landing thread of its own.

`ObjectLanding` opens the object's upsert writers (its table, which carries the
cursor, its history and association tables) and lands each chunk handed to it
on the object's `LandingThread`, in order, while the object reads its next
pages (`object_sync`). A chunk's child rows (history, associations read here)
land first, then the records with the cursor, in one turn on the shared DuckDB
connection: a crash in between only means the rerun reads this chunk again.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING

from connectors.hubspot import decode
from connectors.hubspot.associations import read_links
from connectors.hubspot.incremental import CursorState
from connectors.hubspot.objects import RAW_SCHEMA, CrmObject, RawTable
from connectors.landing import CursorKey, RawTableWriter
from connectors.workers import LandingThread

if TYPE_CHECKING:
    from connectors.hubspot.object_sync import HubSpotSync


class ObjectLanding:
    """The upsert writers of one object (its table, carrying the cursor, its history
    and association tables) and the thread its chunks land on."""

    def __init__(self, sync: HubSpotSync, obj: CrmObject, key: CursorKey) -> None:
        self._stack = ExitStack()
        self._sync = sync
        self._obj = obj
        self._key = key

    def __enter__(self) -> ObjectLanding:
        with self._sync._db:
            self._open()
        sync, mode = self._sync, self._sync.mode
        self.lander = LandingThread(on_start=lambda: setattr(sync, "mode", mode))
        return self

    def _open(self) -> ObjectLanding:
        sync, obj = self._sync, self._obj

        def writer(table: RawTable, cursor: CursorKey | None = None) -> RawTableWriter:
            return self._stack.enter_context(
                RawTableWriter(
                    sync.con,
                    RAW_SCHEMA,
                    table.name,
                    table.arrow_schema,
                    loaded_at=sync.loaded_at,
                    mode="upsert",
                    key=table.key,
                    cursor=cursor,
                )
            )

        self.history = writer(obj.history_table) if obj.history_table is not None else None
        self.associations = {t.name: writer(t) for t in obj.associations.values()}
        self.main = writer(obj.table, self._key)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            # Chunks handed over were read whole: they land, with their cursor, even
            # when a later page failed (not once the run is stopping: see _land_now).
            # A landing error is raised unless an error is already on its way.
            self.lander.close(raise_error=exc_type is None)
        finally:
            with self._sync._db:
                self._stack.close()

    def land(
        self,
        records: list[dict],
        state: CursorState | None,
        *,
        associations: bool = True,
    ) -> None:
        """Land `records` on the object's landing thread, in order, while this thread
        reads on: its associations and writes are off the chain of list pages."""
        self.lander.submit(lambda: self._land_now(records, state, associations=associations))

    def _land_now(
        self,
        records: list[dict],
        state: CursorState | None,
        *,
        associations: bool = True,
    ) -> None:
        """Child rows first, then the records with the cursor: a crash in between only
        means the rerun reads this chunk again. Everything is read and decoded
        before the writes, which take the connection together."""
        sync, obj = self._sync, self._obj
        ids = [r["id"] for r in records]
        children: list[tuple[RawTableWriter, str, object]] = []
        if self.history is not None and records:
            batch = decode.history_batch(records, obj.history)
            children.append((self.history, obj.history_table.name, batch))
        if records:
            for to_type, table in obj.associations.items():
                # Archived records keep no associations: their rows are emptied unread.
                links = (
                    read_links(sync.api, obj.name, to_type, ids, sync._check_stop)
                    if associations
                    else {}
                )
                if to_type == "contacts":
                    batch = decode.deal_contacts_batch(ids, links)
                else:
                    batch = decode.engagement_deals_batch(obj.engagement_type, ids, links)
                children.append((self.associations[table.name], table.name, batch))
        main = decode.records_batch(records, obj.table)
        sync._check_stop()
        with sync._db:
            for writer, _name, batch in children:
                writer.write(batch)
            self.main.write(main, cursor_value=None if state is None else state.dump())
        for _writer, name, batch in children:
            sync._count(name, batch.num_rows)
        sync._count(obj.table.name, len(records))
