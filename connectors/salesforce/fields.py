"""Which columns an object lands with, from its describe and the catalog.

Catalog fields (``objects.py``) always land, as null when the org lacks them.
Custom ``__c`` fields land on the objects that allow them when configured
(``SALESFORCE_CUSTOM_FIELDS``), typed from describe: booleans stay booleans,
numbers become doubles, everything else (dates included) stays the text the API
sent, as the catalog does. ``compare_with_table`` tells what changed since the
raw table was built: new columns (added in place), vanished ones (kept, null
from now on) and retyped ones (the object is rebuilt).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from connectors.errors import CrmRequestError
from connectors.landing import LOADED_AT
from connectors.salesforce.objects import RAW_SCHEMA, SalesforceObject
from connectors.salesforce.settings import API_NAME, SyncOptions

_NUMBER_TYPES = frozenset({"double", "currency", "percent", "int", "long"})
# Compound and binary fields cannot be selected as one column (and Bulk refuses them).
_SKIPPED_TYPES = frozenset({"address", "location", "base64", "complexvalue"})
_ARROW_SQL = {pa.string(): "VARCHAR", pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN"}


def arrow_type(sf_type: str) -> pa.DataType:
    """The raw column type of a Salesforce field type."""
    if sf_type == "boolean":
        return pa.bool_()
    if sf_type in _NUMBER_TYPES:
        return pa.float64()
    return pa.string()


@dataclass(frozen=True)
class ObjectFields:
    """The columns one object lands with in this run."""

    obj: SalesforceObject
    columns: tuple[tuple[str, pa.DataType], ...]
    # Fields the org has (selected in SOQL), in column order.
    select: tuple[str, ...]
    datetimes: frozenset[str]
    missing: tuple[str, ...] = ()
    # What the org's missing feature fields mean (objects.SalesforceObject.feature_fields).
    absent_features: tuple[str, ...] = ()
    custom: tuple[str, ...] = ()
    absent_custom: tuple[str, ...] = ()

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema(list(self.columns))

    def has(self, name: str) -> bool:
        return name in self.select

    @property
    def has_deleted_flag(self) -> bool:
        return self.has("IsDeleted")


def resolve_fields(obj: SalesforceObject, described: dict, options: SyncOptions) -> ObjectFields:
    """Columns for ``obj`` from its describe result and the custom-field settings."""
    org = {f["name"]: f for f in described.get("fields", [])}
    columns = list(obj.fields)
    select = [name for name, _ in obj.fields if name in org]
    custom = []
    if obj.custom_fields:
        for name, spec in org.items():
            if not name.endswith("__c") or spec.get("type") in _SKIPPED_TYPES:
                continue
            if not API_NAME.fullmatch(name):
                # Salesforce API names are identifiers; anything else must not reach SOQL.
                raise CrmRequestError(
                    f"Salesforce described a field of {obj.name} whose name is not an API "
                    f"name ({name[:80]!r}); it is not queried. Check SALESFORCE_INSTANCE_URL."
                )
            if options.wants_custom(obj.name, name):
                columns.append((name, arrow_type(spec.get("type", "string"))))
                select.append(name)
                custom.append(name)
    found = {name.lower() for name in org}
    absent = tuple(n for n in options.requested_custom(obj.name) if n.lower() not in found)
    return ObjectFields(
        obj=obj,
        columns=tuple(columns),
        select=tuple(select),
        datetimes=frozenset(n for n in select if org[n].get("type") == "datetime"),
        missing=tuple(
            name
            for name, _ in obj.fields
            if name not in org and name not in obj.feature_field_names
        ),
        absent_features=tuple(note for name, note in obj.feature_fields if name not in org),
        custom=tuple(custom),
        absent_custom=absent,
    )


@dataclass(frozen=True)
class TableDrift:
    """How the raw table differs from the columns this run lands."""

    added: tuple[str, ...] = ()
    vanished: tuple[str, ...] = ()
    retyped: tuple[str, ...] = ()


def compare_with_table(con: duckdb.DuckDBPyConnection, fields: ObjectFields) -> TableDrift:
    existing = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [RAW_SCHEMA, fields.obj.table],
        ).fetchall()
    )
    if not existing:
        return TableDrift()
    wanted = {name: _ARROW_SQL[type_] for name, type_ in fields.columns}
    return TableDrift(
        added=tuple(n for n in wanted if n not in existing),
        vanished=tuple(n for n in existing if n not in wanted and n != LOADED_AT),
        retyped=tuple(n for n, t in wanted.items() if n in existing and existing[n] != t),
    )
