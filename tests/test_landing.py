"""Landing Arrow batches into DuckDB: full replace, incremental upsert, cursors, drift."""

import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from connectors.errors import SchemaDriftError
from connectors.landing import (
    CursorKey,
    RawTableWriter,
    land_batches,
    last_synced,
    read_cursor,
)

T0 = dt.datetime(2026, 11, 26, 2, tzinfo=dt.UTC)
T1 = dt.datetime(2026, 11, 27, 2, tzinfo=dt.UTC)
SCHEMA = pa.schema([("Id", pa.string()), ("Amount", pa.float64()), ("IsDeleted", pa.bool_())])
KEY = CursorKey("salesforce", "Opportunity")


def batch(*rows, schema=SCHEMA):
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    return pa.record_batch(
        [pa.array(c, f.type) for c, f in zip(columns, schema, strict=True)], schema
    )


def rows(con):
    return con.execute("select Id, Amount, IsDeleted from raw_x.opp order by Id").fetchall()


def upsert(con, pages, loaded_at=T1, schema=SCHEMA):
    with RawTableWriter(
        con, "raw_x", "opp", schema, loaded_at=loaded_at, mode="upsert", cursor=KEY
    ) as writer:
        for cursor, b in pages:
            writer.write(b, cursor_value=cursor)
    return writer


def test_full_replace_is_atomic_and_stamps_load_time():
    con = duckdb.connect()
    land_batches(con, "raw_x", "opp", SCHEMA, [batch(("a", 1.0, False))], loaded_at=T0)

    def failing():
        yield batch(("b", 2.0, False))
        raise RuntimeError("page 2 failed")

    with pytest.raises(RuntimeError):
        land_batches(con, "raw_x", "opp", SCHEMA, failing(), loaded_at=T1)
    assert rows(con) == [("a", 1.0, False)]
    assert con.execute("select _loaded_at from raw_x.opp").fetchone() == (T0,)


def test_upsert_replaces_rows_by_key_and_keeps_the_last_copy_in_a_page():
    con = duckdb.connect()
    upsert(con, [("c1", batch(("a", 1.0, False), ("b", 2.0, False)))])
    upsert(con, [("c2", batch(("b", 20.0, False), ("c", 3.0, False), ("b", 21.0, False)))])
    assert rows(con) == [("a", 1.0, False), ("b", 21.0, False), ("c", 3.0, False)]
    assert read_cursor(con, KEY) == "c2"


def test_cursor_advances_only_with_committed_pages():
    con = duckdb.connect()

    def pages():
        yield "c1", batch(("a", 1.0, False))
        raise ConnectionError("killed after one page")

    with pytest.raises(ConnectionError):
        upsert(con, pages())
    assert rows(con) == [("a", 1.0, False)]
    assert read_cursor(con, KEY) == "c1"
    # The rerun re-reads from the cursor (overlap included): no duplicates.
    upsert(con, [("c2", batch(("a", 1.0, False), ("b", 2.0, False)))])
    assert rows(con) == [("a", 1.0, False), ("b", 2.0, False)]


def test_deleted_rows_are_flagged_not_dropped():
    con = duckdb.connect()
    writer = upsert(con, [("c1", batch(("a", 1.0, False), ("b", 2.0, False)))])
    with writer:
        assert writer.mark_deleted(["b", "zz"]) == 1
    assert rows(con) == [("a", 1.0, False), ("b", 2.0, True)]


def test_a_new_source_field_is_added_and_a_type_change_is_refused():
    con = duckdb.connect()
    upsert(con, [("c1", batch(("a", 1.0, False)))])
    wider = SCHEMA.append(pa.field("Region__c", pa.string()))
    upsert(con, [("c2", batch(("b", 2.0, False, "EMEA"), schema=wider))], schema=wider)
    assert con.execute("select Id, Region__c from raw_x.opp order by Id").fetchall() == [
        ("a", None),
        ("b", "EMEA"),
    ]
    retyped = pa.schema([("Id", pa.string()), ("Amount", pa.string()), ("IsDeleted", pa.bool_())])
    with pytest.raises(SchemaDriftError, match="Amount"):
        upsert(con, [("c3", batch(("c", "3", False), schema=retyped))], schema=retyped)


def test_a_finished_sync_is_recorded_even_when_it_found_nothing_new():
    con = duckdb.connect()
    land_batches(con, "raw_x", "opp", SCHEMA, [batch(("a", 1.0, False))], loaded_at=T0)
    assert last_synced(con, "raw_x", "opp") == T0
    upsert(con, [("c1", batch())], loaded_at=T1)  # an incremental read with no rows
    assert last_synced(con, "raw_x", "opp") == T1
    assert con.execute("select max(_loaded_at) from raw_x.opp").fetchone()[0] == T0


def test_a_failed_sync_is_not_recorded():
    con = duckdb.connect()
    land_batches(con, "raw_x", "opp", SCHEMA, [batch(("a", 1.0, False))], loaded_at=T0)
    with (
        pytest.raises(RuntimeError),
        RawTableWriter(
            con, "raw_x", "opp", SCHEMA, loaded_at=T1, mode="upsert", cursor=KEY
        ) as writer,
    ):
        writer.write(batch(("b", 2.0, False)), cursor_value="c1")
        raise RuntimeError("connection reset")
    assert last_synced(con, "raw_x", "opp") == T0


def test_a_full_landing_holds_no_landed_batch_in_memory_until_its_commit():
    # A full landing is one transaction; the batches it already wrote must not stay
    # pinned by DuckDB until the commit (at L scale that was gigabytes of Arrow).
    con = duckdb.connect()
    pages = 40
    size = 20_000

    def page(i: int) -> pa.RecordBatch:
        ids = pa.array([f"{i:03d}-{j:015d}-padding-padding" for j in range(size)])
        return pa.record_batch([ids, pa.array([1.0] * size), pa.array([False] * size)], SCHEMA)

    one_page = page(0).nbytes
    with RawTableWriter(con, "raw_x", "opp", SCHEMA, loaded_at=T1) as writer:
        for i in range(pages):
            writer.write(page(i))
        held = pa.total_allocated_bytes()
    assert con.execute("select count(*) from raw_x.opp").fetchone() == (pages * size,)
    assert held < 3 * one_page, f"{held / one_page:.1f} pages of Arrow memory held"
