"""Every DuckDB Trustgap opens is bounded: memory limit, threads, spill folder (#17 memory).

Left alone, DuckDB sizes itself for 80 % of the machine in each process; the nightly
opens it in the Dagster process and in the dbt subprocess at once.
"""

from __future__ import annotations

import json

import duckdb
import pytest
import yaml

from connectors.errors import ConfigurationError
from pipelines import warehouse
from pipelines.duckdb_settings import (
    DBT_THREADS_VAR,
    DEFAULT_MEMORY_LIMIT,
    MEMORY_LIMIT_VAR,
    THREADS_VAR,
    DuckDBSettings,
    available_cpus,
    default_memory_limit,
    size_bytes,
)
from tests.dbt_runner import DBT_PROJECT_DIR, run_dbt

SETTINGS_SQL = (
    "select current_setting('memory_limit') as memory_limit, "
    "current_setting('threads') as threads, "
    "current_setting('temp_directory') as temp_directory, "
    "current_setting('preserve_insertion_order') as preserve_insertion_order"
)


def test_the_default_limit_is_fixed_on_a_big_machine_and_half_the_ram_on_a_small_one():
    assert default_memory_limit(23 * 1024**3) == DEFAULT_MEMORY_LIMIT == "1536MiB"
    assert default_memory_limit(None) == "1536MiB"
    assert default_memory_limit(2 * 1024**3) == "1024MiB"
    assert default_memory_limit(1024**3) == "512MiB"


def test_sizes_are_read_as_duckdb_reads_them():
    assert size_bytes("2GB") == 2 * 1000**3
    assert size_bytes("1536MiB") == 1536 * 1024**2
    assert size_bytes("1.5 GiB") == 1.5 * 1024**3
    assert size_bytes("lots") is None
    assert size_bytes("80%") is None


@pytest.mark.parametrize("bad", ["lots", "2 gigs", "100MB", "-1GB", "sk-live-0123456789"])
def test_a_bad_memory_limit_is_refused_by_name_never_by_value(bad):
    with pytest.raises(ConfigurationError) as raised:
        DuckDBSettings.from_env({MEMORY_LIMIT_VAR: bad})
    assert MEMORY_LIMIT_VAR in str(raised.value)
    assert bad not in str(raised.value)


def test_a_bad_thread_count_is_refused():
    with pytest.raises(ConfigurationError, match=THREADS_VAR):
        DuckDBSettings.from_env({THREADS_VAR: "0"})
    with pytest.raises(ConfigurationError, match=DBT_THREADS_VAR):
        DuckDBSettings.from_env({DBT_THREADS_VAR: "none"})


def test_dbt_builds_as_many_nodes_at_once_as_there_are_cpus_unless_told():
    # More nodes than cores only compete for them and for the memory limit (at L,
    # 4 nodes at once on 2 cores spilled: 52 s of dbt against 46 s for 2).
    assert DuckDBSettings.from_env({}).environment()[DBT_THREADS_VAR] == str(available_cpus())
    told = DuckDBSettings.from_env({DBT_THREADS_VAR: "6", THREADS_VAR: "3"})
    assert told.environment()[DBT_THREADS_VAR] == "6"
    assert told.environment()[THREADS_VAR] == "3"


def test_the_pipelines_connections_open_with_the_limit_threads_and_spill_folder(
    tmp_path, monkeypatch
):
    monkeypatch.setenv(MEMORY_LIMIT_VAR, "700MiB")
    monkeypatch.setenv(THREADS_VAR, "1")
    working = tmp_path / "warehouse" / "trustgap.working.duckdb"
    with warehouse.connect(working) as con:
        row = con.execute(SETTINGS_SQL).fetchone()
    assert row == ("700.0 MiB", 1, str(working.with_name("trustgap.working.duckdb.tmp")), False)


def test_without_settings_a_connection_is_bounded_by_the_default_not_the_machine(
    tmp_path, monkeypatch
):
    monkeypatch.delenv(MEMORY_LIMIT_VAR, raising=False)
    monkeypatch.delenv(THREADS_VAR, raising=False)
    with warehouse.connect(tmp_path / "w.duckdb", read_only=False) as con:
        (limit,) = con.execute("select current_setting('memory_limit')").fetchone()
    # 1536MiB, or half the RAM of a machine with less than 3 GiB.
    assert limit in ("1.5 GiB",) or size_bytes(limit.replace(" ", "")) < 1536 * 1024**2


def test_a_query_bigger_than_the_limit_spills_beside_the_file_and_finishes(tmp_path, monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_VAR, "128MiB")
    monkeypatch.setenv(THREADS_VAR, "1")
    working = tmp_path / "w.duckdb"
    with warehouse.connect(working) as con:
        # ~4M distinct 32-character keys: a hash aggregate of several hundred MB.
        con.execute(
            "create table keys as select md5(range::varchar) as k, range as v from range(4000000)"
        )
        (groups,) = con.execute(
            "select count(*) from (select k, sum(v) from keys group by k)"
        ).fetchone()
        # DuckDB creates its spill folder when it first spills, and removes it on close.
        spilled = working.with_name("w.duckdb.tmp").is_dir()
        # Another step's connection to the same file while this one is open (dbt-duckdb
        # too re-applies its settings per connection): settings apply again after a spill.
        with warehouse.connect(working, read_only=False) as again:
            assert again.execute("select count(*) from keys").fetchone() == (4_000_000,)
        # dbt-duckdb SETs the profile's `settings` on each connection it opens (its
        # `config_options` once, when it opens the file): each must be settable after a
        # spill (DuckDB refuses to move its temp_directory then).
        profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
        for name in profile["trustgap"]["outputs"]["dev"]["settings"]:
            (value,) = con.execute("select current_setting(?)", [name]).fetchone()
            con.execute(f"set {name} = '{value}'")
    assert groups == 4_000_000
    assert spilled


def test_a_plain_connection_already_open_on_the_file_does_not_stop_the_pipeline(
    tmp_path, monkeypatch
):
    # A reader in the same process (a notebook, a test) opened the file first.
    monkeypatch.setenv(MEMORY_LIMIT_VAR, "600MiB")
    published = tmp_path / "trustgap.duckdb"
    with duckdb.connect(str(published)) as reader:
        reader.execute("create table t as select 1 as x")
        with warehouse.connect(published) as con:
            assert con.execute("select x from t").fetchone() == (1,)
        (limit,) = reader.execute("select current_setting('memory_limit')").fetchone()
    assert limit == "600.0 MiB"


def test_dbt_runs_with_the_same_settings_as_the_pipeline(tmp_path, monkeypatch):
    working = tmp_path / "working.duckdb"
    chosen = DuckDBSettings.from_env({MEMORY_LIMIT_VAR: "900MiB", THREADS_VAR: "1"})
    for name, value in chosen.environment().items():
        monkeypatch.setenv(name, value)
    shown = run_dbt(
        ["show", "--inline", SETTINGS_SQL, "--output", "json", "--log-format", "text"],
        tmp_path,
        working,
        "2026-11-27",
    )
    assert shown.returncode == 0, shown.stdout[-2000:] + shown.stderr[-2000:]
    payload = shown.stdout[shown.stdout.index("{") : shown.stdout.rindex("}") + 1]
    (row,) = json.loads(payload)["show"]
    assert row["memory_limit"] == "900.0 MiB"
    assert int(row["threads"]) == 1
    assert row["temp_directory"] == str(tmp_path / "working.duckdb.tmp")
    assert row["preserve_insertion_order"] in (False, "false")
