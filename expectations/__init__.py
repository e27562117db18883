"""Great-expectations suites for raw tables and marts, and the runner Dagster checks call.

    from expectations import load_suites, validate_table
    result = validate_table(con, load_suites()["marts.fct_deals"])
    result.success  # False when an error-severity expectation failed: do not publish

Pass ``context=ValidationContext(...)`` to compare row counts with the previous published
run and to measure freshness against the run's reference moment and thresholds
(``expectations.context``).

Importing this package does not import great_expectations; the first validation does.
"""

from expectations.context import ValidationContext, attach_baseline
from expectations.errors import ExpectationTableMissing, SuiteError
from expectations.gx_engine import build_gx_expectation, warm_up
from expectations.results import ExpectationOutcome, SuiteResult
from expectations.runner import CHUNK_ROWS, TableRead, read_table, validate_table, validate_tables
from expectations.suites import SUITES_DIR, ExpectationSpec, Suite, load_suite, load_suites

__all__ = [
    "CHUNK_ROWS",
    "SUITES_DIR",
    "ExpectationOutcome",
    "ExpectationSpec",
    "ExpectationTableMissing",
    "Suite",
    "SuiteError",
    "SuiteResult",
    "TableRead",
    "ValidationContext",
    "attach_baseline",
    "build_gx_expectation",
    "load_suite",
    "load_suites",
    "read_table",
    "validate_table",
    "validate_tables",
    "warm_up",
]
