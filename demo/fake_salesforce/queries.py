"""SOQL over REST in the fake: query and queryAll with server-side cursors and paging.

A query's result is snapshotted when it runs and served in pages of the
requested ``batchSize`` through ``nextRecordsUrl`` locators. Like a real org,
only ``max_open_cursors`` cursors stay open (the oldest is dropped silently);
fully read cursors stay readable for a while so a client can retry a last page.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from demo.fake_http.messages import encode_json
from demo.fake_salesforce import soql
from demo.fake_salesforce.errors import invalid_query_locator, malformed_query
from demo.fake_salesforce.messages import Request, Response
from demo.fake_salesforce.soql.lower_bound import LowerBoundIndexes

Record = Mapping[str, Any]

# The real API's page bounds for Sforce-Query-Options: batchSize.
MIN_BATCH_SIZE = 200
MAX_BATCH_SIZE = 2000
_BATCH_SIZE = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)


@dataclass
class _Cursor:
    """A query's result, snapshotted when the query ran, paged by offset."""

    endpoint: str
    object_name: str
    fields: tuple[str, ...]
    rows: list[Record]
    batch_size: int


class QueryEndpoints:
    """Mixin for ``FakeSalesforce``: needs ``_lock``, ``_schemas``, ``_records``,
    ``page_size`` and ``max_open_cursors``. Queries with a datetime lower bound
    read their candidates from an index (soql/lower_bound.py), as Salesforce's
    indexed SystemModstamp and CreatedDate do."""

    _lock: threading.RLock
    _schemas: dict
    _records: dict
    page_size: int
    max_open_cursors: int

    def _init_queries(self) -> None:
        self._cursors: OrderedDict[str, _Cursor] = OrderedDict()
        # Fully read cursors stay readable for a while, so a client retrying a last
        # page it failed to receive gets it again; they do not count as open.
        self._finished_cursors: OrderedDict[str, _Cursor] = OrderedDict()
        self._cursor_seq = 0
        self._lower_bounds = LowerBoundIndexes()

    def _query(self, request: Request) -> Response:
        return self._run_query(request, "query", include_deleted=False)

    def _query_all(self, request: Request) -> Response:
        return self._run_query(request, "queryAll", include_deleted=True)

    def _run_query(self, request: Request, endpoint: str, *, include_deleted: bool) -> Response:
        text = request.params.get("q")
        if text is None:
            raise malformed_query("A query string has to be specified")
        with self._lock:
            schemas = dict(self._schemas)
            records = self._records
        query = soql.parse(text, schemas)
        rows = self._run(query, records[query.object_name], include_deleted=include_deleted)
        if query.count_only:
            return Response.json({"totalSize": len(rows), "done": True, "records": []})
        cursor = _Cursor(endpoint, query.object_name, query.fields, rows, self._batch_size(request))
        locator = self._open_cursor(cursor) if len(rows) > cursor.batch_size else ""
        return self._page(request, locator, cursor, 0)

    def _run(self, query: soql.Query, rows: list[Record], *, include_deleted: bool) -> list[Record]:
        """`query` over an object's rows, from the index where its WHERE has a lower bound."""
        candidates = self._lower_bounds.candidates(query.object_name, rows, query.bound)
        return query.run(rows, include_deleted=include_deleted, candidates=candidates)

    def index_field(self, object_name: str, field: str) -> None:
        """Index `field` of an object now, as a real org keeps it (else on first use)."""
        with self._lock:
            rows = self._records[object_name]
        self._lower_bounds.build(object_name, rows, field)

    def _query_more(self, request: Request) -> Response:
        locator, _, offset = request.args["locator"].rpartition("-")
        with self._lock:
            cursor = self._cursors.get(locator) or self._finished_cursors.get(locator)
        if cursor is None or not offset.isdigit() or not 0 < int(offset) < len(cursor.rows):
            raise invalid_query_locator()
        return self._page(request, locator, cursor, int(offset))

    def _batch_size(self, request: Request) -> int:
        match = _BATCH_SIZE.search(request.header("sforce-query-options") or "")
        if not match:
            return self.page_size
        return min(max(int(match.group(1)), MIN_BATCH_SIZE), MAX_BATCH_SIZE)

    def _open_cursor(self, cursor: _Cursor) -> str:
        with self._lock:
            self._cursor_seq += 1
            locator = f"01gFAKE{self._cursor_seq:011d}"
            self._cursors[locator] = cursor
            while len(self._cursors) > self.max_open_cursors:
                self._cursors.popitem(last=False)
        return locator

    def _finish_cursor(self, locator: str, cursor: _Cursor) -> None:
        with self._lock:
            if self._cursors.pop(locator, None) is not None:
                self._finished_cursors[locator] = cursor
                while len(self._finished_cursors) > self.max_open_cursors:
                    self._finished_cursors.popitem(last=False)

    def _page(self, request: Request, locator: str, cursor: _Cursor, start: int) -> Response:
        header = request.header("sforce-query-options")
        size = self._batch_size(request) if header else cursor.batch_size
        end = min(start + size, len(cursor.rows))
        done = end >= len(cursor.rows)
        fields = cursor.fields
        url_prefix = f"/services/data/v{request.version}/sobjects/{cursor.object_name}/"
        object_name = cursor.object_name
        page: dict[str, Any] = {"totalSize": len(cursor.rows), "done": done}
        if done:
            self._finish_cursor(locator, cursor)
        else:
            page["nextRecordsUrl"] = (
                f"/services/data/v{request.version}/{cursor.endpoint}/{locator}-{end}"
            )
        rows = cursor.rows[start:end]
        records = _records_json(rows, object_name, url_prefix, fields)
        if records is not None:
            # The page's other keys come first; "records" is its last key.
            return Response(200, encode_json(page)[:-1] + b',"records":' + records + b"}")
        page["records"] = [_record(row, object_name, url_prefix, fields) for row in rows]
        return Response.json(page)


