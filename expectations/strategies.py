"""How each supported GX expectation type is evaluated on a table that may not fit in memory.

GX's SQL datasource fails on DuckDB, so every check runs on pandas frames. Each type has
one of three strategies:

- ``chunked``: row-local checks (each row passes or fails on its own). GX runs on
  batches of the needed columns; per-batch counts add up to the whole-table counts.
- ``aggregated``: checks over a whole column or table (uniqueness, row count, min, max,
  mean, ...). DuckDB computes the aggregate in one pass; GX judges the small result,
  except uniqueness, which the runner judges from a ``group by ... having count(*) > 1``.
- ``schema``: checks on column names only; GX runs on an empty frame with the table's
  columns.

Three types are Trustgap's own, as GX 1.x has no expectation that reads another table,
a previous run or the clock (``CONTEXT_TYPES``). They are aggregated: DuckDB computes the
figure and GX's ``expect_column_values_to_be_between`` judges it on a one-row frame,
except referential integrity, judged like uniqueness from the orphan count:

- ``expect_column_values_to_exist_in_table``: every non-null value of ``column`` is a
  value of ``other_column`` in ``other_table`` (an anti-join; ``mostly`` allowed);
- ``expect_table_row_count_change_to_be_between``: rows now / rows in the previous
  published run within ``min_ratio``..``max_ratio``; passes when there is no previous
  run, the table is new, or it had fewer than ``min_previous_rows`` (default 1) rows;
- ``expect_column_max_to_be_recent``: the newest value of a timestamp ``column`` (or the
  table's last recorded landing, when later: a table synced with nothing new is fresh) is
  at most ``max_age_hours`` older than the run's reference moment; an empty table passes.
  Without ``max_age_hours`` the threshold of the entry's severity comes from the caller
  (``ValidationContext.freshness_hours``; Trustgap passes its dbt vars).

Types not listed are refused when a suite loads rather than silently judged per batch:
order-dependent checks (``expect_column_values_to_be_increasing``), statistics without a
SQL twin here (z-scores, outliers, KL divergence, quantiles, most common value), and dtype
checks (a batch's pandas dtype can differ from the table's, e.g. an all-null batch).
"""

from typing import Literal

Strategy = Literal["chunked", "aggregated", "schema"]

CHUNKED = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_match_regex_list",
        "expect_column_values_to_not_match_regex_list",
        "expect_column_values_to_match_strftime_format",
        "expect_column_values_to_be_dateutil_parseable",
        "expect_column_values_to_be_json_parseable",
        "expect_column_values_to_match_json_schema",
        "expect_column_value_lengths_to_be_between",
        "expect_column_value_lengths_to_equal",
        "expect_column_pair_values_to_be_equal",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_pair_values_to_be_in_set",
        "expect_multicolumn_sum_to_equal",
        "expect_multicolumn_values_to_be_equal",
        "expect_select_column_values_to_be_unique_within_record",
    }
)

# Judged by the runner from duplicate groups counted in SQL.
UNIQUENESS = frozenset(
    {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}
)

# The same GX expectation, run on a one-row frame holding the SQL aggregate under the
# column's own name: min/max/mean/median/sum of a single value is that value.
SAME_ON_AGGREGATE = {
    "expect_column_min_to_be_between": "min({column})",
    "expect_column_max_to_be_between": "max({column})",
    "expect_column_mean_to_be_between": "avg({column})",
    "expect_column_median_to_be_between": "median({column})",
    "expect_column_sum_to_be_between": "sum({column})",
}

# Rewritten to expect_column_values_to_be_between on a one-row frame holding the aggregate.
BOUNDS_ON_AGGREGATE = {
    "expect_table_row_count_to_be_between": "count(*)",
    "expect_table_row_count_to_equal": "count(*)",
    "expect_column_stdev_to_be_between": "stddev_samp({column})",
    "expect_column_unique_value_count_to_be_between": "count(distinct {column})",
    "expect_column_proportion_of_unique_values_to_be_between": (
        "count(distinct {column}) / nullif(count({column}), 0)"
    ),
    "expect_column_proportion_of_non_null_values_to_be_between": (
        "count({column}) / nullif(count(*), 0)"
    ),
}
BOUNDS_KWARGS = frozenset({"column", "value", "min_value", "max_value", "strict_min", "strict_max"})

# The same GX expectation, run on the frame of distinct values (set checks ignore counts).
DISTINCT_VALUES = frozenset(
    {
        "expect_column_distinct_values_to_be_in_set",
        "expect_column_distinct_values_to_contain_set",
        "expect_column_distinct_values_to_equal_set",
    }
)

SCHEMA = frozenset(
    {
        "expect_column_to_exist",
        "expect_table_columns_to_match_set",
        "expect_table_columns_to_match_ordered_list",
        "expect_table_column_count_to_be_between",
        "expect_table_column_count_to_equal",
    }
)

# Trustgap's own types (not GX expectations), with the kwargs each requires and allows;
# their values are checked when the suite loads (see expectations.suites).
REFERENTIAL = "expect_column_values_to_exist_in_table"
ROW_COUNT_CHANGE = "expect_table_row_count_change_to_be_between"
FRESHNESS = "expect_column_max_to_be_recent"
CONTEXT_TYPES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    REFERENTIAL: (
        frozenset({"column", "other_table", "other_column"}),
        frozenset({"column", "other_table", "other_column", "mostly"}),
    ),
    ROW_COUNT_CHANGE: (
        frozenset(),
        frozenset({"min_ratio", "max_ratio", "min_previous_rows"}),
    ),
    FRESHNESS: (frozenset({"column"}), frozenset({"column", "max_age_hours"})),
}

AGGREGATED = (
    UNIQUENESS
    | SAME_ON_AGGREGATE.keys()
    | BOUNDS_ON_AGGREGATE.keys()
    | DISTINCT_VALUES
    | CONTEXT_TYPES.keys()
)
SUPPORTED = CHUNKED | AGGREGATED | SCHEMA
# The types GX itself must know (the others are evaluated by the runner alone).
GX_TYPES = SUPPORTED - CONTEXT_TYPES.keys()


def strategy_of(expectation_type: str) -> Strategy | None:
    """Return how ``expectation_type`` is evaluated, or None if the runner cannot evaluate it."""
    if expectation_type in CHUNKED:
        return "chunked"
    if expectation_type in AGGREGATED:
        return "aggregated"
    if expectation_type in SCHEMA:
        return "schema"
    return None
