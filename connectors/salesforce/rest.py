"""REST query pages as Arrow batches, fetched one page ahead, landed in chunks.

One SOQL query, paged with ``nextRecordsUrl``: ceil(rows / page size) requests.
Each page's records become one ``RecordBatch``, column by column, never row by
row into the warehouse. Fields the org lacks land as nulls.

While a page is converted and landed, one thread already fetches and decodes the
next (``rest_pages``): the HTTP wait overlaps the conversion, and the decoding
overlaps DuckDB's insert, which releases the GIL. Never more than one page is
ahead, so the order of pages is the server's, and a page's error (typed by
``SalesforceApi``) is raised where the caller asks for that page.
``landing_chunks`` joins consecutive pages into one table to land at once: a
landing costs a transaction and a cursor commit whatever its size, so 2,000-row
pages landed one by one spent more time there than in reading them.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyarrow as pa

from connectors.errors import CrmRequestError, SchemaDriftError
from connectors.salesforce.api import SalesforceApi
from connectors.salesforce.fields import ObjectFields


@dataclass(frozen=True)
class Page:
    batch: pa.RecordBatch
    # Rows in the whole result (Salesforce repeats it on every page).
    total_size: int


@dataclass(frozen=True)
class Chunk:
    """Consecutive pages joined to land in one transaction."""

    table: pa.Table
    pages: int


def records_to_batch(records: Sequence[dict], fields: ObjectFields) -> pa.RecordBatch:
    """Columns straight from a page's records; fields the org lacks become nulls."""
    try:
        # One pass in C++ over the records (keys outside the schema, like
        # "attributes", are ignored). Values that do not fit their column take the
        # column-by-column path, which explains or converts them.
        rows = pa.array(records, type=pa.struct(fields.arrow_schema))
        return pa.RecordBatch.from_struct_array(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    arrays = []
    for name, arrow_type in fields.columns:
        if not fields.has(name):
            arrays.append(pa.nulls(len(records), arrow_type))
            continue
        values = [record.get(name) for record in records]
        arrays.append(_column(values, arrow_type, fields.obj.name, name))
    return pa.RecordBatch.from_arrays(arrays, schema=fields.arrow_schema)


def _column(values: list, arrow_type: pa.DataType, object_name: str, name: str) -> pa.Array:
    try:
        return pa.array(values, type=arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        if arrow_type != pa.string():
            raise SchemaDriftError(
                f"Salesforce sent {object_name}.{name} values that are not {arrow_type} "
                f"({str(exc)[:200]}). Check whether the field's type changed; the sync "
                "stopped before landing them."
            ) from None
        # anyType fields (OldValue/NewValue) arrive as JSON numbers or booleans
        # depending on the tracked field; keep their JSON text form.
        return pa.array(
            [v if v is None or isinstance(v, str) else json.dumps(v) for v in values],
            type=arrow_type,
        )


def select_soql(fields: ObjectFields, where: str = "", *, ordered: bool = True) -> str:
    """``SELECT <fields> FROM <object> [WHERE ...] [ORDER BY watermark, Id]``."""
    soql = f"SELECT {', '.join(fields.select)} FROM {fields.obj.name}"
    if where:
        soql += f" WHERE {where}"
    order = [f for f in (fields.obj.watermark, "Id") if fields.has(f)]
    if ordered and order:
        soql += f" ORDER BY {', '.join(dict.fromkeys(order))}"
    return soql


def rest_pages(
    api: SalesforceApi,
    fields: ObjectFields,
    first: dict,
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[Page]:
    """The pages of a query whose first page is ``first``, as Arrow batches.

    The next page is requested as soon as a page's body is in (one page ahead, in a
    thread), so it travels while this one is converted and landed; a page is only
    ever requested after the one before it arrived.
    """
    name = fields.obj.name
    prefetch = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"salesforce-{name}")
    try:
        body, rows = first, 0
        while True:
            records = body.get("records")
            if not isinstance(records, list):
                raise CrmRequestError(
                    f"Salesforce sent a query page for {name} without records; nothing of "
                    "it was landed and the sync can simply run again."
                )
            next_url = body.get("nextRecordsUrl")
            ahead = None
            if next_url and not body.get("done", True):
                # In this thread's context: the request counts for this object and
                # stops with the run (connectors/salesforce/sync.py).
                ahead = prefetch.submit(
                    contextvars.copy_context().run, api.query_more, next_url, object_name=name
                )
            batch = records_to_batch(records, fields)
            rows += batch.num_rows
            if on_rows:
                on_rows(rows)
            yield Page(batch, int(body.get("totalSize", rows)))
            if ahead is None:
                return
            body = ahead.result()
    finally:
        # A caller that stops early (a failed landing, a stopping run) waits for the
        # one request in flight, so no thread outlives the sync; its page is dropped,
        # never landed.
        prefetch.shutdown(wait=True, cancel_futures=True)


def landing_chunks(
    pages: Iterable[Page], schema: pa.Schema, *, max_rows: int, max_bytes: int
) -> Iterator[Chunk]:
    """Consecutive pages joined up to ``max_rows`` rows or ``max_bytes`` of Arrow data.

    Always at least one chunk (an empty result is one empty chunk), in page order.
    """
    batches: list[pa.RecordBatch] = []
    rows = size = 0
    for page in pages:
        batches.append(page.batch)
        rows += page.batch.num_rows
        size += page.batch.nbytes
        if rows >= max_rows or size >= max_bytes:
            yield Chunk(pa.Table.from_batches(batches, schema), len(batches))
            batches, rows, size = [], 0, 0
    if batches:
        yield Chunk(pa.Table.from_batches(batches, schema), len(batches))
