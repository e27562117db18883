"""REST query pages as Arrow batches.

One SOQL query, paged with ``nextRecordsUrl``: ceil(rows / page size) requests.
Each page's records become one ``RecordBatch``, column by column, never row by
row into the warehouse. Fields the org lacks land as nulls.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
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


def records_to_batch(records: Sequence[dict], fields: ObjectFields) -> pa.RecordBatch:
    """Columns straight from a page's records; fields the org lacks become nulls."""
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
    """The pages of a query whose first page is ``first``, as Arrow batches."""
    page = first
    name = fields.obj.name
    rows = 0
    while True:
        records = page.get("records")
        if not isinstance(records, list):
            raise CrmRequestError(
                f"Salesforce sent a query page for {name} without records; nothing of it "
                "was landed and the sync can simply run again."
            )
        batch = records_to_batch(records, fields)
        rows += batch.num_rows
        if on_rows:
            on_rows(rows)
        yield Page(batch, int(page.get("totalSize", rows)))
        next_url = page.get("nextRecordsUrl")
        if page.get("done", True) or not next_url:
            return
        page = api.query_more(next_url, object_name=name)
