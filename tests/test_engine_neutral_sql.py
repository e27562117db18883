"""The dbt models speak no one engine's dialect (issue #16): dialect lives in macros/engine/.

Two rules that can fail:

1. The source scan. Every model and macro outside macros/engine/ is read with comments,
   Jinja and the engines' own implementations of dispatched macros (spark__x) removed; a
   construct only DuckDB (or only Spark) understands fails the test, naming file and line.
   tests/golden/engine_sql_baseline.json lists what is not converted yet, per file and
   construct, as a count that may only fall: a new occurrence fails, and so does a count
   that fell without the baseline being lowered (`python -m
   tests.test_engine_neutral_sql --write` records the current counts). It is empty: the
   last medians became `percentile_cont(x, 0.5)` and the last QUALIFYs ranked subqueries.
2. The compiled SQL. `dbt compile` on the default (DuckDB) target, then every compiled model
   must parse in DuckDB's dialect and, transpiled by sqlglot, parse again as Spark, Snowflake
   and BigQuery SQL. "Parses in Snowflake/BigQuery" means only that: sqlglot can read it and
   write a statement those engines' grammars accept. Running there would take the adapter
   (dbt-snowflake, dbt-bigquery), a spark__-like set of snowflake__/bigquery__ macros in
   macros/engine/ (where sqlglot's rewrite of a function is not the engine's behaviour:
   time zones, regex flavours, list functions), and the same-numbers test against DuckDB.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "dbt_project"
BASELINE = ROOT / "tests" / "golden" / "engine_sql_baseline.json"
# The one place engine-specific SQL may be written.
ENGINE_MACROS = PROJECT / "macros" / "engine"

# construct -> (pattern, why). Matched case-insensitively on SQL with comments and Jinja
# removed (string literals kept: a pattern can name a function inside one, rarely).
RULES: dict[str, tuple[str, str]] = {
    "cast shorthand ::": (r"::", "BigQuery has no ::; write cast(x as type)"),
    "qualify": (r"\bqualify\b", "Spark 3.5 lacks QUALIFY; filter a subquery"),
    "star exclude": (r"\bexclude\s*\(", "DuckDB's * exclude: trustgap.star_except"),
    "strftime": (r"\bstrftime\s*\(", "DuckDB's strftime: trustgap.iso_week or a macro"),
    "epoch": (r"\bepoch\s*\(", "DuckDB's epoch: trustgap.seconds_between"),
    "date_diff": (r"\bdate_?diff\s*\(", "argument order differs: dbt.datediff or a macro"),
    "list function": (r"\blist_\w+\s*\(|\blist\s*\(", "DuckDB lists: macros/engine/lists.sql"),
    # x[i] is 1-based on DuckDB, 0-based on Spark: trustgap.list_at counts from 1 on both
    "list literal or index": (r"\[\s*\d|\[\s*\w+\s*\]|\w\s*\[", "trustgap.list_at / list_*"),
    "len": (r"\blen\s*\(", "DuckDB's len: trustgap.list_length"),
    "unnest": (r"\bunnest\s*\(", "DuckDB's unnest: trustgap.unnest_item"),
    "series": (r"\bgenerate_series\s*\(|\brange\s*\(", "trustgap.date_series_item"),
    "median": (r"\bmedian\s*\(", "BigQuery has no median: trustgap.percentile_cont"),
    "quantile": (r"\bquantile\w*\s*\(", "DuckDB's quantile: trustgap.percentile_cont"),
    "duckdb regex": (r"\bregexp_(matches|full_match)\s*\(", "trustgap.regex_*"),
    "struct literal": (r"\bstruct_pack\s*\(|\{\s*'", "DuckDB structs: a dispatched macro"),
    "clock": (r"\bcurrent_date\b|\bnow\s*\(|\bcurrent_timestamp\b", "use as_of_date()"),
    "timezone()": (r"\btimezone\s*\(|\bat\s+time\s+zone\b", "trustgap.wall_clock/instant_of"),
    "timestamptz": (r"\btimestamptz\b", "trustgap.type_timestamptz()"),
    "infinity": (r"'-?infinity'", "trustgap.timestamp_min/max"),
    "varchar": (r"\bvarchar\b", "Spark needs a length: write string"),
    "integer division //": (r"//", "trustgap.int_div"),
    "caret": (r"\^", "DuckDB's power, Spark's bitwise xor: write power(x, y)"),
    "printf": (r"\bprintf\s*\(", "rounding differs: trustgap.fixed_text"),
    "try_strptime": (r"\btry_strptime\s*\(", "trustgap.try_parse_timestamp"),
    "string_split": (r"\bstring_split\s*\(", "trustgap.split_text"),
    "array_to_string": (r"\barray_to_string\s*\(", "trustgap.list_join"),
    "interval expression": (r"\binterval\s*\(", "Spark takes interval literals only"),
    "ordered string_agg": (r"\bstring_agg\s*\([^)]*\border\s+by\b", "string_agg_ordered"),
    "read_csv": (r"\bread_csv\s*\(", "DuckDB reads files itself; a seed or a source"),
    # Spark-only spellings belong in spark__ macros too.
    "spark only": (
        r"\b(posexplode|explode|named_struct|from_utc_timestamp|to_utc_timestamp|"
        r"array_contains|collect_list|element_at|unix_micros|timestamp_millis)\s*\(|\bdiv\b",
        "Spark SQL: a spark__ macro",
    ),
}


def _strip(text: str) -> str:
    """SQL without Jinja comments, Jinja blocks and expressions, or SQL comments; line
    breaks are kept so that line numbers stay true."""

    def blank(match: re.Match) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    # An engine's implementation of a dispatched macro (spark__x, default__x) is where
    # its dialect belongs, wherever the macro lives.
    text = re.sub(
        r"\{%-?\s*macro\s+(default|duckdb|spark|databricks|snowflake|bigquery)__\w+.*?"
        r"\{%-?\s*endmacro\s*-?%\}",
        blank,
        text,
        flags=re.S,
    )
    text = re.sub(r"\{#.*?#\}", blank, text, flags=re.S)
    text = re.sub(r"\{%.*?%\}", blank, text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", blank, text, flags=re.S)
    return re.sub(r"--[^\n]*", blank, text)


def _sql_files() -> list[Path]:
    # Data tests (generic and singular) run on every engine as much as the models do.
    files = [
        f
        for folder in ("models", "macros", "tests")
        for f in sorted((PROJECT / folder).rglob("*.sql"))
    ]
    return [f for f in files if ENGINE_MACROS not in f.parents]


def findings() -> list[tuple[str, int, str, str]]:
    """(file, line, construct, text) for every engine-specific construct outside the
    engine macros."""
    found = []
    for path in _sql_files():
        rel = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(_strip(path.read_text(encoding="utf-8")).splitlines(), 1):
            for construct, (pattern, _why) in RULES.items():
                for _ in re.finditer(pattern, line, flags=re.I):
                    found.append((rel, number, construct, line.strip()))
    return found


def counts(found) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (rel, construct), n in sorted(Counter((f[0], f[2]) for f in found).items()):
        out.setdefault(rel, {})[construct] = n
    return out


def test_the_scan_finds_each_construct_in_a_model_line():
    sql = (
        "select x::double, list_append(a, b), median(v), strftime(d, '%G'), epoch(i)\n"
        "{# unnest(a) in a comment #} {{ trustgap.unnest_item('a', 'b') }} -- qualify\n"
        "from t qualify row_number() over () = 1\n"
    )
    stripped = _strip(sql).splitlines()
    hits = {c for line in stripped for c, (p, _) in RULES.items() if re.search(p, line, re.I)}
    assert hits == {"cast shorthand ::", "list function", "median", "strftime", "epoch", "qualify"}
    assert "unnest" not in stripped[1] and "qualify" not in stripped[1]


def test_no_model_gains_engine_specific_sql():
    """A construct beyond the recorded baseline fails, naming file, line and the fix."""
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    found = findings()
    now = counts(found)
    new = []
    for rel, constructs in now.items():
        for construct, n in constructs.items():
            allowed = baseline.get(rel, {}).get(construct, 0)
            if n > allowed:
                lines = [
                    f"{f[0]}:{f[1]}: {f[3]}" for f in found if f[:1] == (rel,) and f[2] == construct
                ]
                new.append(
                    f"{construct} ({RULES[construct][1]}), {n} > {allowed}:\n  "
                    + "\n  ".join(lines)
                )
    assert not new, "engine-specific SQL outside macros/engine/:\n" + "\n".join(new)


def test_the_baseline_only_falls():
    """Converted constructs leave the baseline: a count below it must be recorded."""
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    now = counts(findings())
    stale = {
        f"{rel} {construct}: {n} recorded, {now.get(rel, {}).get(construct, 0)} now"
        for rel, constructs in baseline.items()
        for construct, n in constructs.items()
        if now.get(rel, {}).get(construct, 0) < n
    }
    assert not stale, "lower tests/golden/engine_sql_baseline.json (--write): " + "; ".join(
        sorted(stale)
    )


# -- compiled SQL in four dialects --------------------------------------------------------


@pytest.fixture(scope="module")
def compiled_duckdb(tmp_path_factory) -> dict[str, str]:
    """Every model compiled on the default target (an empty DuckDB: nothing is built)."""
    from tests.dbt_runner import run_dbt

    tmp = tmp_path_factory.mktemp("compile_duckdb")
    result = run_dbt(["compile", "--quiet"], tmp, tmp / "empty.duckdb", "2026-11-27")
    assert result.returncode == 0, result.stdout + result.stderr
    root = tmp / "target" / "compiled" / "trustgap" / "models"
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.sql"))}


@pytest.mark.slow
@pytest.mark.parametrize("dialect", ["duckdb", "spark", "snowflake", "bigquery"])
def test_every_compiled_model_parses_in(dialect, compiled_duckdb):
    import sqlglot
    from sqlglot.errors import SqlglotError

    assert len(compiled_duckdb) > 100
    failures = {}
    for name, sql in compiled_duckdb.items():
        try:
            tree = sqlglot.parse_one(sql, read="duckdb")
            if dialect != "duckdb":
                sqlglot.parse_one(tree.sql(dialect=dialect), read=dialect)
        except SqlglotError as error:
            failures[name] = str(error).splitlines()[0][:200]
    assert not failures, f"{len(failures)} models do not parse as {dialect}: {failures}"


if __name__ == "__main__" and "--write" in sys.argv:
    BASELINE.write_text(json.dumps(counts(findings()), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {BASELINE}")
