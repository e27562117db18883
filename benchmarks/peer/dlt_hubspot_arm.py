"""The HubSpot peer arm: the same portal landed in DuckDB by a plain dlt pipeline.

Runs ONLY in the benchmark's own virtualenv (`.bench/dlt-venv`, see `dlt_arm.py`):
the product never imports it.

Written as a data team would from dlt's docs and its HubSpot verified source
(`sources/hubspot` in dlt-hub/verified-sources), which reads the CRM v3 REST API
with plain `requests` (not hubspot-api-client, whose model decoding is far slower:
CRM_APIS.md), one resource per object, `merge` on `id`. Where it departs from the
verified source, it does so to read exactly what Trustgap reads, page for page:

- the objects, properties and page sizes are Trustgap's catalog (the runner passes
  them in the spec): deals 50 per page with `propertiesWithHistory` for the tracked
  properties, engagements 100 per page; owners 500 per page; the deal pipelines;
- every object is listed twice, live then `archived=true`, and archived records land
  flagged in the same table (the verified source reads live records only);
- associations come from the v4 batch read, up to 1,000 ids per call, as
  Trustgap's connector asks (one call per 1,000 records, `after` continuations
  followed); archived records get an empty association row without a call;
- tables and keys are Trustgap's: one row per record, per owner team, per pipeline
  stage, per property-history entry (`deal:property:timestamp:n`) and per record's
  associations, so the runner can compare rows per table across arms.

Tuned as `dlt_arm.py` is (the docs' performance guide): every page is decoded with
orjson into one pyarrow Table per table and yielded as such (dlt's Arrow path:
parquet written in extract, no row-wise normalisation); the objects' resources are
`parallelized=True` (extracted in dlt's thread pool, pages in order within an
object); one `requests.Session` per thread (connection reuse); `merge` on the key
(delete-insert through a staging dataset) for every object table, `replace` for
owners, teams and stages. No `incremental` cursor, as in the verified source's CRM
objects: the list endpoint has no modified-since filter, so a cursor would save no
request (a later run re-lists everything and the merge absorbs it; incremental reads
would need the search API, which Trustgap uses and this arm does not).

`python dlt_hubspot_arm.py SPEC.json` prints one JSON line, as `dlt_arm.py` does.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import dlt
import orjson
import pyarrow as pa
import requests

TEXT = pa.string()
STAGES = pa.schema(
    [
        ("id", TEXT),
        ("pipeline_id", TEXT),
        ("pipeline_label", TEXT),
        ("pipeline_display_order", pa.int64()),
        ("pipeline_archived", pa.bool_()),
        ("stage_id", TEXT),
        ("label", TEXT),
        ("display_order", pa.int64()),
        ("metadata_is_closed", TEXT),
        ("metadata_probability", TEXT),
        ("createdAt", TEXT),
        ("updatedAt", TEXT),
        ("archived", pa.bool_()),
    ]
)
OWNER_FIELDS = ("id", "userId", "userIdIncludingInactive", "email", "firstName", "lastName")
HISTORY_COLUMNS = (
    "id",
    "deal_id",
    "property",
    "value",
    "timestamp",
    "source_type",
    "source_id",
    "updated_by_user_id",
)


class Api:
    """GET/POST against the portal with a bearer token; one Session per thread."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"}
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers.update(self.headers)
        return session

    def get(self, path: str, params: dict) -> dict:
        response = self._session().get(self.base_url + path, params=params, timeout=90)
        response.raise_for_status()
        return orjson.loads(response.content)

    def post(self, path: str, body: dict) -> dict:
        response = self._session().post(
            self.base_url + path,
            data=orjson.dumps(body),
            headers={"Content-Type": "application/json"},
            timeout=90,
        )
        if response.status_code not in (200, 207):  # 207: some ids have no associations
            response.raise_for_status()
        return orjson.loads(response.content)

    def pages(self, path: str, params: dict):
        """Every page of a v3 list (`paging.next.after`)."""
        params = dict(params)
        while True:
            page = self.get(path, params)
            yield page.get("results") or []
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if after is None:
                return
            params["after"] = after


