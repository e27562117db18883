"""Declarative expectation suites: one YAML file per warehouse table in ``expectations/suites/``.

A file ``<schema>.<table>.yml`` holds::

    table: marts.fct_deals
    expectations:
      - type: expect_column_values_to_be_between   # a GX 1.x expectation, snake case
        kwargs: {column: amount, min_value: 0}     # passed to the GX expectation as is
        severity: warn                             # error blocks publishing, warn only reports
        key_column: deal_id                        # optional: names offending rows

Besides GX's own expectations (those ``expectations.strategies`` can evaluate on a table
larger than memory), three types are Trustgap's, for what GX cannot see from one table::

      # Referential integrity: non-null owner_ids must be user_ids of marts.dim_users.
      - type: expect_column_values_to_exist_in_table
        kwargs: {column: owner_id, other_table: marts.dim_users, other_column: user_id}
        severity: warn                             # `mostly` allowed; key_column names orphans
        key_column: deal_id
      # Row count against the previous published run (passes when there is none, or it
      # had fewer than min_previous_rows rows, default 1).
      - type: expect_table_row_count_change_to_be_between
        kwargs: {min_ratio: 0.5, max_ratio: 2.0, min_previous_rows: 50}
        severity: warn
      # Freshness: the newest value of a timestamp column, or the table's last landing
      # when later, is at most max_age_hours older than the run's reference moment (see
      # expectations.context); empty tables pass. Leave max_age_hours out to use the
      # caller's threshold for the entry's severity (Trustgap's: the dbt vars
      # freshness_warn_hours and freshness_error_hours).
      - type: expect_column_max_to_be_recent
        kwargs: {column: _loaded_at}
        severity: warn

One threshold per entry: for a warn level and a stricter error level, write two entries.

Loading checks structure only and does not import great_expectations (slow to import), so
Dagster can build its checks from suites cheaply; GX validates the kwargs of its own
expectations when the suite first runs, and the loader those of Trustgap's types.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from expectations.errors import SuiteError
from expectations.strategies import (
    BOUNDS_KWARGS,
    BOUNDS_ON_AGGREGATE,
    CONTEXT_TYPES,
    FRESHNESS,
    REFERENTIAL,
    ROW_COUNT_CHANGE,
    UNIQUENESS,
    Strategy,
    strategy_of,
)

SUITES_DIR = Path(__file__).parent / "suites"

Severity = Literal["error", "warn"]
SEVERITIES: tuple[Severity, ...] = ("error", "warn")

_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")
_ENTRY_KEYS = frozenset({"type", "kwargs", "severity", "key_column"})
_COLUMN_KWARGS = ("column", "column_A", "column_B")
# Aggregated checks that can name offending rows by a key column.
KEYED_AGGREGATES = UNIQUENESS | {REFERENTIAL}


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation of a suite, as written in its YAML file."""

    type: str
    kwargs: Mapping[str, Any]
    severity: Severity
    key_column: str | None = None

    @property
    def strategy(self) -> Strategy:
        """How the runner evaluates this expectation (see ``expectations.strategies``)."""
        strategy = strategy_of(self.type)
        assert strategy is not None, "unsupported types are refused when the suite loads"
        return strategy

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns the expectation reads, in kwargs order, without its key column."""
        return kwargs_columns(self.kwargs)

    @property
    def label(self) -> str:
        return expectation_label(self.type, self.kwargs)


@dataclass(frozen=True)
class Suite:
    """The expectations for one warehouse table."""

    table: str
    expectations: tuple[ExpectationSpec, ...]
    path: Path | None = field(default=None, compare=False)

    @property
    def schema(self) -> str:
        return self.table.split(".")[0]

    @property
    def name(self) -> str:
        return self.table.split(".")[1]

    @classmethod
    def from_dict(cls, data: Any, source: str = "<inline suite>") -> "Suite":
        """Build a suite from parsed YAML, raising SuiteError that names ``source``."""
        if not isinstance(data, Mapping):
            raise SuiteError(f"{source}: expected a mapping with `table` and `expectations`.")
        unknown = set(data) - {"table", "expectations"}
        if unknown:
            raise SuiteError(f"{source}: unknown top-level keys {sorted(unknown)}.")
        table = data.get("table")
        if not isinstance(table, str) or not _TABLE_NAME.match(table):
            raise SuiteError(f"{source}: `table` must look like schema.table, got {table!r}.")
        entries = data.get("expectations")
        if not isinstance(entries, list) or not entries:
            raise SuiteError(f"{source}: `expectations` must be a non-empty list.")
        specs = tuple(
            _parse_entry(entry, f"{source}: expectation #{i}")
            for i, entry in enumerate(entries, start=1)
        )
        return cls(table=table, expectations=specs)


def load_suite(path: Path) -> Suite:
    """Load one suite file; its name must be ``<table>.yml``."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SuiteError(f"{path}: not valid YAML ({exc}).") from exc
    suite = Suite.from_dict(data, source=str(path))
    if path.name != f"{suite.table}.yml":
        raise SuiteError(f"{path}: describes {suite.table}, so it must be named {suite.table}.yml.")
    return Suite(table=suite.table, expectations=suite.expectations, path=path)


def load_suites(directory: Path = SUITES_DIR) -> dict[str, Suite]:
    """Load every ``*.yml`` suite in ``directory``, keyed by table name (``schema.table``)."""
    return {suite.table: suite for suite in map(load_suite, sorted(Path(directory).glob("*.yml")))}


def kwargs_columns(kwargs: Mapping[str, Any]) -> tuple[str, ...]:
    """The columns named by an expectation's kwargs (column, column_A/B, column_list)."""
    names = [kwargs[k] for k in _COLUMN_KWARGS if k in kwargs]
    names.extend(kwargs.get("column_list", ()))
    return tuple(dict.fromkeys(names))


