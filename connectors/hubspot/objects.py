"""The HubSpot objects Trustgap lands, their properties and raw column types.

This catalog is the contract between the connector (what it asks for), the fake
HubSpot API (what it serves), the demo renderer and dbt staging (what it reads).
Raw tables keep the API's names: an object's top-level fields (`id`,
`createdAt`, `updatedAt`, `archived`, `archivedAt`) and its properties by their
internal names. HubSpot sends every property as a string (or null), and raw keeps
them so: a malformed value stays for quarantine, staging does the typing.

Tables HubSpot has no single endpoint for (deal property history, teams,
associations) are flattened with snake_case names and a synthetic `id` key when
one row per key is needed for incremental upserts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

TEXT = pa.string()
BOOL = pa.bool_()
INT = pa.int64()
TEXT_LIST = pa.list_(pa.string())
LABELLED_IDS = pa.list_(pa.struct([("id", pa.string()), ("label", pa.string())]))

RAW_SCHEMA = "raw_hubspot"
SOURCE = "hubspot"
# Every CRM object's top-level fields, after its properties.
RECORD_FIELDS = (
    ("createdAt", TEXT),
    ("updatedAt", TEXT),
    ("archived", BOOL),
    ("archivedAt", TEXT),
)
# Properties every object has; `hs_lastmodifieddate` drives incremental search and
# `hs_object_id` is the numeric id search sorts and pages on.
COMMON_PROPERTIES = ("hs_object_id", "hs_lastmodifieddate")


@dataclass(frozen=True)
class RawTable:
    """One raw_hubspot table: name, Arrow schema and the key incremental upserts use."""

    name: str
    columns: tuple[tuple[str, pa.DataType], ...]
    key: str = "id"
    description: str = ""

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema(list(self.columns))

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]


@dataclass(frozen=True)
class CrmObject:
    """A CRM object type synced page by page (deals, calls, ...).

    `history` names the properties read with `propertiesWithHistory` (landed in
    `history_table`); `associations` maps the object type whose ids are read with
    the v4 batch association API to the table they land in.
    """

    name: str  # the API's object type, e.g. "deals"
    table: RawTable
    properties: tuple[str, ...]
    history: tuple[str, ...] = ()
    history_table: RawTable | None = None
    associations: dict[str, RawTable] = field(default_factory=dict)
    # Engagements: the activity type canonical models use (call, email, ...).
    engagement_type: str | None = None

    @property
    def cursor_object(self) -> str:
        return self.name


def _object_table(name: str, properties: tuple[str, ...], description: str) -> RawTable:
    columns = (("id", TEXT), *((p, TEXT) for p in properties), *RECORD_FIELDS)
    return RawTable(name, tuple(columns), description=description)


OWNERS = RawTable(
    "owners",
    (
        ("id", TEXT),
        ("userId", TEXT),
        ("userIdIncludingInactive", TEXT),
        ("email", TEXT),
        ("firstName", TEXT),
        ("lastName", TEXT),
        ("type", TEXT),
        *RECORD_FIELDS[:3],
    ),
    description="Owners (users), active and deactivated (archived); `id` is the owner id "
    "deals use, `userId` the user id change history uses.",
)
OWNER_TEAMS = RawTable(
    "owner_teams",
    (
        ("id", TEXT),
        ("owner_id", TEXT),
        ("team_id", TEXT),
        ("team_name", TEXT),
        ("is_primary", BOOL),
    ),
    description="Team memberships of owners (`id` = owner_id:team_id); "
    "`is_primary` marks the owner's primary team.",
)
DEAL_STAGES = RawTable(
    "deal_stages",
    (
        ("id", TEXT),
        ("pipeline_id", TEXT),
        ("pipeline_label", TEXT),
        ("pipeline_display_order", INT),
        ("pipeline_archived", BOOL),
        ("stage_id", TEXT),
        ("label", TEXT),
        ("display_order", INT),
        # Stage metadata arrives as strings: "true"/"false" and "0.2".
        ("metadata_is_closed", TEXT),
        ("metadata_probability", TEXT),
        *RECORD_FIELDS[:3],
    ),
    description="Deal pipelines and their stages (`id` = pipeline_id:stage_id), with "
    "display order and the closed/probability metadata as sent.",
)
DEAL_PROPERTY_HISTORY = RawTable(
    "deal_property_history",
    (
        ("id", TEXT),
        ("deal_id", TEXT),
        ("property", TEXT),
        ("value", TEXT),
        ("timestamp", TEXT),
        ("source_type", TEXT),
        ("source_id", TEXT),
        ("updated_by_user_id", TEXT),
    ),
    description="Every value a tracked deal property held (propertiesWithHistory), one row "
    "per entry; `id` = deal_id:property:timestamp:n.",
)
DEAL_CONTACT_ASSOCIATIONS = RawTable(
    "deal_contact_associations",
    (("deal_id", TEXT), ("contacts", LABELLED_IDS)),
    key="deal_id",
    description="Contacts associated with each deal (v4 associations), with the "
    "association label when there is one.",
)
ENGAGEMENT_DEAL_ASSOCIATIONS = RawTable(
    "engagement_deal_associations",
    (("engagement_id", TEXT), ("engagement_type", TEXT), ("deal_ids", TEXT_LIST)),
    key="engagement_id",
    description="Deals each call, email, meeting, note and task is associated with "
    "(v4 associations; engagement ids are unique across types).",
)

DEAL_PROPERTIES = (
    "dealname",
    "pipeline",
    "dealstage",
    "amount",
    # multi-currency portals: the deal's currency and the amount in the home currency
    "deal_currency_code",
    "amount_in_home_currency",
    "closedate",
    "hubspot_owner_id",
    "hs_next_step",
    "hs_manual_forecast_category",
    "hs_deal_stage_probability",
    "hs_is_closed",
    "hs_is_closed_won",
    "hs_created_by_user_id",
    "notes_last_updated",
    "createdate",
    *COMMON_PROPERTIES,
)
# The key fields whose changes the metrics read (the canonical deal_changes). Stage
# timing comes from dealstage history: the hs_date_entered_* family was retired in 2024.
DEAL_HISTORY = (
    "dealstage",
    "amount",
    "closedate",
    "hubspot_owner_id",
    "hs_next_step",
    "hs_manual_forecast_category",
)

ENGAGEMENT_COMMON = (
    "hs_timestamp",
    "hubspot_owner_id",
    "hs_created_by_user_id",
    "hs_createdate",
    *COMMON_PROPERTIES,
)
ENGAGEMENT_PROPERTIES = {
    "calls": (
        "hs_call_title",
        "hs_call_status",
        "hs_call_direction",
        "hs_call_disposition",
        "hs_call_duration",
    ),
    "emails": ("hs_email_subject", "hs_email_direction", "hs_email_status"),
    "meetings": (
        "hs_meeting_title",
        "hs_meeting_start_time",
        "hs_meeting_end_time",
        "hs_meeting_outcome",
    ),
    # Note bodies are free HTML of any size and no metric reads them.
    "notes": (),
    "tasks": (
        "hs_task_subject",
        "hs_task_status",
        "hs_task_type",
        "hs_task_priority",
        "hs_task_completion_date",
    ),
}
ENGAGEMENT_TYPES = {
    "calls": "call",
    "emails": "email",
    "meetings": "meeting",
    "notes": "note",
    "tasks": "task",
}

DEALS = CrmObject(
    name="deals",
    table=_object_table("deals", DEAL_PROPERTIES, "Deals, current state; archived ones flagged."),
    properties=DEAL_PROPERTIES,
    history=DEAL_HISTORY,
    history_table=DEAL_PROPERTY_HISTORY,
    associations={"contacts": DEAL_CONTACT_ASSOCIATIONS},
)


def _engagement(name: str) -> CrmObject:
    properties = (*ENGAGEMENT_PROPERTIES[name], *ENGAGEMENT_COMMON)
    return CrmObject(
        name=name,
        table=_object_table(
            name, properties, f"HubSpot {name} (engagements); archived ones flagged."
        ),
        properties=properties,
        associations={"deals": ENGAGEMENT_DEAL_ASSOCIATIONS},
        engagement_type=ENGAGEMENT_TYPES[name],
    )


ENGAGEMENTS: tuple[CrmObject, ...] = tuple(_engagement(name) for name in ENGAGEMENT_TYPES)
CRM_OBJECTS: tuple[CrmObject, ...] = (DEALS, *ENGAGEMENTS)
OBJECTS_BY_NAME = {obj.name: obj for obj in CRM_OBJECTS}

TABLES: tuple[RawTable, ...] = (
    OWNERS,
    OWNER_TEAMS,
    DEAL_STAGES,
    DEALS.table,
    DEAL_PROPERTY_HISTORY,
    DEAL_CONTACT_ASSOCIATIONS,
    *(obj.table for obj in ENGAGEMENTS),
    ENGAGEMENT_DEAL_ASSOCIATIONS,
)
TABLES_BY_NAME = {table.name: table for table in TABLES}
