"""K1 freshness: one definition and one threshold pair for dbt, the checks and `trustgap status`.

The thresholds are the dbt vars ``freshness_warn_hours`` and ``freshness_error_hours``
in dbt_project/dbt_project.yml, the one place they are written. A raw table's last
landing is the later of its newest ``_loaded_at`` and its latest recorded sync
(``sync_state.table_syncs``, written by connectors/landing.py: a table an incremental
sync found nothing new for is as fresh as that sync); an empty table has no age. The
run's reference moment is the latest landing of any raw table, never before midnight
of the as-of date. That is the rule dbt's ``int_source_freshness`` applies, so the
great-expectations freshness checks (which get these figures passed in), the K1 figures
at the run (``marts.kpi_catalog_as_of``) and `trustgap status` agree. The view
``marts.kpi_catalog`` ages the same last loads when it is read, against the same vars.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import yaml

from pipelines.project import DBT_PROJECT_DIR
from pipelines.warehouse import has_table

LOADED_AT = "_loaded_at"
TABLE_SYNCS = ("sync_state", "table_syncs")


@dataclass(frozen=True)
class Thresholds:
    """Hours after which a raw table is stale (warn) and failing (error)."""

    warn_hours: float
    error_hours: float

    def level(self, hours: float) -> str:
        """``ERROR``, ``warn`` or ``ok`` for a table ``hours`` old."""
        if hours >= self.error_hours:
            return "ERROR"
        return "warn" if hours >= self.warn_hours else "ok"

    def by_severity(self) -> dict[str, float]:
        """The maximum age a check of each severity allows (``ValidationContext``'s form)."""
        return {"warn": self.warn_hours, "error": self.error_hours}


def thresholds(project_dir: Path | None = None) -> Thresholds:
    """The dbt vars ``freshness_warn_hours`` / ``freshness_error_hours`` of the project."""
    path = Path(project_dir or DBT_PROJECT_DIR) / "dbt_project.yml"
    project = yaml.safe_load(path.read_text(encoding="utf-8"))
    variables = project.get("vars") or {}
    return Thresholds(
        warn_hours=float(variables["freshness_warn_hours"]),
        error_hours=float(variables["freshness_error_hours"]),
    )


def raw_table_landings(
    con: duckdb.DuckDBPyConnection, tables: Iterable[str] | None = None
) -> dict[str, dt.datetime]:
    """When each non-empty raw table (``schema.table``) was last landed, by table name.

    ``tables`` limits the answer to those tables (all ``raw_*`` tables by default).
    Empty tables have no age and are left out.
    """
    wanted = None if tables is None else {t.lower() for t in tables}
    found = [
        (schema, name)
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.columns "
            "where table_catalog = current_database() and column_name = ? "
            "and data_type like 'TIMESTAMP%' and table_schema like 'raw\\_%' escape '\\' "
            "order by 1, 2",
            [LOADED_AT],
        ).fetchall()
        if wanted is None or f"{schema}.{name}".lower() in wanted
    ]
    if not found:
        return {}
    landed = " union all ".join(
        f"select '{schema}.{name}' as table_name, count(*) as row_count, "
        f"max({LOADED_AT}) as last_row_loaded_at from {_quote(schema)}.{_quote(name)}"
        for schema, name in found
    )
    syncs = "select null::varchar as table_name, null::timestamptz as synced_at"
    if has_table(con, *TABLE_SYNCS):
        syncs = (
            "select schema_name || '.' || table_name as table_name, max(synced_at) as synced_at "
            f"from {'.'.join(TABLE_SYNCS)} group by 1"
        )
    rows = con.execute(
        "select landed.table_name, landed.last_row_loaded_at, syncs.synced_at "
        f"from ({landed}) landed left join ({syncs}) syncs "
        "on landed.table_name = syncs.table_name "
        "where landed.row_count > 0 order by 1"
    ).fetchall()
    landings = {}
    for table, *moments in rows:
        known = [_aware(m) for m in moments if m is not None]
        if known:
            landings[table] = max(known)
    return landings


def reference_moment(
    landings: dict[str, dt.datetime], *, as_of: dt.date, zone: ZoneInfo
) -> dt.datetime:
    """The run's reference moment: the latest landing, never before ``as_of``'s midnight.

    Rebuilding old raw data as of a later date so shows it as stale; the same raw data
    and as-of give the same answer.
    """
    midnight = dt.datetime.combine(as_of, dt.time(), tzinfo=zone)
    return max([*landings.values(), midnight])


# Where a publish records the landings: the published file has no raw tables.
RECORDED_LANDINGS = "trustgap_meta.raw_landings"


def record_landings(con: duckdb.DuckDBPyConnection) -> None:
    """Keep each raw table's last landing in ``trustgap_meta`` (published with the marts)."""
    landings = raw_table_landings(con)
    con.execute("create schema if not exists trustgap_meta")
    con.execute(
        f"create or replace table {RECORDED_LANDINGS} "
        "(table_name varchar, last_loaded_at timestamptz)"
    )
    if landings:
        con.executemany(f"insert into {RECORDED_LANDINGS} values (?, ?)", list(landings.items()))


def raw_table_ages(
    con: duckdb.DuckDBPyConnection, reference: dt.datetime
) -> list[tuple[str, float]]:
    """``(table, hours since last landed)`` for every non-empty raw table, by name.

    In the published file, from the landings its publish recorded; else from the
    raw tables themselves.
    """
    if has_table(con, *RECORDED_LANDINGS.split(".")):
        landings = {
            name: _aware(moment)
            for name, moment in con.execute(
                f"select table_name, last_loaded_at from {RECORDED_LANDINGS} order by 1"
            ).fetchall()
        }
    else:
        landings = raw_table_landings(con)
    return [
        (table, (reference - landed).total_seconds() / 3600) for table, landed in landings.items()
    ]


def status_lines(ages: list[tuple[str, float]], limits: Thresholds | None = None) -> list[str]:
    """The freshness part of `trustgap status`: a heading, then one line per table."""
    limits = limits or thresholds()
    heading = (
        "Source freshness (hours since landed; "
        f"warn {limits.warn_hours:g} h, error {limits.error_hours:g} h):"
    )
    return [heading] + [
        f"  {table:<42} {hours:>7.1f} h  {limits.level(hours)}" for table, hours in ages
    ]


def _aware(value: dt.datetime) -> dt.datetime:
    """Naive timestamps in the warehouse are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
