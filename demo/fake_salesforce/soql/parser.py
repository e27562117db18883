"""The SOQL grammar: recursive descent from tokens to an unchecked syntax tree."""

from __future__ import annotations

from typing import Any

from demo.fake_salesforce.errors import malformed_query
from demo.fake_salesforce.soql.tokens import (
    KEYWORDS,
    UNSUPPORTED,
    Literal,
    Token,
    tokenize,
    unescape,
)
from demo.fake_salesforce.soql.values import parse_date, parse_instant


class Parser:
    """Recursive descent over the token list; builds an unchecked syntax tree."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        self.pos += 1
        return token

    def unexpected(self) -> Exception:
        token = self.peek()
        if token.kind == "name" and token.text.upper() in UNSUPPORTED:
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
        if token.kind != "name" or token.text.upper() in KEYWORDS | UNSUPPORTED:
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
            value = Literal("string", unescape(raw), raw)
        elif token.kind == "datetime":
            value = Literal("datetime", parse_instant(token.text))
            if value.value is None:
                raise malformed_query(f"invalid datetime literal: '{token.text}'")
        elif token.kind == "date":
            value = Literal("date", parse_date(token.text))
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
