"""The fake's index on datetime fields, for ``WHERE SystemModstamp >= <cursor>``.

Salesforce indexes SystemModstamp, CreatedDate and LastModifiedDate, so an
incremental query's cost follows the rows it returns, not the object's size. The
fake kept every row as a dict and tested each one: at the large benchmark org
(5M tasks) one incremental night spent 9 s of the fake's CPU scanning, which sat
in the pipeline's measured extract. A query whose WHERE holds a lower bound on a
datetime field (alone or inside an AND) reads its candidate rows from this index
instead; the query's whole WHERE still runs on each candidate, so results are
exactly the scan's.

The index is of the rows it was built over, by identity. Org changes replace the
changed row with a new dict (``OrgChanges`` copies rows) and append new ones, so
a candidate set is: the rows whose indexed value meets the bound and which are
still the same object, plus every row at a position whose object changed, plus
every row appended since. A list shorter than the index (a purge) or a change
touching many rows rebuilds it.
"""

from __future__ import annotations

import array
import bisect
import itertools
import operator
import threading
from dataclasses import dataclass
from datetime import datetime

from demo.fake_salesforce.soql.values import Record, parse_instant

# Past these shares the plain scan is as cheap: the bound keeps most rows, or the
# index has drifted far enough from the rows that a rebuild pays.
_MOST_ROWS = 0.25
_DRIFTED = 0.1


@dataclass(frozen=True)
class LowerBound:
    """``field >= value`` (inclusive) or ``field > value``, on a datetime field."""

    field: str
    value: datetime
    inclusive: bool


def lower_bound(node: tuple | None, datetime_fields: frozenset[str]) -> LowerBound | None:
    """The WHERE tree's lower bound on a datetime field that every match must meet."""
    if node is None:
        return None
    if node[0] == "and":
        return next(filter(None, (lower_bound(child, datetime_fields) for child in node[1])), None)
    if node[0] == "cmp" and node[2] in (">=", ">") and node[3].kind == "datetime":
        name = next((f for f in datetime_fields if f.lower() == node[1].lower()), None)
        if name is not None:
            return LowerBound(name, node[3].value, node[2] == ">=")
    return None


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


class _Index:
    """One field's sorted instants over one list of rows, as those rows were."""

    def __init__(self, rows: list[Record], field: str) -> None:
        self.source = rows
        self.rows = list(rows)
        # Epoch seconds in typed arrays: an L org's 15M indexed values in 8 bytes each.
        values = [_epoch(parse_instant(row.get(field))) for row in self.rows]
        order = [i for i, value in enumerate(values) if value is not None]
        order.sort(key=values.__getitem__)
        self.order = array.array("q", order)
        self.keys = array.array("d", map(values.__getitem__, order))
        self.changed: list[int] = []

    def is_of(self, rows: list[Record]) -> bool:
        """Whether this index still describes `rows` closely enough to be used."""
        if rows is not self.source or len(rows) < len(self.rows):
            return False  # another list, or rows removed: positions moved
        self.changed = list(
            itertools.compress(range(len(self.rows)), map(operator.is_not, rows, self.rows))
        )
        return len(self.changed) <= _DRIFTED * len(self.rows)

    def candidates(self, rows: list[Record], bound: LowerBound) -> list[int] | None:
        """Positions in `rows` that may match, in order; None when a scan is as cheap.

        Only right after `is_of(rows)` said yes (it found the changed positions)."""
        size = len(self.rows)
        find = bisect.bisect_left if bound.inclusive else bisect.bisect_right
        hits = self.order[find(self.keys, _epoch(bound.value)) :]
        if len(hits) > _MOST_ROWS * size:
            return None
        return sorted({*hits, *self.changed, *range(size, len(rows))})


class LowerBoundIndexes:
    """The fake's indexes, one per (object, field), built on first use or by `build`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._indexes: dict[tuple[str, str], _Index] = {}

    def build(self, object_name: str, rows: list[Record], field: str) -> None:
        with self._lock:
            self._indexes[(object_name, field)] = _Index(rows, field)

    def candidates(
        self, object_name: str, rows: list[Record], bound: LowerBound | None
    ) -> list[Record] | None:
        """The rows a query bounded by `bound` needs to test, or None to scan them all."""
        if bound is None:
            return None
        key = (object_name, bound.field)
        with self._lock:
            index = self._indexes.get(key)
            if index is None or not index.is_of(rows):
                index = self._indexes[key] = _Index(rows, bound.field)
                index.is_of(rows)
            found = index.candidates(rows, bound)
        return None if found is None else list(map(rows.__getitem__, found))
