"""The peer arm: the same Salesforce objects landed in DuckDB by a plain dlt pipeline.

Runs ONLY in the benchmark's own virtualenv (`.bench/dlt-venv`, made from
`requirements.txt` beside this file by `benchmarks.peers`): the product never
imports it and dlt is never installed into the product's `.venv`.

It is written the way a data team would from dlt's docs and its Salesforce
verified source (`sources/salesforce` in dlt-hub/verified-sources): one
`dlt.resource` per sObject over simple-salesforce, `write_disposition="merge"`
on `Id` with a `dlt.sources.incremental` cursor on SystemModstamp (CreatedDate
for OpportunityFieldHistory) for the incremental objects, `replace` for the
small reference ones, the duckdb destination. Where it departs from the verified
source, it does so to read exactly what Trustgap reads:

- the field list is Trustgap's catalog (intersected with the org's describe), not
  every field of the object;
- objects that carry IsDeleted are read with `queryAll`, so soft-deleted rows
  arrive flagged as they do in Trustgap (the verified source uses `query` and
  never sees them);
- it reads REST query pages (the verified source tries Bulk 1.0 first, which the
  fake does not serve; its fallback is these same REST pages).

Two shapes of the same pipeline (`--shape`):

- `dict`: dlt's default path, each page's records yielded as dicts (dlt infers
  the schema and normalises row by row);
- `arrow`: each page's records built into a pyarrow Table with the catalog's
  types and yielded as that table (dlt's Arrow fast path: no row-wise
  normalisation, parquet files loaded by DuckDB).

`python dlt_arm.py SPEC.json` reads the run's spec (instance URL, token, the
objects and their fields, DuckDB file, dlt's working dir) and prints one JSON
line: per-step wall times (extract, normalize, load) and the rows dlt loaded.
"""

from __future__ import annotations

import json
import sys
import time

import dlt
import pyarrow as pa
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce

ARROW_TYPES = {"string": pa.string(), "double": pa.float64(), "bool": pa.bool_()}


class _PlainHttp(HTTPAdapter):
    """simple-salesforce always speaks https to the instance; the local fake is http."""

    def send(self, request, **kwargs):
        request.url = "http://" + request.url.removeprefix("https://")
        return super().send(request, **kwargs)


def _session(instance_url: str) -> requests.Session:
    session = requests.Session()
    if instance_url.startswith("http://"):
        session.mount("https://" + instance_url.removeprefix("http://"), _PlainHttp())
    return session


def _pages(sf: Salesforce, soql: str, include_deleted: bool):
    """The query's REST pages, one list of records per page (nextRecordsUrl paging)."""
    page = sf.query(soql, include_deleted=include_deleted)
    while True:
        yield page["records"]
        if page.get("done", True):
            return
        page = sf.query_more(
            page["nextRecordsUrl"], identifier_is_url=True, include_deleted=include_deleted
        )


def _soql(name: str, fields: list[str], cursor_field: str | None, last_value) -> str:
    soql = f"SELECT {', '.join(fields)} FROM {name}"
    if cursor_field and last_value:
        soql += f" WHERE {cursor_field} > {last_value}"
    if cursor_field:
        soql += f" ORDER BY {cursor_field}"
    return soql


def _resource(sf: Salesforce, obj: dict, described: set[str], shape: str):
    fields = [f for f, _ in obj["fields"] if f in described]
    schema = pa.schema([(f, ARROW_TYPES[t]) for f, t in obj["fields"] if f in described])
    include_deleted = "IsDeleted" in fields

    def shaped(records: list[dict]):
        if shape == "arrow":
            # from_pylist takes the schema's keys only: the "attributes" entry is dropped.
            return pa.Table.from_pylist(records, schema=schema)
        for record in records:
            record.pop("attributes", None)
        return records

    if not obj["incremental"]:

        @dlt.resource(name=obj["table"], write_disposition="replace", primary_key="Id")
        def whole():
            for records in _pages(sf, _soql(obj["name"], fields, None, None), include_deleted):
                yield shaped(records)

        return whole

    watermark = obj["watermark"]

    @dlt.resource(name=obj["table"], write_disposition="merge", primary_key="Id")
    # dlt's documented idiom: the cursor is the argument's default.
    def window(cursor=dlt.sources.incremental(watermark, initial_value=None)):  # noqa: B008
        soql = _soql(obj["name"], fields, watermark, cursor.last_value)
        for records in _pages(sf, soql, include_deleted):
            yield shaped(records)

    return window


def main(spec_path: str) -> int:
    with open(spec_path) as fh:
        spec = json.load(fh)
    started = time.perf_counter()
    sf = Salesforce(
        instance_url=spec["instance_url"],
        session_id=spec["token"],
        version=spec["api_version"],
        session=_session(spec["instance_url"]),
    )
    in_org = {o["name"] for o in sf.describe()["sobjects"]}
    resources = []
    for obj in spec["objects"]:
        if obj["name"] not in in_org:
            continue
        described = {f["name"] for f in getattr(sf, obj["name"]).describe()["fields"]}
        resources.append(_resource(sf, obj, described, spec["shape"]))

    @dlt.source(name="salesforce")
    def salesforce():
        return resources

    pipeline = dlt.pipeline(
        pipeline_name=f"salesforce_{spec['shape']}",
        pipelines_dir=spec["pipelines_dir"],
        destination=dlt.destinations.duckdb(spec["db"]),
        dataset_name="raw_salesforce",
        progress=None,
    )
    steps = {}
    mark = time.perf_counter()
    pipeline.extract(salesforce())
    steps["extract_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    pipeline.normalize()
    steps["normalize_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    pipeline.load()
    steps["load_s"] = time.perf_counter() - mark
    rows = dict(pipeline.last_trace.last_normalize_info.row_counts)
    print(
        json.dumps(
            {
                "steps": {k: round(v, 3) for k, v in steps.items()},
                "work_s": round(time.perf_counter() - started, 3),
                "dlt_rows": {k: v for k, v in rows.items() if not k.startswith("_dlt")},
                "dlt_version": dlt.__version__,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
