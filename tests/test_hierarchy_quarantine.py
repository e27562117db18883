"""Manager cycles and self-managers are quarantined with reasons, never silently lost.

(#15 D8) The tiny demo org's landed Salesforce users with their ManagerId edited
the way a mistyped CRM field or org chart does it, then the real dbt models built
on them: the hierarchy (int_users) and quarantine.users.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

from pipelines import quarantine
from pipelines.warehouse import working_path
from tests.conftest import DEMO_AS_OF
from tests.dbt_runner import run_dbt


def _build_with_managers(
    tmp_path, tiny_nightly, managers: dict[str, str]
) -> duckdb.DuckDBPyConnection:
    """The tiny org's working file with `managers` (user name -> manager name) applied."""
    warehouse = tmp_path / "working.duckdb"
    shutil.copyfile(working_path(tiny_nightly.published), warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for user, manager in managers.items():
            con.execute(
                'update raw_salesforce."user" set ManagerId = '
                '(select Id from raw_salesforce."user" where Name = ?) where Name = ?',
                [manager, user],
            )
    done = run_dbt(["build", "--select", "+quarantine_users"], tmp_path, warehouse, DEMO_AS_OF)
    assert done.returncode == 0, done.stdout[-3000:]
    return duckdb.connect(str(warehouse), read_only=True)


def _tree(tiny_nightly) -> dict[str, tuple[str, list[str]]]:
    """Every user's name -> (manager's name, names on the path from the top)."""
    with duckdb.connect(str(working_path(tiny_nightly.published)), read_only=True) as con:
        rows = con.execute(
            "select user_id, name, manager_id, hierarchy_path from intermediate.int_users"
        ).fetchall()
    names = {user_id: name for user_id, name, _, _ in rows}
    return {
        name: (names.get(manager_id), [names[u] for u in path or []])
        for _, name, manager_id, path in rows
    }


def test_a_manager_cycle_and_a_self_manager_are_quarantined_with_their_reasons(
    tmp_path, tiny_nightly
):
    tree = _tree(tiny_nightly)
    # Theo (a director) now reports to Marco, who reports to Theo; Ava manages herself.
    director, manager, rep = "Theo Kowalski", "Marco Olsen", "Ava Adams"
    assert tree[manager][0] == director
    below = {name for name, (_, path) in tree.items() if director in path} - {director, manager}
    con = _build_with_managers(tmp_path, tiny_nightly, {director: manager, rep: rep})

    rows = con.execute(
        "select name, reason, value from quarantine.users order by reason, name"
    ).fetchall()
    reasons = {name: reason for name, reason, _ in rows}
    assert {n for n, r in reasons.items() if r == "manager_cycle"} == {director, manager}
    assert {n for n, r in reasons.items() if r == "under_manager_cycle"} == below - {rep}
    assert reasons[rep] == "self_manager"
    chains = {name: value for name, _, value in rows}
    assert chains[director] == f"{director} > {manager} > {director}"
    assert chains[manager] == f"{manager} > {director} > {manager}"
    assert chains[rep] == f"{rep} > {rep}"
    # Everyone else keeps their place; the quarantined lose theirs, as the rows say.
    placed = con.execute(
        "select count(*) filter (where depth is not null), count(*) from intermediate.int_users"
    ).fetchone()
    assert placed == (len(tree) - len(below) - 2 + 1, len(tree))  # Ava tops her own tree

    held = quarantine.count(con, "users")
    assert held.records == len(below) + 2
    # Some users lose their place: a warning, the run still publishes.
    assert quarantine.blocking_problem(held, limit=0.05) is None


def test_a_hierarchy_where_nobody_has_a_place_blocks_the_publish(tmp_path, tiny_nightly):
    # The CEO reports to one of her directors: every chain runs into the cycle.
    con = _build_with_managers(tmp_path, tiny_nightly, {"Chloe Kowalski": "Theo Kowalski"})
    held = quarantine.count(con, "users")
    assert held.records == held.total == len(_tree(tiny_nightly))
    problem = quarantine.blocking_problem(held, limit=0.05)
    assert problem is not None
    assert problem.startswith("no user has a place in the manager hierarchy")


@pytest.mark.parametrize("table", ["deals", "activities"])
def test_deals_and_activities_still_block_above_the_share(table):
    many = quarantine.QuarantineCount(table, 10, 100, {"unknown_stage": 10})
    assert quarantine.blocking_problem(many, limit=0.05).endswith("not publishing.")
    few = quarantine.QuarantineCount(table, 1, 100, {"unknown_stage": 1})
    assert quarantine.blocking_problem(few, limit=0.05) is None
