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

from demo.fake_salesforce.soql.query import Query, parse
from demo.fake_salesforce.soql.values import parse_instant

__all__ = ["Query", "parse", "parse_instant"]
