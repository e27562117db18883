"""The Salesforce objects Trustgap lands, their fields and raw column types.

This catalog is the contract between the connector (what it asks for), the fake
Salesforce API (what it serves) and dbt staging (what it reads). Raw tables keep
the API's field names; dates and datetimes stay as the strings the API sent, so a
malformed value is kept for quarantine instead of being lost at landing, and
staging does the typing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

TEXT = pa.string()
NUMBER = pa.float64()
BOOL = pa.bool_()


@dataclass(frozen=True)
class SalesforceObject:
    """One sObject: its API name, raw table name and typed field list."""

    name: str
    table: str
    fields: tuple[tuple[str, pa.DataType], ...]
    # The field incremental syncs use as a watermark (OpportunityFieldHistory has
    # no SystemModstamp).
    watermark: str = "SystemModstamp"
    # Optional objects may be missing or not queryable in an org (field history
    # tracking off, contact roles unused): the run warns and lands an empty table.
    optional: bool = False
    # Incremental objects are read by watermark window, upserted by Id, and their
    # deletes found (they carry IsDeleted). The small reference objects (users,
    # roles, stages) are re-read whole: one page per run is cheaper than a window
    # query plus a deleted-records call, and exact without an IsDeleted flag.
    incremental: bool = True
    # Objects whose custom (__c) fields land when SALESFORCE_CUSTOM_FIELDS asks.
    custom_fields: bool = False
    # Catalog fields only orgs with a feature have, with what their absence means
    # (CurrencyIsoCode: multi-currency). An org without them lands them as null, and
    # the sync report notes it: that is normal, not a warning.
    feature_fields: tuple[tuple[str, str], ...] = ()
    # What an unavailable optional object means for the metrics, in the sync report.
    when_unavailable: str = "the metrics that need it are null"

    @property
    def feature_field_names(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.feature_fields)

    @property
    def field_names(self) -> list[str]:
        return [name for name, _ in self.fields]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema(list(self.fields))


def _obj(name, table, fields, **kwargs) -> SalesforceObject:
    return SalesforceObject(name=name, table=table, fields=tuple(fields), **kwargs)


_NO_RATES = (
    "a single-currency org needs no rates; in a multi-currency org, deals in a currency "
    "without a rate are quarantined (unknown_currency)"
)
_NO_DATED_RATES = (
    "a single-currency org needs no rates; without advanced currency management, "
    "amounts convert at the CurrencyType rates"
)
# The multi-currency rate objects: read whole each run (a few dozen rows).
CURRENCY_OBJECTS = ("CurrencyType", "DatedConversionRate")

OBJECTS: tuple[SalesforceObject, ...] = (
    _obj(
        "User",
        "user",
        [
            ("Id", TEXT),
            ("Name", TEXT),
            ("Email", TEXT),
            ("Title", TEXT),
            ("IsActive", BOOL),
            ("ManagerId", TEXT),
            ("UserRoleId", TEXT),
            ("CreatedDate", TEXT),
            ("SystemModstamp", TEXT),
        ],
        incremental=False,
    ),
    _obj(
        "UserRole",
        "user_role",
        [("Id", TEXT), ("Name", TEXT), ("ParentRoleId", TEXT), ("SystemModstamp", TEXT)],
        incremental=False,
    ),
    _obj(
        "Account",
        "account",
        [
            ("Id", TEXT),
            ("Name", TEXT),
            ("OwnerId", TEXT),
            ("CreatedDate", TEXT),
            ("SystemModstamp", TEXT),
            ("IsDeleted", BOOL),
        ],
    ),
    _obj(
        "Opportunity",
        "opportunity",
        [
            ("Id", TEXT),
            ("Name", TEXT),
            ("AccountId", TEXT),
            ("OwnerId", TEXT),
            ("StageName", TEXT),
            ("Amount", NUMBER),
            ("CloseDate", TEXT),
            ("Probability", NUMBER),
            ("ForecastCategoryName", TEXT),
            ("NextStep", TEXT),
            ("IsClosed", BOOL),
            ("IsWon", BOOL),
            ("LastActivityDate", TEXT),
            ("CreatedDate", TEXT),
            ("CreatedById", TEXT),
            ("LastModifiedById", TEXT),
            ("SystemModstamp", TEXT),
            ("IsDeleted", BOOL),
            # Multi-currency orgs only: the currency Amount (and its history) is in.
            ("CurrencyIsoCode", TEXT),
        ],
        custom_fields=True,
        feature_fields=(
            (
                "CurrencyIsoCode",
                "single-currency org (no CurrencyIsoCode): amounts are taken as entered",
            ),
        ),
    ),
    _obj(
        "OpportunityStage",
        "opportunity_stage",
        [
            ("Id", TEXT),
            ("ApiName", TEXT),
            ("MasterLabel", TEXT),
            ("SortOrder", NUMBER),
            ("IsActive", BOOL),
            ("IsClosed", BOOL),
            ("IsWon", BOOL),
            ("DefaultProbability", NUMBER),
            ("ForecastCategoryName", TEXT),
            ("SystemModstamp", TEXT),
        ],
        incremental=False,
    ),
    _obj(
        "OpportunityHistory",
        "opportunity_history",
        [
            ("Id", TEXT),
            ("OpportunityId", TEXT),
            ("StageName", TEXT),
            ("Amount", NUMBER),
            ("PrevAmount", NUMBER),
            ("CloseDate", TEXT),
            ("PrevCloseDate", TEXT),
            ("ForecastCategory", TEXT),
            ("CreatedById", TEXT),
            ("CreatedDate", TEXT),
            ("SystemModstamp", TEXT),
            ("IsDeleted", BOOL),
        ],
        optional=True,
    ),
    _obj(
        "OpportunityFieldHistory",
        "opportunity_field_history",
        [
            ("Id", TEXT),
            ("OpportunityId", TEXT),
            ("Field", TEXT),
            ("DataType", TEXT),
            # OldValue/NewValue are anyType in the API; landed as their text form.
            ("OldValue", TEXT),
            ("NewValue", TEXT),
            ("CreatedById", TEXT),
            ("CreatedDate", TEXT),
            ("IsDeleted", BOOL),
        ],
        watermark="CreatedDate",
        optional=True,
    ),
    _obj(
        "Task",
        "task",
        [
            ("Id", TEXT),
            ("WhatId", TEXT),
            ("WhoId", TEXT),
            ("OwnerId", TEXT),
            ("CreatedById", TEXT),
            ("Subject", TEXT),
            ("ActivityDate", TEXT),
            ("Status", TEXT),
            ("IsClosed", BOOL),
            ("Type", TEXT),
            ("TaskSubtype", TEXT),
            ("CreatedDate", TEXT),
            ("SystemModstamp", TEXT),
            ("IsDeleted", BOOL),
        ],
        custom_fields=True,
    ),
    _obj(
        "Event",
        "event",
        [
            ("Id", TEXT),
            ("WhatId", TEXT),
            ("WhoId", TEXT),
            ("OwnerId", TEXT),
            ("CreatedById", TEXT),
            ("Subject", TEXT),
            ("ActivityDateTime", TEXT),
            ("Type", TEXT),
            ("EventSubtype", TEXT),
            ("CreatedDate", TEXT),
            ("SystemModstamp", TEXT),
            ("IsDeleted", BOOL),
        ],
        custom_fields=True,
    ),
    _obj(
        "OpportunityContactRole",
        "opportunity_contact_role",
        [
            ("Id", TEXT),
            ("OpportunityId", TEXT),
            ("ContactId", TEXT),
            ("Role", TEXT),
            ("IsPrimary", BOOL),
            ("CreatedDate", TEXT),
            ("SystemModstamp", TEXT),
            ("IsDeleted", BOOL),
        ],
        optional=True,
    ),
    # Multi-currency orgs: one row per currency; ConversionRate is units of that
    # currency per one unit of the corporate currency (IsCorporate).
    _obj(
        "CurrencyType",
        "currency_type",
        [
            ("Id", TEXT),
            ("IsoCode", TEXT),
            ("ConversionRate", NUMBER),
            ("DecimalPlaces", NUMBER),
            ("IsCorporate", BOOL),
            ("IsActive", BOOL),
            ("SystemModstamp", TEXT),
        ],
        incremental=False,
        optional=True,
        when_unavailable=_NO_RATES,
    ),
    # Advanced currency management: rates valid over [StartDate, NextStartDate).
    _obj(
        "DatedConversionRate",
        "dated_conversion_rate",
        [
            ("Id", TEXT),
            ("IsoCode", TEXT),
            ("ConversionRate", NUMBER),
            ("StartDate", TEXT),
            ("NextStartDate", TEXT),
            ("SystemModstamp", TEXT),
        ],
        incremental=False,
        optional=True,
        when_unavailable=_NO_DATED_RATES,
    ),
)

OBJECTS_BY_NAME = {obj.name: obj for obj in OBJECTS}
RAW_SCHEMA = "raw_salesforce"
