"""A parsed, schema-checked SOQL query and ``parse``, the one entry point."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from demo.fake_salesforce.errors import invalid_type, malformed_query
from demo.fake_salesforce.schema import DATETIME_TYPES, ObjectSchema
from demo.fake_salesforce.soql.filters import Predicate, compile_where, resolve
from demo.fake_salesforce.soql.lower_bound import LowerBound, lower_bound
from demo.fake_salesforce.soql.parser import Parser
from demo.fake_salesforce.soql.values import OrderItem, Record, fast_sort_keys, sort_key


@dataclass(frozen=True)
class Query:
    """A parsed, schema-checked SOQL query, ready to run over records."""

    object_name: str
    fields: tuple[str, ...]
    count_only: bool
    where: Predicate | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int
    has_is_deleted: bool
    # A datetime lower bound every match meets, for the fake's index (lower_bound.py).
    bound: LowerBound | None = None

    def run(
        self,
        records: Sequence[Record],
        *,
        include_deleted: bool,
        candidates: Sequence[Record] | None = None,
    ) -> list[Record]:
        """The matching records, sorted and sliced; a new list (a snapshot).

        `candidates`, when given, are the records in their order that may meet
        `bound` (the index's answer): the rest of the query runs on them alone."""
        rows = list(records if candidates is None else candidates)
        if self.has_is_deleted and not include_deleted:
            rows = [r for r in rows if not r.get("IsDeleted")]
        if self.where is not None:
            rows = list(filter(self.where, rows))
        # Stable sorts from the last key to the first give a multi-key order with
        # a direction per key.
        for item in reversed(self.order_by):
            keys = fast_sort_keys(item, rows)
            if keys is None:
                rows.sort(key=sort_key(item), reverse=item.descending)
            else:
                # The same stable sort, on keys computed up front.
                order = sorted(range(len(rows)), key=keys.__getitem__, reverse=item.descending)
                rows = list(map(rows.__getitem__, order))
        end = None if self.limit is None else self.offset + self.limit
        return rows[self.offset : end] if self.offset or end is not None else rows


def parse(text: str, schemas: Mapping[str, ObjectSchema]) -> Query:
    """Parse and check one SOQL statement against the org's objects.

    Raises ``SalesforceApiError`` (MALFORMED_QUERY, INVALID_TYPE, INVALID_FIELD)
    with the status and wording the real API uses.
    """
    if not text or not text.strip():
        raise malformed_query("A query string has to be specified")
    tree = Parser(text).query()
    by_lower = {name.lower(): schema for name, schema in schemas.items()}
    schema = by_lower.get(tree["object"].lower())
    if schema is None:
        raise invalid_type(tree["object"])
    fields: list[str] = []
    for name in tree["fields"]:
        canonical = resolve(schema, name).name
        if canonical in fields:
            raise malformed_query(f"duplicate field selected: {canonical}")
        fields.append(canonical)
    order = tuple(
        OrderItem(resolve(schema, name), descending, descending if nulls is None else nulls)
        for name, descending, nulls in tree["order"]
    )
    return Query(
        object_name=schema.name,
        fields=tuple(fields),
        count_only=tree["count"],
        where=compile_where(tree["where"], schema) if tree["where"] else None,
        order_by=order,
        limit=tree["limit"],
        offset=tree["offset"],
        has_is_deleted=schema.has("IsDeleted"),
        bound=lower_bound(
            tree["where"],
            frozenset(f.name for f in schema.fields if f.type in DATETIME_TYPES),
        ),
    )
