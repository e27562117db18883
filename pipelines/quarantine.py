"""What the quarantine schema holds: rows kept out of the metrics, with reasons.

dbt builds `quarantine.deals` and `quarantine.activities` (one row per problem;
rules in dbt_project/macros/quarantine.sql) from the screened canonical models,
and `quarantine.users`, the users the manager hierarchy cannot place (cycles).
This module reads them for the run summary, `trustgap status` and the
quarantine asset checks, so all three count the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from pipelines.settings import Settings

SCHEMA = "quarantine"

# Quarantine table -> (its record key, the screened model that holds every record).
TABLES = {
    "deals": ("deal_id", "intermediate.int_deals_screened"),
    "activities": ("activity_id", "intermediate.int_activities_screened"),
    "users": ("user_id", "intermediate.int_users"),
}
# Users stay in the metrics as reps: their rows only say the hierarchy cannot place
# them, which warns whatever the share, and blocks only when nobody has a place.
HIERARCHY_LOST = ("manager_cycle", "under_manager_cycle")

MAX_SHARE_ENV = "TRUSTGAP_QUARANTINE_MAX_SHARE"
SAMPLE_SIZE = 5


@dataclass(frozen=True)
class QuarantineCount:
    """One quarantine table's count: records held back, of how many, and why."""

    table: str
    records: int
    total: int | None
    by_reason: dict[str, int] = field(default_factory=dict)
    sample_ids: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.records / self.total if self.total else 0.0

    def describe(self) -> str:
        """E.g. `3 deals (negative_amount 1, unknown_stage 2)`."""
        reasons = ", ".join(f"{reason} {n:,}" for reason, n in self.by_reason.items())
        return f"{self.records:,} {self.table}" + (f" ({reasons})" if reasons else "")


def blocking_problem(held: QuarantineCount, limit: float) -> str | None:
    """Why `held` stops the publish (None: it only warns)."""
    if held.table == "users":
        lost = sum(held.by_reason.get(reason, 0) for reason in HIERARCHY_LOST)
        if held.total and lost == held.total:
            return (
                f"no user has a place in the manager hierarchy: every chain of the "
                f"{held.total:,} users runs into a cycle ({held.describe()}); fix the managers "
                "in the CRM or the org chart CSV. Not publishing."
            )
        return None
    if held.share > limit:
        return (
            f"{held.describe()}: {held.share:.1%} of {held.total:,} is above "
            f"{MAX_SHARE_ENV}={limit:g}; not publishing."
        )
    return None


def max_share() -> float:
    """The quarantined share of a table above which its check blocks publishing."""
    return Settings.from_env().quarantine_max_share


def count(
    con: duckdb.DuckDBPyConnection, table: str, *, with_total: bool = True
) -> QuarantineCount:
    """Count `quarantine.<table>` on `con` (records, per reason, a few ids)."""
    key, screened = TABLES[table]
    qualified = f"{SCHEMA}.{table}"
    records, sample = con.execute(
        f"select count(distinct {key}), "
        f"(select list({key} order by {key}) from "
        f"(select distinct {key} from {qualified} order by {key} limit {SAMPLE_SIZE})) "
        f"from {qualified}"
    ).fetchone()
    by_reason = dict(
        con.execute(
            f"select reason, count(*) from {qualified} "
            "group by reason order by count(*) desc, reason"
        ).fetchall()
    )
    total = con.execute(f"select count(*) from {screened}").fetchone()[0] if with_total else None
    return QuarantineCount(table, int(records), total, by_reason, list(sample or []))


def counts(con: duckdb.DuckDBPyConnection, *, with_total: bool = False) -> list[QuarantineCount]:
    """Every quarantine table present on `con` (none before the first build)."""
    present = {
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = ?", [SCHEMA]
        ).fetchall()
    }
    return [count(con, t, with_total=with_total) for t in TABLES if t in present]


def summary_line(quarantined: list[QuarantineCount]) -> str:
    """One line for the run summary and `trustgap status`."""
    held = [q for q in quarantined if q.records]
    if not held:
        return "Quarantined: nothing (every row passed the quarantine rules)"
    tables = ", ".join(f"{SCHEMA}.{q.table}" for q in held)
    return f"Quarantined: {'; '.join(q.describe() for q in held)} -> see {tables}"
