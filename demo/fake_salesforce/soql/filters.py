"""WHERE clauses checked against the object's schema and compiled to predicates.

A filter value of the wrong type is an INVALID_FIELD error exactly where
Salesforce would reject it; ``!=`` and ``NOT IN`` match nulls, as in SOQL.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from demo.fake_salesforce.errors import invalid_field, malformed_query, no_such_column
from demo.fake_salesforce.schema import (
    BOOLEAN_TYPES,
    DATE_TYPES,
    DATETIME_TYPES,
    NUMBER_TYPES,
    FieldSpec,
    ObjectSchema,
)
from demo.fake_salesforce.soql.tokens import Literal, like_regex
from demo.fake_salesforce.soql.values import Record, family

Predicate = Callable[[Record], bool]


_COMPARE = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def resolve(schema: ObjectSchema, name: str) -> FieldSpec:
    spec = schema.field(name)
    if spec is None:
        raise no_such_column(name, schema.name)
    return spec


def check_literal(spec: FieldSpec, literal: Literal) -> None:
    kind, _, type_name = family(spec)
    if literal.kind in (kind, "null"):
        return
    quoting = "be" if kind == "string" else "not be"
    raise invalid_field(
        f"value of filter criterion for field '{spec.name}' must be of type {type_name} "
        f"and should {quoting} enclosed in quotes"
    )


def literal_key(spec: FieldSpec, literal: Literal) -> Any:
    """A checked literal in the form the field's values are normalised to."""
    if literal.kind == "string":
        _, normalise, _ = family(spec)
        return normalise(literal.value)
    return literal.value


def compile_where(node: tuple, schema: ObjectSchema) -> Predicate:
    kind = node[0]
    if kind in ("and", "or"):
        parts = [compile_where(child, schema) for child in node[1]]
        combine = all if kind == "and" else any
        return lambda record: combine(part(record) for part in parts)
    if kind == "not":
        inner = compile_where(node[1], schema)
        return lambda record: not inner(record)

    spec = resolve(schema, node[1])
    name = spec.name
    _, normalise, _ = family(spec)
    if kind == "like":
        if spec.type in NUMBER_TYPES | BOOLEAN_TYPES | DATE_TYPES | DATETIME_TYPES:
            raise invalid_field(f"invalid operator on field '{name}': LIKE needs a text field")
        regex = like_regex(node[2].raw)
        return lambda record: (
            isinstance(record.get(name), str) and bool(regex.fullmatch(record[name]))
        )
    if kind == "in":
        literals, negated = node[2], node[3]
        for literal in literals:
            check_literal(spec, literal)
        wanted = {literal_key(spec, lit) for lit in literals if lit.kind != "null"}
        wants_null = any(lit.kind == "null" for lit in literals)

        def is_in(record: Record) -> bool:
            raw = record.get(name)
            return wants_null if raw is None else normalise(raw) in wanted

        return (lambda record: not is_in(record)) if negated else is_in

    op, literal = node[2], node[3]
    check_literal(spec, literal)
    if literal.kind == "null":
        if op not in ("=", "!="):
            raise malformed_query(f"invalid operator '{op}' for a null comparison")
        is_null = op == "="
        return lambda record: (record.get(name) is None) == is_null
    target = literal_key(spec, literal)
    compare = _COMPARE[op]
    if op == "!=":
        # SOQL's != matches rows where the field is null.
        def differs(record: Record) -> bool:
            value = normalise(record.get(name))
            return value is None or value != target

        return differs

    def matches(record: Record) -> bool:
        value = normalise(record.get(name))
        return value is not None and compare(value, target)

    return matches