def _table(columns: dict[str, list], schema: pa.Schema | None = None) -> pa.Table:
    if schema is not None:
        return pa.Table.from_pydict(columns, schema=schema)
    return pa.Table.from_pydict({k: pa.array(v, TEXT) for k, v in columns.items()})


def _hints(table: pa.Table, name: str, key: str, disposition: str = "merge"):
    return dlt.mark.with_hints(
        table,
        dlt.mark.make_hints(table_name=name, primary_key=key, write_disposition=disposition),
        create_table_variant=True,
    )


def _records_table(records: list[dict], properties: list[str]) -> pa.Table:
    columns: dict[str, list] = {"id": [r["id"] for r in records]}
    for prop in properties:
        columns[prop] = [r["properties"].get(prop) for r in records]
    for field in ("createdAt", "updatedAt", "archivedAt"):
        columns[field] = [r.get(field) for r in records]
    table = _table(columns)
    return table.append_column("archived", pa.array([bool(r.get("archived")) for r in records]))


def _history_table(records: list[dict], tracked: list[str]) -> pa.Table:
    cols: dict[str, list] = {name: [] for name in HISTORY_COLUMNS}
    for record in records:
        deal_id = record["id"]
        with_history = record.get("propertiesWithHistory") or {}
        for prop in tracked:
            seen: dict[str, int] = {}
            # Newest first on the wire; number same-timestamp entries from the oldest.
            for entry in reversed(with_history.get(prop) or []):
                stamp = entry.get("timestamp")
                n = seen[stamp] = seen.get(stamp, -1) + 1
                user = entry.get("updatedByUserId")
                cols["id"].append(f"{deal_id}:{prop}:{stamp}:{n}")
                cols["deal_id"].append(deal_id)
                cols["property"].append(prop)
                cols["value"].append(entry.get("value"))
                cols["timestamp"].append(stamp)
                cols["source_type"].append(entry.get("sourceType"))
                cols["source_id"].append(entry.get("sourceId"))
                cols["updated_by_user_id"].append(None if user is None else str(user))
    return _table(cols)


def _links(api: Api, from_type: str, to_type: str, ids: list[str]) -> dict[str, list]:
    """Associated (id, label) per record: v4 batch reads of up to 1,000 ids."""
    links: dict[str, list] = {}
    pending = [{"id": i} for i in ids]
    while pending:
        inputs, pending = pending[:1000], pending[1000:]
        page = api.post(
            f"/crm/v4/associations/{from_type}/{to_type}/batch/read", {"inputs": inputs}
        )
        for result in page.get("results") or []:
            from_id = str(result["from"]["id"])
            for target in result.get("to") or []:
                labels = [
                    t["label"] for t in target.get("associationTypes") or [] if t.get("label")
                ]
                links.setdefault(from_id, []).append(
                    (str(target["toObjectId"]), labels[0] if labels else None)
                )
            after = ((result.get("paging") or {}).get("next") or {}).get("after")
            if after:
                pending.append({"id": from_id, "after": after})
    return links


def _association_table(obj: dict, ids: list[str], links: dict[str, list]) -> pa.Table:
    if obj["name"] == "deals":
        contacts = [[{"id": t, "label": label} for t, label in links.get(i, [])] for i in ids]
        return pa.Table.from_pydict(
            {"deal_id": ids, "contacts": contacts},
            schema=pa.schema(
                [
                    ("deal_id", TEXT),
                    ("contacts", pa.list_(pa.struct([("id", TEXT), ("label", TEXT)]))),
                ]
            ),
        )
    return pa.Table.from_pydict(
        {
            "engagement_id": ids,
            "engagement_type": [obj["engagement_type"]] * len(ids),
            "deal_ids": [[t for t, _ in links.get(i, [])] for i in ids],
        },
        schema=pa.schema(
            [("engagement_id", TEXT), ("engagement_type", TEXT), ("deal_ids", pa.list_(TEXT))]
        ),
    )