def expectation_label(type_: str, kwargs: Mapping[str, Any]) -> str:
    """Short human name, e.g. ``expect_column_values_to_be_unique(deal_id)``.

    Referential checks name their target too:
    ``expect_column_values_to_exist_in_table(owner_id, marts.dim_users.user_id)``.
    """
    names = list(kwargs_columns(kwargs))
    if type_ == REFERENTIAL:
        names.append(f"{kwargs.get('other_table')}.{kwargs.get('other_column')}")
    return f"{type_}({', '.join(names)})"


def _parse_entry(entry: Any, where: str) -> ExpectationSpec:
    if not isinstance(entry, Mapping):
        raise SuiteError(f"{where}: expected a mapping with `type`, `kwargs`, `severity`.")
    unknown = set(entry) - _ENTRY_KEYS
    if unknown:
        raise SuiteError(f"{where}: unknown keys {sorted(unknown)}; allowed {sorted(_ENTRY_KEYS)}.")
    type_ = entry.get("type")
    if not isinstance(type_, str):
        raise SuiteError(f"{where}: `type` must be a GX expectation name in snake case.")
    where = f"{where} ({type_})"
    strategy = strategy_of(type_)
    if strategy is None:
        raise SuiteError(
            f"{where}: not an expectation this runner can evaluate over a chunked table. "
            "See expectations/strategies.py for the supported types and why others are refused."
        )
    kwargs = entry.get("kwargs", {})
    if not isinstance(kwargs, Mapping):
        raise SuiteError(f"{where}: `kwargs` must be a mapping.")
    if "severity" in kwargs:
        raise SuiteError(f"{where}: put `severity` beside `kwargs`, not inside it.")
    if strategy != "chunked" and "row_condition" in kwargs:
        raise SuiteError(f"{where}: `row_condition` is only supported on row-level expectations.")
    if type_ in BOUNDS_ON_AGGREGATE and not set(kwargs) <= BOUNDS_KWARGS:
        extra = sorted(set(kwargs) - BOUNDS_KWARGS)
        raise SuiteError(f"{where}: unsupported kwargs {extra}.")
    if type_ in CONTEXT_TYPES:
        _check_context_kwargs(type_, kwargs, where)
    severity = entry.get("severity")
    if severity not in SEVERITIES:
        raise SuiteError(
            f"{where}: `severity` must be one of {list(SEVERITIES)}, got {severity!r}."
        )
    key_column = entry.get("key_column")
    if key_column is not None and not isinstance(key_column, str):
        raise SuiteError(f"{where}: `key_column` must be a column name.")
    if key_column is not None and strategy != "chunked" and type_ not in KEYED_AGGREGATES:
        raise SuiteError(
            f"{where}: `key_column` only applies to row-level, uniqueness and "
            "referential-integrity checks."
        )
    column_list = kwargs.get("column_list", [])
    if not isinstance(column_list, list):
        raise SuiteError(f"{where}: `column_list` must be a list of column names.")
    columns = [kwargs[k] for k in _COLUMN_KWARGS if k in kwargs] + column_list
    if not all(isinstance(c, str) and c for c in columns):
        raise SuiteError(f"{where}: column names must be non-empty strings.")
    return ExpectationSpec(
        type=type_, kwargs=dict(kwargs), severity=severity, key_column=key_column
    )


def _check_context_kwargs(type_: str, kwargs: Mapping[str, Any], where: str) -> None:
    """Validate the kwargs of Trustgap's own types (GX never sees them)."""
    required, allowed = CONTEXT_TYPES[type_]
    missing = sorted(required - set(kwargs))
    if missing:
        raise SuiteError(f"{where}: missing kwargs {missing}.")
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise SuiteError(f"{where}: unsupported kwargs {unknown}; allowed {sorted(allowed)}.")
    if type_ == REFERENTIAL:
        other_table = kwargs["other_table"]
        if not isinstance(other_table, str) or not _TABLE_NAME.match(other_table):
            raise SuiteError(
                f"{where}: `other_table` must look like schema.table, got {other_table!r}."
            )
        if not isinstance(kwargs["other_column"], str) or not kwargs["other_column"]:
            raise SuiteError(f"{where}: `other_column` must be a column name.")
        if "mostly" in kwargs and not (_is_number(kwargs["mostly"]) and 0 <= kwargs["mostly"] <= 1):
            raise SuiteError(f"{where}: `mostly` must be a number between 0 and 1.")
    elif type_ == ROW_COUNT_CHANGE:
        ratios = {k: kwargs[k] for k in ("min_ratio", "max_ratio") if k in kwargs}
        if not ratios:
            raise SuiteError(f"{where}: give `min_ratio`, `max_ratio` or both.")
        if not all(_is_number(v) and v >= 0 for v in ratios.values()):
            raise SuiteError(f"{where}: `min_ratio` and `max_ratio` must be numbers >= 0.")
        if len(ratios) == 2 and ratios["min_ratio"] > ratios["max_ratio"]:
            raise SuiteError(f"{where}: `min_ratio` is above `max_ratio`.")
        floor = kwargs.get("min_previous_rows", 1)
        if not (isinstance(floor, int) and not isinstance(floor, bool) and floor >= 1):
            raise SuiteError(f"{where}: `min_previous_rows` must be a whole number >= 1.")
    elif type_ == FRESHNESS and "max_age_hours" in kwargs:
        hours = kwargs["max_age_hours"]
        if not (_is_number(hours) and hours > 0):
            raise SuiteError(f"{where}: `max_age_hours` must be a number > 0.")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
