"""The warehouse side of validation: a table's columns and how to read them from DuckDB."""

import duckdb

from expectations.errors import ExpectationTableMissing

# Lower-cased column name -> (column name as the table spells it, DuckDB type).
Columns = dict[str, tuple[str, str]]


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> Columns:
    """Map lower-cased column name to (name, DuckDB type); raise if the table is missing."""
    schema, name = table.split(".")
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() "
        "and lower(table_schema) = lower(?) and lower(table_name) = lower(?) "
        "order by ordinal_position",
        [schema, name],
    ).fetchall()
    if not rows:
        raise ExpectationTableMissing(table)
    return {column.lower(): (column, data_type) for column, data_type in rows}


def value_expr(columns: Columns, column: str) -> str:
    """A column cast to what GX handles fast and exactly on pandas.

    Arrow turns DECIMAL into Python Decimal objects: slow, and never equal to the float a
    YAML suite writes (Decimal('0.1') != 0.1). GX vectorises numeric checks only for
    int64 and float64 (int32 goes through a Python call per row, 4x slower).
    """
    name, data_type = columns[column.lower()]
    quoted = quote(name)
    data_type = data_type.upper()
    if data_type.startswith(("DECIMAL", "HUGEINT", "UHUGEINT", "FLOAT", "REAL")):
        return f"cast({quoted} as double)"
    if data_type in ("TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT", "UINTEGER"):
        return f"cast({quoted} as bigint)"
    return quoted


def select_expr(columns: Columns, column: str) -> str:
    """``value_expr`` named after the column, for a select list."""
    return f"{value_expr(columns, column)} as {quote(column)}"


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
