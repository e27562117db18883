"""SOQL text to tokens and literals: the lexer, string escapes and LIKE patterns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from demo.fake_salesforce.errors import malformed_query

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

ESCAPES = {
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

KEYWORDS = frozenset(
    {
        *("SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY"),
        *("ASC", "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "TRUE", "FALSE", "NULL"),
    }
)

UNSUPPORTED = frozenset(
    {
        *("GROUP", "HAVING", "WITH", "FOR", "USING", "TYPEOF", "FORMAT", "INCLUDES"),
        *("EXCLUDES", "TOLABEL", "CONVERTCURRENCY"),
    }
)


@dataclass(frozen=True)
class Token:
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


def tokenize(text: str) -> list[Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind == "ws":
            continue
        if kind == "other" and match.group() == "'":
            raise malformed_query("unterminated string literal")
        tokens.append(Token(kind, match.group()))
    tokens.append(Token("eof", "<EOF>"))
    return tokens


def unescape(raw: str) -> str:
    out = []
    chars = iter(raw)
    for char in chars:
        if char != "\\":
            out.append(char)
            continue
        escaped = next(chars, "")
        if escaped.lower() not in ESCAPES:
            raise malformed_query(
                f"Invalid string literal '{raw}'. Illegal escape sequence '\\{escaped}'"
            )
        out.append(ESCAPES[escaped.lower()])
    return "".join(out)


def like_regex(raw: str) -> re.Pattern[str]:
    parts = []
    chars = iter(raw)
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            parts.append(re.escape(ESCAPES.get(escaped.lower(), escaped)))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)