def _record(row: Record, object_name: str, url_prefix: str, fields: tuple[str, ...]) -> dict:
    """One record as REST returns it: its attributes first, then the selected fields."""
    record: dict[str, Any] = {
        "attributes": {"type": object_name, "url": f"{url_prefix}{row.get('Id')}"}
    }
    record.update(zip(fields, map(row.get, fields), strict=True))
    return record


def _records_json(
    rows: list[Record], object_name: str, url_prefix: str, fields: tuple[str, ...]
) -> bytes | None:
    """A page's records as JSON without building a dict per record, when it can be done.

    Where every row holds exactly the selected fields in their order (a demo
    org's rows do), the rows themselves encode as the records minus their
    attributes: the rows are encoded in one call, cut at the record boundaries
    and each record's attributes put in front, all by C-level bytes operations.
    The bytes are what encoding the ``_record`` dicts writes. None otherwise.
    """
    if not rows or not fields or "attributes" in fields:
        return None
    if not set(map(type, rows)) <= {dict} or set(map(tuple, rows)) != {fields}:
        return None
    first = encode_json(fields[0])
    # Between two records: '},{"<first field>":'. Inside a JSON string a quote is
    # always escaped, so this only ever matches a boundary, or a nested object
    # with the same key, which the count below catches.
    parts = encode_json(rows)[1:-1].split(b"},{" + first + b":")
    if len(parts) != len(rows):
        return None
    parts[0] = parts[0].removeprefix(b"{" + first + b":")
    parts[-1] = parts[-1].removesuffix(b"}")
    ids = map(str, map(dict.get, rows, itertools.repeat("Id")))
    # A str encodes the same whatever the options: orjson.dumps is C, encode_json is not.
    urls = map(orjson.dumps, map(url_prefix.__add__, ids))
    head = b'{"attributes":{"type":' + encode_json(object_name) + b',"url":'
    middle = b"}," + first + b":"
    records = map(
        b"".join,
        zip(itertools.repeat(head), urls, itertools.repeat(middle), parts, itertools.repeat(b"}")),
    )
    return b"[" + b",".join(records) + b"]"
