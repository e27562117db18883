"""A content fingerprint per mart: row count and a hash of the rows, order-free.

Refactors must not change a single published number. `python -m tests.mart_fingerprints
WAREHOUSE [OUT.json]` prints (or writes) the fingerprints of a published warehouse;
`tests/test_behaviour_preserved.py` compares the tiny demo's against the recorded ones.
Doubles are rounded to 9 significant digits so that the last bit of a parallel sum
cannot flip a hash.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import duckdb

# What BI reads: every table in these schemas is fingerprinted. Views are not: the
# one mart view, marts.kpi_catalog, is marts.kpi_catalog_as_of plus published_at and
# freshness computed when it is read, which differ on every read.
SCHEMAS = ("marts", "quarantine")
# Columns that say when the run happened, not what it computed: the demo lands its
# raw data at the wall-clock time, so these differ on every run.
RUN_TIME_COLUMNS = {"marts.kpi_catalog_as_of": {"source_last_loaded_at"}}


def _column_expression(name: str, data_type: str) -> str:
    quoted = f'"{name}"'
    if data_type in ("DOUBLE", "FLOAT", "REAL"):
        # 9 significant digits: stable across aggregation order, exact for what BI shows.
        return f"case when {quoted} is null then null else printf('%.9g', {quoted}) end"
    return f"cast({quoted} as varchar)"


def fingerprints(warehouse: Path) -> dict[str, dict[str, object]]:
    """{schema.table: {"rows": n, "sha256": hex}} for every published mart and quarantine."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in (select unnest(?)) and table_type = 'BASE TABLE' "
            "order by 1, 2",
            [list(SCHEMAS)],
        ).fetchall()
        out: dict[str, dict[str, object]] = {}
        for schema, table in tables:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table],
            ).fetchall()
            skipped = RUN_TIME_COLUMNS.get(f"{schema}.{table}", set())
            columns = [(name, kind) for name, kind in columns if name not in skipped]
            row = " || chr(31) || ".join(
                f"coalesce({_column_expression(name, kind)}, chr(0))" for name, kind in columns
            )
            lines = con.execute(
                f'select {row} as line from "{schema}"."{table}" order by line'
            ).fetchall()
            digest = hashlib.sha256()
            digest.update("\x1e".join(name for name, _ in columns).encode())
            for (line,) in lines:
                digest.update(b"\n" + line.encode())
            out[f"{schema}.{table}"] = {"rows": len(lines), "sha256": digest.hexdigest()}
        return out
    finally:
        con.close()


def main(argv: list[str]) -> int:
    result = fingerprints(Path(argv[0]))
    text = json.dumps(result, indent=2, sort_keys=True) + "\n"
    if len(argv) > 1:
        Path(argv[1]).write_text(text, encoding="utf-8")
    print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
