"""Decoded HubSpot JSON pages into Arrow record batches, column by column.

Each builder walks a page's records once per column and hands the column list to
Arrow; no row-shaped dicts or SDK models are built on the way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pyarrow as pa

from connectors.hubspot.objects import (
    DEAL_CONTACT_ASSOCIATIONS,
    DEAL_PROPERTY_HISTORY,
    DEAL_STAGES,
    ENGAGEMENT_DEAL_ASSOCIATIONS,
    OWNER_TEAMS,
    OWNERS,
    RECORD_FIELDS,
    RawTable,
)

_TOP_LEVEL = {name for name, _ in RECORD_FIELDS} | {"id"}


def column(values: list, arrow_type: pa.DataType) -> pa.Array:
    """An Arrow column; stray non-string values in a text column keep their text form."""
    try:
        return pa.array(values, type=arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        if arrow_type != pa.string():
            raise
        return pa.array(
            [v if v is None or isinstance(v, str) else str(v) for v in values], arrow_type
        )


def records_batch(records: Sequence[Mapping], table: RawTable) -> pa.RecordBatch:
    """CRM object records (`id`, `properties`, `createdAt`, …) as rows of `table`."""
    arrays = []
    for name, arrow_type in table.columns:
        if name in _TOP_LEVEL:
            values = [r.get(name) for r in records]
            if name == "archived":
                values = [bool(v) for v in values]
        else:
            values = [r["properties"].get(name) for r in records]
        arrays.append(column(values, arrow_type))
    return pa.RecordBatch.from_arrays(arrays, schema=table.arrow_schema)


def history_batch(records: Sequence[Mapping], properties: Iterable[str]) -> pa.RecordBatch:
    """`propertiesWithHistory` of deal records, one row per entry.

    HubSpot lists entries newest first; the row id numbers entries sharing a
    timestamp from the oldest, so it stays stable as later entries are added.
    """
    cols: dict[str, list] = {name: [] for name in DEAL_PROPERTY_HISTORY.column_names}
    for record in records:
        deal_id = record["id"]
        with_history = record.get("propertiesWithHistory") or {}
        for prop in properties:
            seen: dict[str, int] = {}
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
    return _batch(cols, DEAL_PROPERTY_HISTORY)


def owners_batches(owners: Sequence[Mapping]) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """Owners, and their team memberships as a table of their own."""
    cols = {name: [] for name in OWNERS.column_names}
    teams = {name: [] for name in OWNER_TEAMS.column_names}
    for owner in owners:
        for name in OWNERS.column_names:
            value = owner.get(name)
            cols[name].append(
                bool(value) if name == "archived" else None if value is None else str(value)
            )
        for team in owner.get("teams") or []:
            teams["id"].append(f"{owner['id']}:{team.get('id')}")
            teams["owner_id"].append(str(owner["id"]))
            teams["team_id"].append(str(team.get("id")))
            teams["team_name"].append(team.get("name"))
            teams["is_primary"].append(bool(team.get("primary")))
    return _batch(cols, OWNERS), _batch(teams, OWNER_TEAMS)


def stages_batch(pipelines: Sequence[Mapping]) -> pa.RecordBatch:
    """Every stage of every deal pipeline, with its pipeline's columns."""
    cols: dict[str, list] = {name: [] for name in DEAL_STAGES.column_names}
    for pipe in pipelines:
        for stage in pipe.get("stages") or []:
            metadata = stage.get("metadata") or {}
            row = {
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
            for name in DEAL_STAGES.column_names:
                cols[name].append(row[name])
    return _batch(cols, DEAL_STAGES)


def deal_contacts_batch(
    deal_ids: Sequence[str], links: Mapping[str, list[tuple[str, str | None]]]
) -> pa.RecordBatch:
    """One row per deal (possibly with no contacts, so stale links are replaced)."""
    contacts = [
        [{"id": to_id, "label": label} for to_id, label in links.get(deal_id, [])]
        for deal_id in deal_ids
    ]
    return _batch({"deal_id": list(deal_ids), "contacts": contacts}, DEAL_CONTACT_ASSOCIATIONS)


def engagement_deals_batch(
    engagement_type: str, ids: Sequence[str], links: Mapping[str, list[tuple[str, str | None]]]
) -> pa.RecordBatch:
    """One row per engagement with the ids of its deals (possibly none)."""
    return _batch(
        {
            "engagement_id": list(ids),
            "engagement_type": [engagement_type] * len(ids),
            "deal_ids": [[to_id for to_id, _ in links.get(i, [])] for i in ids],
        },
        ENGAGEMENT_DEAL_ASSOCIATIONS,
    )


def _batch(cols: Mapping[str, list], table: RawTable) -> pa.RecordBatch:
    arrays = [column(cols[name], arrow_type) for name, arrow_type in table.columns]
    return pa.RecordBatch.from_arrays(arrays, schema=table.arrow_schema)


def _text(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    # Some portals send metadata booleans/numbers unquoted; keep their JSON text.
    return str(value).lower() if isinstance(value, bool) else str(value)