def _object_resource(api: Api, obj: dict, chunk_records: int):
    properties = obj["properties"]
    params = {"limit": obj["limit"], "properties": ",".join(properties)}
    if obj["history"]:
        params["propertiesWithHistory"] = ",".join(obj["history"])
    path = f"/crm/v3/objects/{obj['name']}"

    def land(records: list[dict], archived: bool):
        ids = [r["id"] for r in records]
        if obj["history"]:
            yield _hints(_history_table(records, obj["history"]), obj["history_table"], "id")
        for to_type, table in obj["associations"].items():
            links = {} if archived else _links(api, obj["name"], to_type, ids)
            key = "deal_id" if obj["name"] == "deals" else "engagement_id"
            yield _hints(_association_table(obj, ids, links), table, key)
        yield _records_table(records, properties)

    @dlt.resource(name=obj["table"], write_disposition="merge", primary_key="id", parallelized=True)
    def crm_object():
        for archived in (False, True):
            chunk: list[dict] = []
            for records in api.pages(path, {**params, "archived": str(archived).lower()}):
                chunk.extend(records)
                # Associations are read for 1,000 records at a time (the API's maximum).
                if len(chunk) >= chunk_records:
                    yield from land(chunk, archived)
                    chunk = []
            if chunk:
                yield from land(chunk, archived)

    return crm_object


@dlt.resource(name="owners", write_disposition="replace", primary_key="id")
def owners(api: Api):
    found: list[dict] = []
    for archived in ("false", "true"):
        for page in api.pages("/crm/v3/owners", {"limit": 500, "archived": archived}):
            found.extend(page)
    columns = {f: [None if o.get(f) is None else str(o[f]) for o in found] for f in OWNER_FIELDS}
    columns["type"] = [o.get("type") for o in found]
    columns["createdAt"] = [o.get("createdAt") for o in found]
    columns["updatedAt"] = [o.get("updatedAt") for o in found]
    table = _table(columns).append_column(
        "archived", pa.array([bool(o.get("archived")) for o in found])
    )
    teams: dict[str, list] = {"id": [], "owner_id": [], "team_id": [], "team_name": []}
    primary = []
    for o in found:
        for team in o.get("teams") or []:
            teams["id"].append(f"{o['id']}:{team.get('id')}")
            teams["owner_id"].append(str(o["id"]))
            teams["team_id"].append(str(team.get("id")))
            teams["team_name"].append(team.get("name"))
            primary.append(bool(team.get("primary")))
    yield table
    yield _hints(
        _table(teams).append_column("is_primary", pa.array(primary, pa.bool_())),
        "owner_teams",
        "id",
        "replace",
    )


@dlt.resource(name="deal_stages", write_disposition="replace", primary_key="id")
def deal_stages(api: Api):
    rows = []
    for pipe in api.get("/crm/v3/pipelines/deals", {}).get("results") or []:
        for stage in pipe.get("stages") or []:
            metadata = stage.get("metadata") or {}
            rows.append(
                {
                    "id": f"{pipe['id']}:{stage['id']}",
                    "pipeline_id": pipe["id"],
                    "pipeline_label": pipe.get("label"),
                    "pipeline_display_order": pipe.get("displayOrder"),
                    "pipeline_archived": bool(pipe.get("archived")),
                    "stage_id": stage["id"],
                    "label": stage.get("label"),
                    "display_order": stage.get("displayOrder"),
                    "metadata_is_closed": _text(metadata.get("isClosed")),
                    "metadata_probability": _text(metadata.get("probability")),
                    "createdAt": stage.get("createdAt"),
                    "updatedAt": stage.get("updatedAt"),
                    "archived": bool(stage.get("archived")),
                }
            )
    yield pa.Table.from_pylist(rows, schema=STAGES)


def _text(value):
    if value is None or isinstance(value, str):
        return value
    return str(value).lower() if isinstance(value, bool) else str(value)


def main(spec_path: str) -> int:
    with open(spec_path) as fh:
        spec = json.load(fh)
    started = time.perf_counter()
    api = Api(spec["url"], spec["token"])

    @dlt.source(name="hubspot")
    def hubspot():
        yield owners(api)
        yield deal_stages(api)
        for obj in spec["objects"]:
            yield _object_resource(api, obj, spec["association_inputs"])

    pipeline = dlt.pipeline(
        pipeline_name="hubspot_arrow",
        pipelines_dir=spec["pipelines_dir"],
        destination=dlt.destinations.duckdb(spec["db"]),
        dataset_name="raw_hubspot",
        progress=None,
    )
    steps = {}
    mark = time.perf_counter()
    pipeline.extract(hubspot())
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
