"""The YAML descriptions reach the published warehouse as table and column comments
(dbt's persist_docs), where a BI tool reading the file shows them."""

from tests.test_metrics_catalog import MARTS_CONTRACT

MART_SCHEMAS = ("marts", "quarantine")


def test_every_mart_and_quarantine_table_and_view_has_a_comment(tiny_nightly):
    rows = tiny_nightly.query(
        "select schema_name, table_name, comment from duckdb_tables() "
        "where schema_name in ('marts', 'quarantine') "
        "union all select schema_name, view_name, comment from duckdb_views() "
        "where schema_name in ('marts', 'quarantine')"
    )
    assert {schema for schema, _, _ in rows} == set(MART_SCHEMAS)
    assert {table for schema, table, _ in rows if schema == "marts"} == set(MARTS_CONTRACT)
    assert [(s, t) for s, t, comment in rows if not (comment or "").strip()] == []


def test_every_mart_column_has_a_comment(tiny_nightly):
    rows = tiny_nightly.query(
        "select table_name, column_name, comment from duckdb_columns() where schema_name = 'marts'"
    )
    assert {table for table, _, _ in rows} == set(MARTS_CONTRACT)
    assert [(t, c) for t, c, comment in rows if not (comment or "").strip()] == []


def test_every_quarantine_column_has_a_comment(tiny_nightly):
    rows = tiny_nightly.query(
        "select table_name, column_name, comment from duckdb_columns() "
        "where schema_name = 'quarantine'"
    )
    assert rows
    assert [(t, c) for t, c, comment in rows if not (comment or "").strip()] == []


def test_a_bi_client_reads_the_marts_and_their_comments_read_only(tiny_nightly):
    """SQLAlchemy with the duckdb_engine dialect, opened read-only as a BI tool would.

    The inspector lists the tables and reads table comments; its get_columns fails on
    duckdb-engine 0.17 with SQLAlchemy 2.1 (its PostgreSQL query joins pg_collation,
    which DuckDB lacks), so column comments are read from duckdb_columns() through
    the same connection, as a BI tool's custom query would.
    """
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(f"duckdb:///{tiny_nightly.published}", connect_args={"read_only": True})
    try:
        inspector = inspect(engine)
        # marts.kpi_catalog is a view (its freshness is computed when read)
        assert inspector.get_view_names(schema="marts") == ["kpi_catalog"]
        tables = [*inspector.get_table_names(schema="marts"), "kpi_catalog"]
        assert "kpi_catalog_as_of" in tables and "fct_deals" in tables
        assert set(tables) == set(MARTS_CONTRACT)
        for table in tables:
            assert inspector.get_table_comment(table, schema="marts")["text"].strip()

        with engine.connect() as con:
            comments = con.execute(
                text(
                    "select table_name, column_name, comment from duckdb_columns() "
                    "where schema_name = 'marts'"
                )
            ).all()
        assert {table for table, _, _ in comments} == set(tables)
        assert all((comment or "").strip() for _, _, comment in comments)
        by_column = {(t, c): comment for t, c, comment in comments}
        assert by_column[("kpi_catalog", "metric_id")].strip()
    finally:
        engine.dispose()
