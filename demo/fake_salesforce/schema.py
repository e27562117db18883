"""What the fake org knows about each sObject: its fields and their API types.

Types come from the connector's field catalog (``connectors.salesforce.objects``)
refined by field name, because the catalog lands dates and datetimes as text
while describe and SOQL need the real Salesforce type. Keys a record carries
beyond the catalog (custom fields) and objects outside it get a type inferred
from their values, so a fixture can add them without touching the catalog.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from connectors.salesforce.objects import OBJECTS_BY_NAME

# Salesforce field types grouped by how SOQL compares them.
DATETIME_TYPES = frozenset({"datetime"})
DATE_TYPES = frozenset({"date"})
BOOLEAN_TYPES = frozenset({"boolean"})
NUMBER_TYPES = frozenset({"double", "currency", "percent", "int"})
# Ids compare exactly; other text compares case-insensitively, as SOQL does.
ID_TYPES = frozenset({"id", "reference"})

KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "OpportunityHistory": "008",
    "OpportunityFieldHistory": "017",
    "Lead": "00Q",
    "UserRole": "00E",
    "OpportunityContactRole": "00K",
    "Task": "00T",
    "Event": "00U",
    "OpportunityStage": "01J",
    "CurrencyType": "02Y",
    "DatedConversionRate": "04w",
}

_DATETIME_FIELDS = frozenset(
    {"CreatedDate", "LastModifiedDate", "SystemModstamp", "ActivityDateTime", "LastLoginDate"}
)
_PICKLIST_FIELDS = frozenset(
    {
        "StageName",
        "ForecastCategoryName",
        "ForecastCategory",
        "Status",
        "Type",
        "TaskSubtype",
        "EventSubtype",
        "Role",
        "Field",
        "DataType",
        "CurrencyIsoCode",
        "IsoCode",
    }
)
_NUMBER_FIELDS = {
    "Amount": "currency",
    "PrevAmount": "currency",
    "Probability": "percent",
    "DefaultProbability": "percent",
    "SortOrder": "int",
    "DecimalPlaces": "int",
}
_REFERENCE_TO = {
    "OwnerId": ["User"],
    "ManagerId": ["User"],
    "CreatedById": ["User"],
    "LastModifiedById": ["User"],
    "UserRoleId": ["UserRole"],
    "ParentRoleId": ["UserRole"],
    "AccountId": ["Account"],
    "OpportunityId": ["Opportunity"],
    "ContactId": ["Contact"],
    "WhatId": ["Account", "Opportunity"],
    "WhoId": ["Contact", "Lead"],
}
_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "int": "xsd:int",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "anyType": "xsd:anyType",
}
_DATETIME_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_DATE_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Salesforce never lets these be null.
_NOT_NILLABLE = frozenset({"Id", "CreatedDate", "CreatedById", "SystemModstamp", "Name"})
_MAX_PICKLIST_VALUES = 1000


@dataclass(frozen=True)
class FieldSpec:
    """One field as describe reports it."""

    name: str
    type: str
    custom: bool = False

    @property
    def label(self) -> str:
        base = self.name.removesuffix("__c")
        if base.endswith("Id") and base != "Id":
            base = base[:-2] + " ID"
        return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", base).replace("_", " ")

    @property
    def nillable(self) -> bool:
        return self.type != "boolean" and self.name not in _NOT_NILLABLE

    def describe(self, picklist_values: list[str]) -> dict[str, Any]:
        length = {"id": 18, "reference": 18, "textarea": 32000}.get(self.type, 255)
        is_text = self.type not in NUMBER_TYPES | BOOLEAN_TYPES | DATE_TYPES | DATETIME_TYPES
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "soapType": _SOAP_TYPES.get(self.type, "xsd:string"),
            "length": length if is_text else 0,
            "byteLength": length * 3 if is_text else 0,
            "precision": {"currency": 18, "double": 18, "percent": 3}.get(self.type, 0),
            "scale": 2 if self.type == "currency" else 0,
            "digits": 9 if self.type == "int" else 0,
            "nillable": self.nillable,
            "custom": self.custom,
            "calculated": False,
            "createable": self.name != "Id",
            "updateable": self.name != "Id",
            "filterable": True,
            "sortable": self.type not in ("textarea", "anyType"),
            "groupable": self.type not in ("textarea", "anyType", "double", "currency", "percent"),
            "idLookup": self.name == "Id",
            "unique": False,
            "externalId": False,
            "defaultedOnCreate": self.name in _NOT_NILLABLE or self.type == "boolean",
            "referenceTo": _REFERENCE_TO.get(self.name, []) if self.type == "reference" else [],
            "relationshipName": (
                self.name[:-2] if self.type == "reference" and self.name.endswith("Id") else None
            ),
            "picklistValues": [
                {"active": True, "defaultValue": False, "label": v, "value": v, "validFor": None}
                for v in picklist_values
            ],
        }


def _catalog_type(name: str, arrow_type: pa.DataType) -> str:
    if name == "Id":
        return "id"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_floating(arrow_type) or pa.types.is_integer(arrow_type):
        return _NUMBER_FIELDS.get(name, "double")
    if name in _DATETIME_FIELDS:
        return "datetime"
    if name.endswith("Date"):
        return "date"
    if name.endswith("Id"):
        return "reference"
    if name in ("OldValue", "NewValue"):
        return "anyType"
    if name == "Email":
        return "email"
    if name in _PICKLIST_FIELDS:
        return "picklist"
    return "string"


def _inferred_type(name: str, value: Any) -> str:
    if name == "Id":
        return "id"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "double"
    if isinstance(value, str) and _DATETIME_VALUE.match(value):
        return "datetime"
    if isinstance(value, str) and _DATE_VALUE.match(value):
        return "date"
    if name.endswith("Id"):
        return "reference"
    return "string"


class ObjectSchema:
    """An sObject's fields, looked up by name case-insensitively as SOQL does."""

    def __init__(self, name: str, fields: Iterable[FieldSpec], *, custom: bool = False) -> None:
        self.name = name
        self.custom = custom
        self.fields = tuple(fields)
        self._by_lower = {f.name.lower(): f for f in self.fields}

    @classmethod
    def from_records(cls, name: str, records: list[Mapping[str, Any]]) -> ObjectSchema:
        """Catalog fields first, then any other keys the records carry."""
        catalog = OBJECTS_BY_NAME.get(name)
        fields = []
        if catalog:
            # A feature's fields (CurrencyIsoCode) exist only in orgs whose records carry them.
            carried = set().union(*records) if records else set()
            fields = [
                FieldSpec(n, _catalog_type(n, t))
                for n, t in catalog.fields
                if n not in catalog.feature_field_names or n in carried
            ]
        known = {f.name for f in fields}
        extra = sorted(set().union(*records) - known) if records else []
        if extra:
            first_values: dict[str, Any] = {}
            for record in records:
                for key in extra:
                    if key not in first_values and record.get(key) is not None:
                        first_values[key] = record[key]
                if len(first_values) == len(extra):
                    break
            fields += [
                FieldSpec(key, _inferred_type(key, first_values.get(key)), key.endswith("__c"))
                for key in extra
            ]
        if not any(f.name == "Id" for f in fields):
            fields.insert(0, FieldSpec("Id", "id"))
        return cls(name, fields, custom=name.endswith("__c"))

    def field(self, name: str) -> FieldSpec | None:
        return self._by_lower.get(name.lower())

    def has(self, name: str) -> bool:
        return name.lower() in self._by_lower

    @property
    def key_prefix(self) -> str | None:
        return KEY_PREFIXES.get(self.name)

    @property
    def label(self) -> str:
        return FieldSpec(self.name, "").label

    def urls(self, version: str) -> dict[str, str]:
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {
            "sobject": base,
            "describe": f"{base}/describe",
            "rowTemplate": f"{base}/{{ID}}",
        }

    def global_entry(self, version: str) -> dict[str, Any]:
        """This object's entry in describeGlobal (``GET /sobjects/``)."""
        return {
            "name": self.name,
            "label": self.label,
            "labelPlural": self.label + "s",
            "keyPrefix": self.key_prefix,
            "custom": self.custom,
            "customSetting": False,
            "activateable": False,
            "createable": True,
            "updateable": True,
            "deletable": True,
            "undeletable": True,
            "mergeable": False,
            "queryable": True,
            "retrieveable": True,
            "searchable": True,
            "triggerable": True,
            "layoutable": True,
            "replicateable": True,
            "deprecatedAndHidden": False,
            "feedEnabled": False,
            "urls": self.urls(version),
        }

    def describe(self, version: str, records: list[Mapping[str, Any]]) -> dict[str, Any]:
        """The full describe (``GET /sobjects/{name}/describe/``)."""
        # A picklist's values: the first distinct ones in record order. One C-level
        # pass per field (dict.fromkeys keeps first-seen order), not a Python loop
        # over every record: describe runs once per object on every sync.
        picklists = {
            f.name: [v for v in _distinct(records, f.name) if v is not None][:_MAX_PICKLIST_VALUES]
            for f in self.fields
            if f.type == "picklist"
        }
        return {
            **self.global_entry(version),
            "fields": [f.describe(picklists.get(f.name, [])) for f in self.fields],
            "childRelationships": [],
            "recordTypeInfos": [],
        }


def _distinct(records: list[Mapping[str, Any]], name: str) -> dict[Any, None]:
    """The distinct values of one field, in the order they first appear."""
    if set(map(type, records)) <= {dict}:
        return dict.fromkeys(map(dict.get, records, itertools.repeat(name, len(records))))
    return dict.fromkeys(record.get(name) for record in records)
