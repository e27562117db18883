"""The SOQL subset the fake Salesforce API understands.

Supported::

    SELECT f1, f2, ... | COUNT()
    FROM Object
    [WHERE cond ((AND | OR) cond)*]        -- parentheses and NOT; mixing AND and OR
                                            -- on one level needs parentheses, as in SOQL
    [ORDER BY f [ASC | DESC] [NULLS FIRST | LAST], ...]
    [LIMIT n] [OFFSET n]

    cond := Field (= | != | < | <= | > | >=) literal
          | Field [NOT] IN (literal, ...)
          | Field LIKE 'pattern'

Literals: 'quoted strings' with backslash escapes, numbers, true, false, null,
unquoted dates (2024-01-02) and datetimes (2024-01-02T03:04:05Z, .000Z, +0000,
+00:00, -05:00). Keywords, object and field names are case-insensitive; results
use the API names. Comparisons follow SOQL rather than SQL: text compares
case-insensitively (Ids exactly), datetimes compare as instants, and ``!=`` /
``NOT IN`` match nulls. A filter value of the wrong type is an INVALID_FIELD error
exactly where Salesforce would reject it (e.g. a quoted datetime), so connector
bugs surface against the fake too. Anything outside the subset is answered with
MALFORMED_QUERY naming what the fake does not support.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from demo.fake_salesforce.errors import (
    invalid_field,
    invalid_type,
    malformed_query,
    no_such_column,
)
from demo.fake_salesforce.schema import (
    BOOLEAN_TYPES,
    DATE_TYPES,
    DATETIME_TYPES,
    ID_TYPES,
    NUMBER_TYPES,
    FieldSpec,
    ObjectSchema,
)

Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
    |(?P<string>'(?:[^'\\]|\\.)*')
    |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2}))
    |(?P<date>\d{4}-\d{2}-\d{2})
    |(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))
    |(?P<op>!=|<=|>=|=|<|>)
    |(?P<punct>[(),])
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    |(?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
    "_": "_",
    "%": "%",
}
_KEYWORDS = frozenset(
    {
        *("SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY"),
        *("ASC", "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "TRUE", "FALSE", "NULL"),
    }
)
_UNSUPPORTED = frozenset(
    {
        *("GROUP", "HAVING", "WITH", "FOR", "USING", "TYPEOF", "FORMAT", "INCLUDES"),
        *("EXCLUDES", "TOLABEL", "CONVERTCURRENCY"),
    }
)
_COMPARE = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str

    def is_word(self, *words: str) -> bool:
        return self.kind == "name" and self.text.upper() in words


@dataclass(frozen=True)
class Literal:
    """A filter value: kind is string, datetime, date, number, boolean or null."""

    kind: str
    value: Any
    # The text between the quotes, escapes intact: LIKE needs to tell \% from %.
    raw: str = ""


@dataclass(frozen=True)
class OrderItem:
    field: FieldSpec
    descending: bool
    nulls_last: bool


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

    def run(self, records: Sequence[Record], *, include_deleted: bool) -> list[Record]:
        """The matching records, sorted and sliced; a new list (a snapshot)."""
        rows = list(records)
        if self.has_is_deleted and not include_deleted:
            rows = [r for r in rows if not r.get("IsDeleted")]
        if self.where is not None:
            rows = list(filter(self.where, rows))
        # Stable sorts from the last key to the first give a multi-key order with
        # a direction per key.
        for item in reversed(self.order_by):
            rows.sort(key=_sort_key(item), reverse=item.descending)
        end = None if self.limit is None else self.offset + self.limit
        return rows[self.offset : end] if self.offset or end is not None else rows


def parse_instant(value: Any) -> datetime | None:
    """A Salesforce datetime string as an aware datetime; None when unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _boolean(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value.casefold() if isinstance(value, str) else None


def _exact(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _family(spec: FieldSpec) -> tuple[str, Callable[[Any], Any], str]:
    """How a field's values compare: (literal kind, normaliser, type name for errors)."""
    if spec.type in DATETIME_TYPES:
        return "datetime", parse_instant, "dateTime"
    if spec.type in DATE_TYPES:
        return "date", _parse_date, "date"
    if spec.type in NUMBER_TYPES:
        return "number", _number, "double"
    if spec.type in BOOLEAN_TYPES:
        return "boolean", _boolean, "boolean"
    if spec.type in ID_TYPES:
        return "string", _exact, "string"
    return "string", _text, "string"


def _sort_key(item: OrderItem) -> Callable[[Record], tuple]:
    _, normalise, _ = _family(item.field)
    name = item.field.name
    # Nulls sort first ascending and last descending unless NULLS says otherwise;
    # with reverse=True the smallest rank ends up last.
    null_rank = 2 if item.nulls_last != item.descending else 0

    def key(record: Record) -> tuple:
        value = normalise(record.get(name))
        return (null_rank,) if value is None else (1, value)

    return key


def tokenize(text: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind == "ws":
            continue
        if kind == "other" and match.group() == "'":
            raise malformed_query("unterminated string literal")
        tokens.append(_Token(kind, match.group()))
    tokens.append(_Token("eof", "<EOF>"))
    return tokens


def _unescape(raw: str) -> str:
    out = []
    chars = iter(raw)
    for char in chars:
        if char != "\\":
            out.append(char)
            continue
        escaped = next(chars, "")
        if escaped.lower() not in _ESCAPES:
            raise malformed_query(
                f"Invalid string literal '{raw}'. Illegal escape sequence '\\{escaped}'"
            )
        out.append(_ESCAPES[escaped.lower()])
    return "".join(out)


def _like_regex(raw: str) -> re.Pattern[str]:
    parts = []
    chars = iter(raw)
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            parts.append(re.escape(_ESCAPES.get(escaped.lower(), escaped)))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


class _Parser:
    """Recursive descent over the token list; builds an unchecked syntax tree."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.peek()
        self.pos += 1
        return token

    def unexpected(self) -> Exception:
        token = self.peek()
        if token.kind == "name" and token.text.upper() in _UNSUPPORTED:
            return malformed_query(
                f"'{token.text}' is not supported by the fake Salesforce API's SOQL subset"
            )
        return malformed_query(f"unexpected token: '{token.text}'")

    def accept_word(self, *words: str) -> str | None:
        if self.peek().is_word(*words):
            return self.advance().text.upper()
        return None

    def expect_word(self, word: str) -> None:
        if not self.accept_word(word):
            raise self.unexpected()

    def accept_punct(self, punct: str) -> bool:
        if self.peek().kind == "punct" and self.peek().text == punct:
            self.pos += 1
            return True
        return False

    def expect_punct(self, punct: str) -> None:
        if not self.accept_punct(punct):
            raise self.unexpected()

    def identifier(self) -> str:
        token = self.peek()
        if token.kind != "name" or token.text.upper() in _KEYWORDS | _UNSUPPORTED:
            raise self.unexpected()
        if "." in token.text:
            raise malformed_query(
                f"relationship field '{token.text}' is not supported by the fake Salesforce API"
            )
        return self.advance().text

    def integer(self) -> int:
        token = self.peek()
        if token.kind != "number" or not token.text.isdigit():
            raise self.unexpected()
        return int(self.advance().text)

    def query(self) -> dict[str, Any]:
        self.expect_word("SELECT")
        tree: dict[str, Any] = {"fields": [], "count": False, "where": None, "order": []}
        if self.peek().is_word("COUNT") and self.peek(1).text == "(":
            self.pos += 2
            if not self.accept_punct(")"):
                raise malformed_query(
                    "aggregate functions other than COUNT() are not supported by the fake "
                    "Salesforce API"
                )
            tree["count"] = True
        else:
            if self.peek().text == "(":
                raise malformed_query("subqueries are not supported by the fake Salesforce API")
            tree["fields"].append(self.identifier())
            while self.accept_punct(","):
                tree["fields"].append(self.identifier())
        self.expect_word("FROM")
        tree["object"] = self.identifier()
        if self.accept_word("WHERE"):
            tree["where"] = self.condition()
        if self.accept_word("ORDER"):
            self.expect_word("BY")
            tree["order"].append(self.order_item())
            while self.accept_punct(","):
                tree["order"].append(self.order_item())
        tree["limit"] = self.integer() if self.accept_word("LIMIT") else None
        tree["offset"] = self.integer() if self.accept_word("OFFSET") else 0
        if self.peek().kind != "eof":
            raise self.unexpected()
        return tree

    def order_item(self) -> tuple[str, bool, bool | None]:
        field = self.identifier()
        descending = self.accept_word("ASC", "DESC") == "DESC"
        nulls_last = None
        if self.accept_word("NULLS"):
            word = self.accept_word("FIRST", "LAST")
            if word is None:
                raise self.unexpected()
            nulls_last = word == "LAST"
        return field, descending, nulls_last

    def condition(self) -> tuple:
        terms = [self.term()]
        joiner = None
        while word := self.accept_word("AND", "OR"):
            if joiner is not None and word != joiner:
                # SOQL refuses to guess precedence between AND and OR.
                self.pos -= 1
                raise self.unexpected()
            joiner = word
            terms.append(self.term())
        return terms[0] if joiner is None else (joiner.lower(), terms)

    def term(self) -> tuple:
        if self.accept_word("NOT"):
            return ("not", self.term())
        if self.accept_punct("("):
            inner = self.condition()
            self.expect_punct(")")
            return inner
        field = self.identifier()
        if self.accept_word("NOT"):
            self.expect_word("IN")
            return ("in", field, self.literal_list(), True)
        if self.accept_word("IN"):
            return ("in", field, self.literal_list(), False)
        if self.accept_word("LIKE"):
            pattern = self.literal()
            if pattern.kind != "string":
                raise malformed_query("LIKE needs a quoted string pattern")
            return ("like", field, pattern)
        if self.peek().kind == "op":
            op = self.advance().text
            return ("cmp", field, op, self.literal())
        raise self.unexpected()

    def literal_list(self) -> list[Literal]:
        self.expect_punct("(")
        values = [self.literal()]
        while self.accept_punct(","):
            values.append(self.literal())
        self.expect_punct(")")
        return values

    def literal(self) -> Literal:
        token = self.peek()
        if token.kind == "string":
            raw = token.text[1:-1]
            value = Literal("string", _unescape(raw), raw)
        elif token.kind == "datetime":
            value = Literal("datetime", parse_instant(token.text))
            if value.value is None:
                raise malformed_query(f"invalid datetime literal: '{token.text}'")
        elif token.kind == "date":
            value = Literal("date", _parse_date(token.text))
            if value.value is None:
                raise malformed_query(f"invalid date literal: '{token.text}'")
        elif token.kind == "number":
            number = float(token.text)
            value = Literal("number", int(number) if number.is_integer() else number)
        elif token.is_word("TRUE", "FALSE"):
            value = Literal("boolean", token.text.upper() == "TRUE")
        elif token.is_word("NULL"):
            value = Literal("null", None)
        else:
            raise self.unexpected()
        self.pos += 1
        return value


def _resolve(schema: ObjectSchema, name: str) -> FieldSpec:
    spec = schema.field(name)
    if spec is None:
        raise no_such_column(name, schema.name)
    return spec


def _check_literal(spec: FieldSpec, literal: Literal) -> None:
    kind, _, type_name = _family(spec)
    if literal.kind in (kind, "null"):
        return
    quoting = "be" if kind == "string" else "not be"
    raise invalid_field(
        f"value of filter criterion for field '{spec.name}' must be of type {type_name} "
        f"and should {quoting} enclosed in quotes"
    )


def _literal_key(spec: FieldSpec, literal: Literal) -> Any:
    """A checked literal in the form the field's values are normalised to."""
    if literal.kind == "string":
        _, normalise, _ = _family(spec)
        return normalise(literal.value)
    return literal.value


def _compile(node: tuple, schema: ObjectSchema) -> Predicate:
    kind = node[0]
    if kind in ("and", "or"):
        parts = [_compile(child, schema) for child in node[1]]
        combine = all if kind == "and" else any
        return lambda record: combine(part(record) for part in parts)
    if kind == "not":
        inner = _compile(node[1], schema)
        return lambda record: not inner(record)

    spec = _resolve(schema, node[1])
    name = spec.name
    _, normalise, _ = _family(spec)
    if kind == "like":
        if spec.type in NUMBER_TYPES | BOOLEAN_TYPES | DATE_TYPES | DATETIME_TYPES:
            raise invalid_field(f"invalid operator on field '{name}': LIKE needs a text field")
        regex = _like_regex(node[2].raw)
        return lambda record: (
            isinstance(record.get(name), str) and bool(regex.fullmatch(record[name]))
        )
    if kind == "in":
        literals, negated = node[2], node[3]
        for literal in literals:
            _check_literal(spec, literal)
        wanted = {_literal_key(spec, lit) for lit in literals if lit.kind != "null"}
        wants_null = any(lit.kind == "null" for lit in literals)

        def is_in(record: Record) -> bool:
            raw = record.get(name)
            return wants_null if raw is None else normalise(raw) in wanted

        return (lambda record: not is_in(record)) if negated else is_in

    op, literal = node[2], node[3]
    _check_literal(spec, literal)
    if literal.kind == "null":
        if op not in ("=", "!="):
            raise malformed_query(f"invalid operator '{op}' for a null comparison")
        is_null = op == "="
        return lambda record: (record.get(name) is None) == is_null
    target = _literal_key(spec, literal)
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


def parse(text: str, schemas: Mapping[str, ObjectSchema]) -> Query:
    """Parse and check one SOQL statement against the org's objects.

    Raises ``SalesforceApiError`` (MALFORMED_QUERY, INVALID_TYPE, INVALID_FIELD)
    with the status and wording the real API uses.
    """
    if not text or not text.strip():
        raise malformed_query("A query string has to be specified")
    tree = _Parser(text).query()
    by_lower = {name.lower(): schema for name, schema in schemas.items()}
    schema = by_lower.get(tree["object"].lower())
    if schema is None:
        raise invalid_type(tree["object"])
    fields: list[str] = []
    for name in tree["fields"]:
        canonical = _resolve(schema, name).name
        if canonical in fields:
            raise malformed_query(f"duplicate field selected: {canonical}")
        fields.append(canonical)
    order = tuple(
        OrderItem(_resolve(schema, name), descending, descending if nulls is None else nulls)
        for name, descending, nulls in tree["order"]
    )
    return Query(
        object_name=schema.name,
        fields=tuple(fields),
        count_only=tree["count"],
        where=_compile(tree["where"], schema) if tree["where"] else None,
        order_by=order,
        limit=tree["limit"],
        offset=tree["offset"],
        has_is_deleted=schema.has("IsDeleted"),
    )
