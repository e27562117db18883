"""The README's analyst questions: each query runs on the published demo warehouse,
labels people by name, and its exposure names exactly the marts it reads."""

import re
from pathlib import Path

import duckdb
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Questions the warehouse answers"
EXPOSURES = ROOT / "dbt_project" / "models" / "marts" / "_exposures.yml"


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lowercase, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def readme_questions() -> dict[str, tuple[str, str]]:
    """anchor -> (heading, the first ```sql block under it) in the questions section."""
    text = (ROOT / "README.md").read_text()
    section = text.split(f"\n{SECTION}\n", 1)[1].split("\n## ", 1)[0]
    questions = {}
    for block in section.split("\n### ")[1:]:
        heading, body = block.split("\n", 1)
        sql = re.search(r"```sql\n(.*?)```", body, re.S)
        assert sql, f"no sql block under '{heading}'"
        questions[anchor(heading)] = (heading, sql.group(1))
    return questions


QUESTIONS = readme_questions()


def tables_read(sql: str) -> set[tuple[str, str]]:
    """(schema, table) of every marts.* and history.* table the query names."""
    return set(re.findall(r"\b(marts|history)\.(\w+)\b", sql))


def marts_behind(sql: str) -> set[str]:
    """The dbt models behind the tables: history.<table> is filled from the model
    history_<table> (dbt_project/models/history) at every publish."""
    return {
        f"history_{table}" if schema == "history" else table for schema, table in tables_read(sql)
    }


def refs(exposure: dict) -> set[str]:
    return {re.fullmatch(r"ref\('(\w+)'\)", d).group(1) for d in exposure["depends_on"]}


def exposures() -> dict[str, dict]:
    """Exposure url anchor -> exposure, from the YAML dbt reads."""
    entries = yaml.safe_load(EXPOSURES.read_text())["exposures"]
    return {e["url"].split("#", 1)[1]: e for e in entries if "#" in e.get("url", "")}


def test_the_readme_asks_five_questions_each_an_analysis_exposure():
    assert len(QUESTIONS) == 5
    analyses = {a for a, e in exposures().items() if e["type"] == "analysis"}
    assert analyses == set(QUESTIONS)


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_each_exposure_depends_on_exactly_the_marts_its_query_reads(question):
    _, sql = QUESTIONS[question]
    assert refs(exposures()[question]) == marts_behind(sql)


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_each_query_returns_rows_with_a_name_beside_every_id(question, tiny_nightly):
    _, sql = QUESTIONS[question]
    with duckdb.connect(str(tiny_nightly.published), read_only=True) as con:
        result = con.execute(sql)
        columns = [d[0] for d in result.description]
        rows = result.fetchall()
    assert rows, question
    pairs = [(c, c[: -len("_id")] + "_name") for c in columns if c.endswith("_id")]
    pairs = [(i, n) for i, n in pairs if n in columns]
    assert pairs or question == "each-kpis-meaning-unit-and-freshness", columns
    for id_column, name_column in pairs:
        i, n = columns.index(id_column), columns.index(name_column)
        unnamed = [row[i] for row in rows if row[i] is not None and row[n] is None]
        assert unnamed == [], f"{name_column} null for {unnamed[:3]}"
    # The KPI question labels metrics rather than people: every metric has its label.
    if "label" in columns:
        assert all(row[columns.index("label")] for row in rows)


def test_the_bi_exposure_reads_every_mart_and_history_table_from_the_connecting_section():
    bi = exposures()["connecting-a-bi-tool"]
    assert bi["type"] == "application"
    readme = (ROOT / "README.md").read_text()
    assert "### Connecting a BI tool" in readme
    marts = {f.stem for f in EXPOSURES.parent.glob("[!_]*.sql")}
    history = {f.stem for f in (EXPOSURES.parent.parent / "history").glob("*.sql")}
    assert refs(bi) == marts | history
