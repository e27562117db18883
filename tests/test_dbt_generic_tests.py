"""The project's own generic data tests check what dbt's did, in fewer queries (#17).

A key is `primary_key`: dbt's `unique` and `not_null` in one grouped scan, so each
key costs the nightly one test node instead of two. The same bad rows must still
fail the build, and the stored failures must name the key value and what is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.dbt_runner import run_dbt
from tests.test_dbt_project import AS_OF, _stage, write_raw_salesforce

# A key staging names itself (a raw key renamed is the landing contract's to check).
KEY_TEST = "primary_key_stg_salesforce__opportunity_stages_api_name"


@pytest.fixture(scope="module")
def dbt_dir(tmp_path_factory) -> Path:
    """One folder (warehouse path, target) for every build: dbt parses the project once."""
    return tmp_path_factory.mktemp("generic_tests")


def _build_stages(
    tmp_path: Path, stages: list[dict], extra_vars: dict | None = None
) -> tuple[int, str, Path]:
    """`dbt build` of the Salesforce opportunity stages' staging view, failures stored."""
    warehouse = tmp_path / "working.duckdb"
    warehouse.unlink(missing_ok=True)
    write_raw_salesforce(warehouse, {"opportunity_stage": stages})
    result = run_dbt(
        ["build", "--select", "stg_salesforce__opportunity_stages", "--store-failures"],
        tmp_path,
        warehouse,
        AS_OF,
        extra_vars,
    )
    return result.returncode, result.stdout, warehouse


def _key_test_status(tmp_path: Path) -> dict[str, tuple[str, int | None]]:
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())
    return {
        r["unique_id"].split(".")[2]: (r["status"], r.get("failures"))
        for r in results["results"]
        if r["unique_id"].startswith("test.")
    }


def _no_name(order: int) -> dict:
    return _stage("X", order) | {"ApiName": None}


def _stored_failures(warehouse: Path) -> list[tuple]:
    """The failing rows `--store-failures` kept for the stages' key test."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (schema,) = con.execute(
            "select schema_name from duckdb_tables() where table_name = ?", [KEY_TEST]
        ).fetchone()
        return con.execute(
            f"select key_value, failure, n_rows from {schema}.{KEY_TEST} order by failure"
        ).fetchall()


def test_a_repeated_or_missing_key_fails_the_build_naming_both(dbt_dir):
    stages = [_stage("Qualify", 1), _stage("Propose", 2), _stage("Propose", 3), _no_name(4)]

    returncode, stdout, warehouse = _build_stages(dbt_dir, stages)

    assert returncode == 1, stdout[-3000:]
    # one test node checks both: one failing row for the repeated key, one for the null
    assert _key_test_status(dbt_dir) == {KEY_TEST: ("fail", 2)}
    assert _stored_failures(warehouse) == [("Propose", "duplicate", 2), (None, "null", 1)]


@pytest.mark.parametrize(
    ("stages", "failures"),
    [
        ([_stage("Qualify", 1), _stage("Qualify", 2)], [("Qualify", "duplicate", 2)]),
        ([_stage("Qualify", 1), _no_name(2), _no_name(3)], [(None, "null", 2)]),
    ],
    ids=["repeated", "missing"],
)
def test_each_kind_of_bad_key_alone_fails(dbt_dir, stages, failures):
    returncode, stdout, warehouse = _build_stages(dbt_dir, stages)

    assert returncode == 1, stdout[-3000:]
    assert _key_test_status(dbt_dir) == {KEY_TEST: ("fail", 1)}
    assert _stored_failures(warehouse) == failures


def test_distinct_keys_pass(dbt_dir):
    returncode, stdout, _ = _build_stages(dbt_dir, [_stage("Qualify", 1), _stage("Propose", 2)])

    assert returncode == 0, stdout[-3000:]
    assert _key_test_status(dbt_dir) == {KEY_TEST: ("pass", 0)}


# A compound key is `unique_combination`: rows grouped by the key's columns, no string
# built per row; a row with a null among them is not checked, as dbt's `unique` on
# "a || '/' || b" never checked it.
STAGES_KEY_TEST = "unique_int_stages_source_pipeline_stage"


def _test_stages_key(
    tmp_path: Path, rows: list[tuple], extra_vars: dict | None = None
) -> tuple[int, str, dict]:
    """The int_stages key test alone, on a relation holding `rows`."""
    warehouse = tmp_path / "working.duckdb"
    warehouse.unlink(missing_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema intermediate")
        con.execute("create table intermediate.int_stages (source text, pipeline text, stage text)")
        con.executemany("insert into intermediate.int_stages values (?, ?, ?)", rows)
    args = ["test", "--select", STAGES_KEY_TEST]
    result = run_dbt(args, tmp_path, warehouse, AS_OF, extra_vars)
    return result.returncode, result.stdout, _key_test_status(tmp_path)


def test_a_repeated_compound_key_fails_and_a_key_with_a_null_part_is_not_checked(dbt_dir):
    rows = [
        ("salesforce", "default", "Won"),
        ("salesforce", "default", "Won"),
        ("hubspot", "default", "Won"),
        ("hubspot", "sales", None),
        ("hubspot", "sales", None),
    ]

    returncode, stdout, status = _test_stages_key(dbt_dir, rows)

    assert returncode == 1, stdout[-3000:]
    assert status == {STAGES_KEY_TEST: ("fail", 1)}


def test_distinct_compound_keys_pass(dbt_dir):
    rows = [("salesforce", "default", "Won"), ("hubspot", "default", "Won"), ("hubspot", "x", None)]

    returncode, stdout, status = _test_stages_key(dbt_dir, rows)

    assert returncode == 0, stdout[-3000:]
    assert status == {STAGES_KEY_TEST: ("pass", 0)}


# Both key tests group first by a 64-bit hash of the key, then by the key itself only
# where a hash repeats. Folding every hash into one bucket (the var key_hash_buckets)
# makes all keys collide: the exact second pass alone must still tell them apart.
ONE_BUCKET = {"key_hash_buckets": 1}


def test_keys_whose_hashes_collide_are_still_told_apart(tmp_path):
    distinct = [
        ("salesforce", "default", "Won"),
        ("hubspot", "default", "Won"),
        ("hubspot", "x", None),
    ]
    stages = [_stage("Qualify", 1), _stage("Propose", 2)]
    returncode, stdout, status = _test_stages_key(tmp_path, distinct, ONE_BUCKET)
    assert returncode == 0, stdout[-3000:]
    assert status == {STAGES_KEY_TEST: ("pass", 0)}
    returncode, stdout, _ = _build_stages(tmp_path, stages, ONE_BUCKET)
    assert returncode == 0, stdout[-3000:]
    assert _key_test_status(tmp_path) == {KEY_TEST: ("pass", 0)}

    repeated = [("salesforce", "default", "Won"), ("salesforce", "default", "Won"), *distinct]
    returncode, stdout, status = _test_stages_key(tmp_path, repeated, ONE_BUCKET)
    assert returncode == 1, stdout[-3000:]
    assert status == {STAGES_KEY_TEST: ("fail", 1)}
    stages += [_stage("Propose", 3), _no_name(4)]
    returncode, stdout, warehouse = _build_stages(tmp_path, stages, ONE_BUCKET)
    assert returncode == 1, stdout[-3000:]
    assert _key_test_status(tmp_path) == {KEY_TEST: ("fail", 2)}
    assert _stored_failures(warehouse) == [("Propose", "duplicate", 2), (None, "null", 1)]
